"""atheris target: verify on drafts and sources built from the input."""

from _atheris import INSTRUMENTED, atheris, fuzz

with atheris.instrument_imports(include=INSTRUMENTED):
    from fuzz.invariants import VERIFY_WORDS, check_verify, verify_case


def test_one_input(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)

    def pick(n: int) -> int:
        return provider.ConsumeIntInRange(0, n - 1)

    def words() -> str:
        if provider.ConsumeBool():
            return provider.ConsumeUnicodeNoSurrogates(60)
        return " ".join(VERIFY_WORDS[pick(len(VERIFY_WORDS))] for _ in range(pick(20)))

    check_verify(*verify_case(pick, words))


if __name__ == "__main__":
    fuzz(test_one_input)
