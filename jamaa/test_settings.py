"""Entry point for pytest: the one settings module, in test mode (JAMAA_ENV=test unless set)."""

import os

os.environ.setdefault("JAMAA_ENV", "test")

from jamaa.settings import *  # noqa: F403
