"""Browser fixtures for the tests of jamaa/core (defined in browser.py; nothing else belongs here)."""

from jamaa.core.tests.browser import chromium, phone, site

__all__ = ["chromium", "phone", "site"]
