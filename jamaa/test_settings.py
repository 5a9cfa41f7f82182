"""Entry point for pytest: the one settings module, in test mode (JAMAA_ENV=test unless set)."""

import os

os.environ.setdefault("JAMAA_ENV", "test")

from jamaa.settings import *  # noqa: F403

# SQLite: the test database is a file (one per test process, so parallel runs do not collide), not the in-memory
# default: threads in the concurrency tests need a database they really share, and an in-memory database shared
# between connections locks whole tables instead of waiting for the writer (BEGIN IMMEDIATE + busy timeout).
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3" and not DATABASES["default"].get("TEST"):  # noqa: F405
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"jamaa-test-{os.getpid()}.sqlite3")
    }
