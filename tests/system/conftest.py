"""Fixtures of the system tests: Debian's Chromium, and browser contexts that record every
request (tests/helpers/browser.py)."""

from tests.helpers.browser import browser, open_context  # noqa: F401 - fixtures
