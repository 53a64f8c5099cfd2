"""The anthropic SDK's exceptions, told apart: a fault of one story or of the service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aibot.write.base import ServiceError, WriterError

# Statuses after which no other story of the run can succeed: a refused key, a missing model.
FATAL_STATUSES = frozenset({401, 403, 404})
# The request itself is at fault (too long, malformed): only this story fails.
STORY_STATUSES = frozenset({400, 413, 422})


@contextmanager
def service_errors() -> Iterator[None]:
    """Re-raise the SDK's errors as ServiceError (the service) or WriterError (this request)."""
    import anthropic

    try:
        yield
    except anthropic.APIStatusError as exc:
        detail = f"HTTP {exc.status_code}: {_message(exc)}"
        if exc.status_code in STORY_STATUSES:
            raise WriterError(f"the API refused the request ({detail})") from None
        raise ServiceError(detail, fatal=exc.status_code in FATAL_STATUSES) from None
    except anthropic.APITimeoutError:
        raise ServiceError("timed out after the client's retries") from None
    except anthropic.APIConnectionError as exc:
        raise ServiceError(f"cannot reach the API ({exc})") from None


def _message(exc: object) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    return str(getattr(exc, "message", exc))
