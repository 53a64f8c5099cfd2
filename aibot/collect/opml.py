"""OPML import: add an OPML file's feeds to aibot.yaml, keeping its comments and layout.

ruamel.yaml's round-trip mode is used for the config file because PyYAML drops comments; the new
feeds are appended to `feeds:` in the same one-line form the file already uses.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from aibot.support.files import write_atomically

MAX_OPML_BYTES = 5_000_000


class OpmlError(ValueError):
    """The OPML file cannot be read."""


@dataclass(frozen=True)
class OpmlFeed:
    url: str
    name: str
    tags: tuple[str, ...]


def read_opml(path: Path) -> list[OpmlFeed]:
    """Every outline with an http(s) xmlUrl; a folder outline's title becomes a tag."""
    data = path.read_bytes()
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"{path}: larger than {MAX_OPML_BYTES} bytes")
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise OpmlError(f"{path}: DOCTYPE and entity declarations are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OpmlError(f"{path}: not valid XML ({exc})") from None
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise OpmlError(f"{path}: not an OPML file (no <opml><body>)")
    found: list[OpmlFeed] = []

    def walk(node: ET.Element, folder: tuple[str, ...]) -> None:
        for outline in node.findall("outline"):
            url = (outline.get("xmlUrl") or "").strip()
            title = (outline.get("title") or outline.get("text") or "").strip()
            if url and urlsplit(url).scheme in ("http", "https"):
                found.append(OpmlFeed(url=url, name=title, tags=folder))
            else:
                walk(outline, (*folder, title.lower()) if title else folder)

    walk(body, ())
    return found


def import_opml(opml: Path, config_file: Path) -> tuple[int, int]:
    """Append the OPML's feeds that the config lacks; return (added, already present)."""
    feeds = read_opml(opml)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    document = yaml.load(config_file.read_text(encoding="utf-8")) or CommentedMap()
    listed = document.get("feeds")
    if listed is None:
        listed = document["feeds"] = CommentedSeq()
    present = {str(f.get("url")) for f in listed if isinstance(f, dict)}
    added = 0
    for feed in feeds:
        if feed.url in present:
            continue
        entry = CommentedMap(url=feed.url)
        if feed.name:
            entry["name"] = feed.name
        if feed.tags:
            tags = CommentedSeq(feed.tags)
            tags.fa.set_flow_style()
            entry["tags"] = tags
        entry.fa.set_flow_style()
        listed.append(entry)
        present.add(feed.url)
        added += 1
    if added:
        out = io.StringIO()
        yaml.dump(document, out)
        write_atomically(config_file, out.getvalue())
    return added, len(feeds) - added
