"""atheris target: parse_feed on any bytes (see README.md in this folder)."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from fuzz.invariants import check_parse_feed


def test_one_input(data: bytes) -> None:
    check_parse_feed(data)


if __name__ == "__main__":
    fuzz(test_one_input)
