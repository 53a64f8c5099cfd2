"""The Message Batches API: send every story of a run as one batch, collect the answers later.

A batch costs half as much and may take minutes or hours. The pipeline records each batch id in
the cache before waiting; a run that ends before the batch does leaves it there, and the next run
collects it instead of sending those stories again. Answers are matched to stories by
`custom_id`, the story id.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from aibot.write.errors import service_errors

if TYPE_CHECKING:
    import anthropic


def submit(client: anthropic.Anthropic, requests: dict[str, dict[str, Any]]) -> str:
    """Send one request per custom id; the batch id."""
    with service_errors():
        batch = client.messages.batches.create(
            requests=[{"custom_id": cid, "params": params} for cid, params in requests.items()]
        )
    return batch.id


def wait(client: anthropic.Anthropic, batch_id: str, wait_s: float, poll_s: float) -> bool:
    """Whether the batch has ended, asking every `poll_s` seconds for up to `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        with service_errors():
            status = client.messages.batches.retrieve(batch_id).processing_status
        if status == "ended":
            return True
        if time.monotonic() + poll_s > deadline:
            return False
        time.sleep(poll_s)


def results(client: anthropic.Anthropic, batch_id: str) -> dict[str, Any]:
    """custom_id -> result (`type` succeeded, errored, canceled or expired) of an ended batch."""
    with service_errors():
        return {item.custom_id: item.result for item in client.messages.batches.results(batch_id)}
