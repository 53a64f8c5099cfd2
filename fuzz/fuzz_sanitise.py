"""atheris target: Markdown -> HTML (markdown_to_html), raw HTML cleaning (clean_html), and a
post body whose every text came from a writer or a source (render_markdown)."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from aibot.models import Article, Draft, Paragraph, Section
    from fuzz.invariants import check_clean_html, check_markdown_to_html, check_post_body


def test_one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    check_markdown_to_html(text)
    check_clean_html(text)
    article = Article("https://g.example/a", source=text, title=text, text="t")
    draft = Draft("T", "S", [Section(text, [Paragraph(text, [article.id])])], disagreements=[text])
    check_post_body(draft, [article])


if __name__ == "__main__":
    fuzz(test_one_input)
