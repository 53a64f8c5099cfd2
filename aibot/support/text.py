"""Small text helpers shared by the stages: HTML to plain text, sentences, word tokens."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from aibot.support.sentences import sentences

__all__ = ["STOPWORDS", "html_to_text", "one_line", "plain_text", "sentences", "words"]

_BLOCK_TAGS = {"p", "br", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "blockquote"}


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template") and self._skip:
            self._skip -= 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        # HTMLParser raises AssertionError on a broken "<![" ("<![ x", "<![foo[") in Python
        # 3.11 to 3.13.0 at least: such a "<![" is text.
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            self.handle_data(self.rawdata[i : i + 3])
            return i + 3

    def handle_data(self, data: str) -> None:
        if not self._skip:
            # A line break inside the markup is white space; only block tags end paragraphs.
            self.parts.append(data.replace("\r", " ").replace("\n", " "))


def html_to_text(markup: str) -> str:
    """Visible text of an HTML fragment, paragraphs separated by blank lines."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    text = "".join(collector.parts)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n\n".join(line for line in lines if line)


def plain_text(value: str, content_type: str = "text/html") -> str:
    """Feed text as plain text: HTML is reduced to its words, plain text is unescaped once."""
    if "html" in content_type:
        return html_to_text(value)
    return " ".join(html.unescape(value).split())


def one_line(value: str) -> str:
    return " ".join(value.split())


_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*", re.I)
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not now of off on once only or other our ours
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when where
    which while who whom why will with would you your yours said says say told according new one
    two year years week monday tuesday wednesday thursday friday saturday sunday mr mrs ms would
    could may might also per cent percent january february march april june july august
    september october november december""".split()  # noqa: SIM905
)


def words(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, with a light plural fold."""
    out = []
    for token in _WORD.findall(text.lower()):
        if token in STOPWORDS or (len(token) < 2 and not token.isdigit()):
            continue
        if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
            token = token[:-1]
        out.append(token)
    return out
