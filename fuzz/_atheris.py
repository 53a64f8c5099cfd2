"""What every atheris target shares: the repository on sys.path, and the fuzzing loop."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import atheris  # noqa: E402

# Coverage feedback from AiBot and the parsers it hands strangers' input to.
INSTRUMENTED = ["aibot", "fuzz", "feedparser", "yaml", "slugify", "html5lib"]


def fuzz(test_one_input: Callable[[bytes], None]) -> None:
    """Run libFuzzer with the command line's options (-runs=N, -max_total_time=S, corpus dirs)."""
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
