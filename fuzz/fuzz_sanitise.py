"""atheris target: Markdown -> HTML (markdown_to_html) and raw HTML cleaning (clean_html)."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from fuzz.invariants import check_clean_html, check_markdown_to_html


def test_one_input(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
    check_markdown_to_html(text)
    check_clean_html(text)


if __name__ == "__main__":
    fuzz(test_one_input)
