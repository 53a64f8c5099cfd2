"""A stand-in for the Anthropic Messages API on 127.0.0.1, for tests and for the fake-key demo.

    python examples/anthropic_stub.py --port 8765
    ANTHROPIC_API_KEY=fake ANTHROPIC_BASE_URL=http://127.0.0.1:8765 aibot run --demo

It answers the way the real API does on the wire (status codes, JSON bodies, Message Batches with
a JSONL results file), so the real `anthropic` client talks to it unchanged. Unless a test has
scripted an answer, it writes a story itself, mechanically: each paragraph is sentences copied
from one <source> element of the prompt, cited by that source's label. That is enough to show the
whole path (structured answer, citations, verification, cost ledger) without a model.

Tests script faults with `StubAPI.script`: (status, body) pairs answered in order, HANG to never
answer (the client times out), or a function (api, request) -> (status, body).
"""

from __future__ import annotations

import argparse
import html
import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aibot.support.text import sentences

HANG = "hang"
_SOURCE = re.compile(
    r'<source id="(S\d+)" outlet="([^"]*)"[^>]*title="([^"]*)"[^>]*>\n(.*?)\n</source>', re.S
)
_PARAGRAPH = re.compile(r'<paragraph id="(P\d+)" cites="([^"]*)"')
HEADINGS = [
    "What happened",
    "The details",
    "What was said",
    "Reaction",
    "What comes next",
    "Background",
]


@dataclass
class StubAPI:
    """What the stub has been asked, and what it will answer next."""

    script: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    # How many times a batch reports "in_progress" before it has ended.
    batch_polls: int = 1
    released: threading.Event = field(default_factory=threading.Event)
    system_seen: set[str] = field(default_factory=set)

    def next_answer(self, request: dict[str, Any]) -> tuple[int, Any]:
        if self.script:
            item = self.script.pop(0)
            return item(self, request) if callable(item) else item
        return 200, self.message(request, written_answer(request))

    def message(self, request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        system = json.dumps(request.get("system", ""))
        cached = system in self.system_seen
        self.system_seen.add(system)
        prompt = json.dumps(request.get("messages", []))
        text = json.dumps(answer)
        return message_body(
            text,
            model=request.get("model", "claude-stub"),
            input_tokens=len(prompt) // 4,
            output_tokens=len(text) // 4,
            cache_read=len(system) // 4 if cached else 0,
            cache_write=0 if cached else len(system) // 4,
        )


def message_body(
    text: str,
    *,
    stop_reason: str = "end_turn",
    model: str = "claude-stub",
    input_tokens: int = 900,
    output_tokens: int = 120,
    cache_read: int = 0,
    cache_write: int = 0,
) -> dict[str, Any]:
    """A Messages API answer as the wire carries it."""
    return {
        "id": f"msg_{uuid.uuid4().hex[:12]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_read_input_tokens": cache_read,
            "cache_creation_input_tokens": cache_write,
        },
    }


