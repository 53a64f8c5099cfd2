"""Evidence links as a reader follows them, in Debian's Chromium (Playwright): a click on a
post's citation opens the source page scrolled to the supporting sentence, highlighted.

The source page (tests/fixtures/evidence/gazette-ferry.html, written for this test) is long, so
the sentence is below the fold, and an earlier sentence starts with the same six words, so a
fragment that is not made unique would land there. Its style paints text-fragment matches
(`::target-text`) in one colour, counted in a screenshot: the sign that Chromium matched the
fragment, which no script API reports.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator

import pytest

from aibot.render.site import build_site
from tests.helpers.browser import Served, serving
from tests.helpers.evidence import GAZETTE_PAGE, cache_articles, ferry_post
from tests.helpers.site import NOW, make_config

# The page's ::target-text colour.
HIGHLIGHT = (255, 0, 200)


@pytest.fixture(scope="module")
def source() -> Iterator[Served]:
    """The Gazette's page on its own loopback server (another origin than the site)."""
    with serving(GAZETTE_PAGE.parent) as served:
        yield served


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, source: Served) -> Iterator[tuple[Served, str]]:
    """The built post citing the served Gazette page, and the post's path on its server."""
    base = tmp_path_factory.mktemp("evidence-site")
    config = make_config(base)
    post, articles = ferry_post(base, source.url(GAZETTE_PAGE.name))
    cache_articles(config, articles)  # as after a run: the fragment is made unique
    report = build_site(config, now=NOW)
    assert report.ok, report.problems
    shutil.rmtree(config.paths.cache)
    with serving(base / "site") as served:
        yield served, f"posts/{post.slug}.html"


def _in_view(page, text: str) -> bool:  # noqa: ANN001 - a Playwright Page
    return page.evaluate(
        """(text) => {
            const p = [...document.querySelectorAll("p")].find(p => p.textContent.includes(text));
            const box = p.getBoundingClientRect();
            return box.top >= 0 && box.bottom <= window.innerHeight;
        }""",
        text,
    )


def _highlighted_pixels(page, text: str) -> int:  # noqa: ANN001 - a Playwright Page
    """Pixels of the highlight colour in a screenshot of the paragraph holding `text`,
    counted by Chromium itself on a canvas (no image library needed)."""
    shot = page.locator("p", has_text=text).screenshot()
    counter = page.context.new_page()
    try:
        return counter.evaluate(
            """async ([png, [r, g, b]]) => {
                const image = new Image();
                image.src = "data:image/png;base64," + png;
                await image.decode();
                const canvas = document.createElement("canvas");
                canvas.width = image.width;
                canvas.height = image.height;
                const context = canvas.getContext("2d");
                context.drawImage(image, 0, 0);
                const data = context.getImageData(0, 0, image.width, image.height).data;
                let found = 0;
                for (let i = 0; i < data.length; i += 4) {
                    const near = Math.abs(data[i] - r) + Math.abs(data[i + 1] - g)
                        + Math.abs(data[i + 2] - b);
                    if (near < 30) found++;
                }
                return found;
            }""",
            [base64.b64encode(shot).decode("ascii"), list(HIGHLIGHT)],
        )
    finally:
        counter.close()


def test_clicking_a_citation_scrolls_to_the_supporting_sentence_highlighted(
    site: tuple[Served, str], source: Served, open_context
) -> None:
    served, post = site
    context, watch = open_context()
    page = context.new_page()
    assert page.goto(served.url(post)).status == 200
    citation = page.locator("sup.cite a").first
    href = citation.get_attribute("href")
    assert href.startswith(source.url(GAZETTE_PAGE.name) + "#:~:text=Under%20the%20plan")

    with page.expect_navigation() as navigation:
        citation.click()  # a user's click: Chromium applies text fragments only then
    assert navigation.value.status == 200
    page.wait_for_function("window.scrollY > 0")

    assert page.evaluate("typeof document.fragmentDirective") == "object"
    assert page.evaluate("location.hash") == ""  # the directive is Chromium's, not the page's
    assert _in_view(page, "fares on the island ferry will rise by a fifth")
    assert not _in_view(page, "fares on the mainland buses stay frozen")
    assert _highlighted_pixels(page, "fares on the island ferry will rise by a fifth") > 500
    assert _highlighted_pixels(page, "fares on the mainland buses stay frozen") == 0
    assert watch.errors == [] and watch.outside() == []


def test_the_sources_list_quotes_the_sentence_without_javascript(
    site: tuple[Served, str], open_context
) -> None:
    served, post = site
    context, watch = open_context(java_script_enabled=False)
    page = context.new_page()
    assert page.goto(served.url(post)).status == 200
    details = page.locator("#sources ~ ol details").first
    quote = details.locator("blockquote")
    assert not quote.is_visible()
    details.locator("summary").click()
    assert quote.is_visible()
    assert quote.inner_text().startswith("Under the plan, fares on the island ferry will rise")
    assert watch.errors == []
