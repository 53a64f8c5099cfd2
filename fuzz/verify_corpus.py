"""Print verify's review of a fixed pseudo-random corpus of drafts, one line each.

tests/system/test_fuzz.py runs it under several PYTHONHASHSEED values: the lines must not change.
    python fuzz/verify_corpus.py [count]
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aibot.write.verify import verify  # noqa: E402
from fuzz.invariants import VERIFY_WORDS, verify_case  # noqa: E402


def main(count: int) -> None:
    rng = random.Random(20260310)

    def words() -> str:
        return " ".join(rng.choice(VERIFY_WORDS) for _ in range(rng.randrange(25)))

    for _ in range(count):
        draft, articles = verify_case(rng.randrange, words)
        review = verify(draft, articles)
        print(review.status, review.notes)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
