"""Writing a small file whole or not at all: the caches' JSON files (build manifest, posts index,
slug holders)."""

from __future__ import annotations

import os
from pathlib import Path


def replace_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`: a reader sees
    the old file or the new one, never half of one."""
    import tempfile  # not at import time: a build that writes nothing needs none of it

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)  # gone already once renamed
