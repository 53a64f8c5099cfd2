"""Counts in words for the command's output: `counted(1, "post")` is "1 post", `counted(3,
"post")` "3 posts", `counted(2, "copy", "copies")` "2 copies"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str = "") -> str:
    """`number` and `noun`, the noun in the plural unless the number is 1 (`plural`, or the
    noun with an s)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