def error_body(kind: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def written_answer(request: dict[str, Any]) -> dict[str, Any]:
    """A structured answer made of the prompt's own source sentences."""
    prompt = "".join(
        block if isinstance(block, str) else block.get("text", "")
        for message in request.get("messages", [])
        for block in (
            [message["content"]] if isinstance(message["content"], str) else message["content"]
        )
    )
    sources = [
        (label, html.unescape(outlet), html.unescape(title), html.unescape(body))
        for label, outlet, title, body in _SOURCE.findall(prompt)
    ]
    if _PARAGRAPH.search(prompt):
        return {
            "paragraphs": [
                {
                    "id": pid,
                    "text": _sentences(_body(sources, cites.split()[0]))[0],
                    "sources": cites.split()[:1],
                }
                for pid, cites in _PARAGRAPH.findall(prompt)
            ]
        }
    sections = []
    for n, (label, _outlet, _title, body) in enumerate(sources[: len(HEADINGS)]):
        said = [s for s in _sentences(body) if "[…]" not in s]
        if said:
            paragraphs = [
                {"text": " ".join(said[i : i + 2]), "sources": [label]} for i in (0, 2) if said[i:]
            ]
            sections.append({"heading": HEADINGS[n], "paragraphs": paragraphs})
    title = sources[0][2] if sources else "Untitled"
    first = _sentences(sources[0][3])[0] if sources else ""
    return {
        "headline": title,
        "summary": first,
        "sections": sections,
        "tags": ["news"],
        "disagreements": [],
    }


def _body(sources: list[tuple[str, str, str, str]], label: str) -> str:
    return next((body for lbl, _, _, body in sources if lbl == label), "")


def _sentences(text: str) -> list[str]:
    return [s for p in text.split("\n") for s in sentences(" ".join(p.split()))] or [""]


def handler_for(api: StubAPI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            api.paths.append(f"POST {self.path}")
            if self.path.startswith("/v1/messages/batches"):
                return self._create_batch(request)
            api.requests.append(request)
            status, body = api.next_answer(request)
            if status == HANG:
                api.released.wait(30)
                return
            self._send(status, body)

        def do_GET(self) -> None:  # noqa: N802
            api.paths.append(f"GET {self.path}")
            match = re.fullmatch(
                r"/v1/messages/batches/([\w-]+)(/results)?", self.path.split("?")[0]
            )
            if not match or match.group(1) not in api.batches:
                return self._send(404, error_body("not_found_error", "no such batch"))
            batch = api.batches[match.group(1)]
            if match.group(2):
                return self._send_jsonl(batch["results"])
            if batch["polls_left"] > 0:
                batch["polls_left"] -= 1
            return self._send(200, self._batch_body(match.group(1), batch))

        def _create_batch(self, request: dict[str, Any]) -> None:
            batch_id = f"msgbatch_{uuid.uuid4().hex[:16]}"
            results = []
            for item in request["requests"]:
                api.requests.append(item["params"])
                status, body = api.next_answer(item["params"])
                result = (
                    {"type": "succeeded", "message": body}
                    if status == 200
                    else {"type": "errored", "error": body}
                )
                results.append({"custom_id": item["custom_id"], "result": result})
            api.batches[batch_id] = {"results": results, "polls_left": api.batch_polls}
            self._send(200, self._batch_body(batch_id, api.batches[batch_id], created=True))

        def _batch_body(
            self, batch_id: str, batch: dict[str, Any], created: bool = False
        ) -> dict[str, Any]:
            ended = not created and batch["polls_left"] == 0
            host, port = self.server.server_address[:2]
            return {
                "id": batch_id,
                "type": "message_batch",
                "processing_status": "ended" if ended else "in_progress",
                "request_counts": {
                    "processing": 0 if ended else len(batch["results"]),
                    "succeeded": len(batch["results"]) if ended else 0,
                    "errored": 0,
                    "canceled": 0,
                    "expired": 0,
                },
                "created_at": "2026-11-26T00:00:00Z",
                "expires_at": "2026-11-27T00:00:00Z",
                "ended_at": "2026-11-26T00:01:00Z" if ended else None,
                "results_url": f"http://{host}:{port}/v1/messages/batches/{batch_id}/results"
                if ended
                else None,
            }

        def _send(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _send_jsonl(self, lines: list[dict[str, Any]]) -> None:
            data = "".join(json.dumps(line) + "\n" for line in lines).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/binary")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(api: StubAPI | None = None, port: int = 0) -> Iterator[tuple[StubAPI, str]]:
    """Serve the stub on 127.0.0.1 in a thread; yields it and its base URL."""
    api = api or StubAPI()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler_for(api))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        api.released.set()
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    with serving(port=args.port) as (_, url):
        print(f"stub Messages API on {url} (Ctrl-C to stop)", flush=True)
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
