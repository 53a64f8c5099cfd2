"""atheris target: canonical_url on any text."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from fuzz.invariants import check_canonical_url


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    check_canonical_url(provider.ConsumeUnicodeNoSurrogates(len(data)))


if __name__ == "__main__":
    fuzz(test_one_input)
