"""atheris target: a post file's bytes -> Post or PostError; a read post saves and reads back."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from fuzz.invariants import check_post_bytes


def test_one_input(data: bytes) -> None:
    check_post_bytes(data)


if __name__ == "__main__":
    fuzz(test_one_input)
