"""Fuzzing: the invariants (invariants.py) and one atheris target per fuzzed function."""
