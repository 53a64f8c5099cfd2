"""A config and a recorder for the preview server's tests."""

from __future__ import annotations

import threading

CONFIG = """\
site:
  title: Harbour Daily
  base_url: https://harbour.example.org/
author:
  name: Quill
"""


class Said(list):
    """What the Preview announced, with a way to wait until a line containing some text."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = threading.Condition()

    def __call__(self, line: str) -> None:
        with self.changed:
            self.append(line)
            self.changed.notify_all()

    def wait_for(self, text: str, timeout: float = 30) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: any(text in line for line in self), timeout)
