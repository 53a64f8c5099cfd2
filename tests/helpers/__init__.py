"""Helpers shared by several test modules (no test module imports another)."""

from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
