"""Full text and metadata of an article page, with newspaper4k.

newspaper4k is imported on first use, not at import time: importing it creates a folder under
$TMPDIR and warns when nltk is missing. Image probing is off (`fetch_images = False`: it would
download every image) and `nlp()` is never called (it downloads NLTK data).
"""

from __future__ import annotations

import warnings
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from aibot.collect.urls import canonical_url
from aibot.models import Article
from aibot.text import one_line


@cache
def _newspaper() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import newspaper

    return newspaper


def extract(html: bytes | str, url: str) -> Article:
    """The article in `html` fetched from `url`; `.extractor` names what produced `.text`."""
    newspaper = _newspaper()
    if isinstance(html, bytes):
        html = html.decode("utf-8", errors="replace")
    config = newspaper.Config()
    config.fetch_images = False
    config.memorize_articles = False
    config.disable_category_cache = True
    page = newspaper.Article(url, config=config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        page.download(input_html=html)
        page.parse()
    canonical = _canonical(url, page.canonical_link or "")
    published = page.publish_date if isinstance(page.publish_date, datetime) else None
    image = page.meta_img or page.top_image or ""
    return Article(
        url=url,
        canonical_url=canonical,
        source=one_line(page.meta_site_name or "") or (urlsplit(url).hostname or ""),
        title=one_line(page.title or ""),
        text=(page.text or "").strip(),
        published=published,
        authors=[one_line(a) for a in page.authors if a.strip()],
        image=urljoin(url, image) if image else "",
        language=page.meta_lang or "",
        extractor="newspaper4k",
    )


def _canonical(url: str, declared: str) -> str:
    """The page's declared canonical URL when it is a web URL, else the fetched URL."""
    if declared:
        absolute = urljoin(url, declared.strip())
        if urlsplit(absolute).scheme in ("http", "https"):
            return canonical_url(absolute)
    return canonical_url(url) if urlsplit(url).scheme in ("http", "https") else url
