"""A cache of parsed posts, so that a build of 10,000 posts does not parse 10,000 YAML headers.

Parsing front matter is most of the cost of reading a post (PyYAML builds its objects in Python
even with the C loader). The index keeps, per file, its modification time, size and a BLAKE2
digest of its bytes with the parsed front matter and body. A file whose time and size are
unchanged is taken from the index unread; one whose time changed but whose bytes did not (a
`touch`, a checkout) is read and hashed, not parsed; anything else is parsed again, several files
at a time in a process pool when there are many.

The index is JSON (never pickle: the cache folder may be restored from a CI cache; read and
written with orjson, which is several times faster than the json module on its 25 MB for 5,000
posts) and is only a cache: a missing, corrupt or foreign file is ignored and rewritten.
"""

from __future__ import annotations

import hashlib
import os
import zlib
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from aibot.models import Post
from aibot.posts.frontmatter import read_post_bytes
from aibot.support.files import replace_bytes
from aibot.support.workers import die_with_parent

VERSION = 4
SHARDS = 16  # files the entries are spread over, by a hash of the post's path
# Below this many files to parse, a process pool costs more than it saves.
POOL_FROM = 400

Parse = Callable[[bytes, Path], Post]  # a file's bytes (and its path, for messages) -> Post


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def cached_posts(
    paths: Sequence[Path],
    index_file: Path | None,
    parse: Parse,
    *,
    stats: Sequence[tuple[int, int]] | None = None,
) -> list[Post | Exception]:
    """For each path, its Post, or the exception `parse` raised for it (same order).
    `stats`, when the caller has them, are each file's (modification time in ns, size; -1 when
    it could not be stat'ed), else each file is stat'ed here."""
    index = _read(index_file) if index_file else {}
    results: list[Post | Exception | None] = [None] * len(paths)
    stale: list[int] = []
    fresh: dict[str, Any] = {}
    for i, path in enumerate(paths):
        key = str(path)
        entry = index.get(key)
        mtime, size = stats[i] if stats is not None else _stat(path)
        if size < 0:
            stale.append(i)
            continue
        if entry and entry["mtime_ns"] == mtime and entry["size"] == size:
            results[i] = _post(entry, path)
            fresh[key] = entry
            continue
        if entry:
            try:
                data = read_post_bytes(path)
            except OSError:
                data = b""
            if data and digest(data) == entry["digest"]:
                entry = {**entry, "mtime_ns": mtime, "size": size}
                results[i] = _post(entry, path)
                fresh[key] = entry
                continue
        stale.append(i)
    for i, (outcome, entry) in zip(
        stale, _parse_all([paths[i] for i in stale], parse), strict=True
    ):
        if entry is not None:
            fresh[str(paths[i])] = entry
            outcome = _post(entry, paths[i])
        results[i] = outcome
    if index_file is not None and fresh != index:
        _write(index_file, fresh, index)
    return [r for r in results if r is not None]


def _stat(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError:
        return 0, -1
    return stat.st_mtime_ns, stat.st_size


def _parse_all(
    paths: list[Path], parse: Parse
) -> list[tuple[Post | Exception | None, dict[str, Any] | None]]:
    if len(paths) < POOL_FROM or (os.cpu_count() or 1) < 2:
        return [_parsed(parse, p) for p in paths]
    workers = min(os.cpu_count() or 1, 4)
    chunk = max(1, len(paths) // (workers * 4))
    from concurrent.futures import ProcessPoolExecutor  # imports multiprocessing: only now

    parent = os.getpid()
    with ProcessPoolExecutor(workers, initializer=die_with_parent, initargs=(parent,)) as pool:
        return list(pool.map(_parsed, [parse] * len(paths), paths, chunksize=chunk))


def _parsed(parse: Parse, path: Path) -> tuple[Post | Exception | None, dict[str, Any] | None]:
    """The post (or the exception `parse` raised) and no entry, or None and the post's index
    entry when it can be kept (the caller makes the post from it).
    The entry's digest is of the very bytes parsed, so a file changed meanwhile is not cached
    under its new time with its old content."""
    try:
        stat = path.stat()
        data = read_post_bytes(path)  # a file far too big is not read whole to be refused
        post = parse(data, path)
    except Exception as exc:  # noqa: BLE001 - returned to the caller, who reports it per file
        return exc, None
    if stat.st_size != len(data):  # written to while we read it: parsed, but not kept
        return post, None
    dates = {k: v.isoformat() for k, v in post.meta.items() if isinstance(v, datetime)}
    meta = {k: v for k, v in post.meta.items() if k not in dates}
    if not _json_native(meta):  # e.g. an unquoted date deep inside: parsed again each time
        return post, None
    entry = {
        "mtime_ns": stat.st_mtime_ns,
        "size": stat.st_size,
        "digest": digest(data),
        "meta": meta,
        "dates": dates,
        "body": post.body,
    }
    # The entry holds all the post does: only it crosses back from a pool worker.
    return None, entry


def _post(entry: dict[str, Any], path: Path) -> Post:
    meta = dict(entry["meta"])
    meta.update({k: datetime.fromisoformat(v) for k, v in entry["dates"].items()})
    return Post(meta=meta, body=entry["body"], path=path, digest=entry["digest"])


def _json_native(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_native(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_json_native(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


def _shard_file(index_file: Path, shard: int) -> Path:
    return index_file.with_name(f"{index_file.stem}.{shard:x}{index_file.suffix}")


def _shard_of(key: str) -> int:
    # CRC-32 spreads paths evenly enough, at a sixth of a BLAKE2 digest's cost (every key's
    # shard is worked out on each write).
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % SHARDS


def _read(index_file: Path) -> dict[str, Any]:
    """Every entry of the index: `index_file` names the version, its SHARDS files hold the
    entries (so an edit to one post rewrites one sixteenth of the index)."""
    try:
        head = orjson.loads(index_file.read_bytes())
    except (OSError, ValueError):
        return {}
    if not isinstance(head, dict) or (head.get("version"), head.get("shards")) != (VERSION, SHARDS):
        return {}
    entries: dict[str, Any] = {}
    for shard in range(SHARDS):
        try:
            data = orjson.loads(_shard_file(index_file, shard).read_bytes())
        except (OSError, ValueError):
            continue
        part = data.get("entries") if isinstance(data, dict) else None
        if isinstance(part, dict) and data.get("version") == VERSION:
            entries.update(part)  # _write puts each entry in its shard
    return entries


def _write(index_file: Path, entries: dict[str, Any], old: dict[str, Any]) -> None:
    """Write the shards whose entries changed, then the head file; each file renamed into
    place, without fsync: it is only a cache, and the next load parses again whatever a crash
    left unreadable."""
    new_parts: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
    old_parts: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
    for key, entry in entries.items():
        new_parts[_shard_of(key)][key] = entry
    for key, entry in old.items():
        old_parts[_shard_of(key)][key] = entry
    with suppress(OSError, TypeError):  # TypeError: a value JSON cannot hold (a huge int)
        index_file.parent.mkdir(parents=True, exist_ok=True)
        for shard in range(SHARDS):
            target = _shard_file(index_file, shard)
            if new_parts[shard] != old_parts[shard] or not target.exists():
                data = {"version": VERSION, "entries": new_parts[shard]}
                replace_bytes(target, orjson.dumps(data))
        replace_bytes(index_file, orjson.dumps({"version": VERSION, "shards": SHARDS}))
