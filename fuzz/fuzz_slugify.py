"""atheris target: slugify on any title, with and without its slug taken already."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from aibot.posts.slugs import slugify
    from fuzz.invariants import check_slugify


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    taken = provider.ConsumeIntInRange(0, 3)
    title = provider.ConsumeUnicodeNoSurrogates(400)
    first = slugify(title)
    check_slugify(title, [first, *(f"{first}-{n}" for n in range(2, taken + 1))][:taken])


if __name__ == "__main__":
    fuzz(test_one_input)
