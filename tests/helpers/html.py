"""Links checked across a built site."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


def broken_links(site: Path) -> list[str]:
    """Every internal href, src or form action in site/ that leads to no file, or to no element
    with its #fragment. Links starting with "/" (404.html) are read from the site's root."""
    site = site.resolve()
    read = {page: read_links(page) for page in pages(site)}
    broken = []
    for page, found in read.items():
        for link in found.links:
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto"):
                continue
            where = f"{page.relative_to(site)} -> {link}"
            if parts.scheme or parts.netloc:
                broken.append(f"{where} (not a link within the site)")
                continue
            path = unquote(parts.path)
            if not path:
                target = page
            elif path.startswith("/"):
                target = (site / path.lstrip("/")).resolve()
            else:
                target = (page.parent / path).resolve()
            if not target.is_relative_to(site) or not target.is_file():
                broken.append(where)
            elif parts.fragment and target.suffix == ".html":
                ids = read[target].ids if target in read else read_links(target).ids
                if parts.fragment not in ids:
                    broken.append(f"{where} (no id {parts.fragment!r})")
    return broken


def pages(site: Path) -> list[Path]:
    found = sorted(site.rglob("*.html"))
    assert found
    return found


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("href", "src") or (tag == "form" and name == "action"):
                self.links.append(value)
            elif name == "id":
                self.ids.add(value)


def read_links(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser
