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

# The development seal PKI (jamaa.documents): one per machine and user, shared by the test processes and runs
# (creating RSA-3072 keys takes seconds; `ensure_dev_pki` creates them once, under a file lock).
if "DOCUMENT_DEV_PKI_DIR" not in os.environ:
    import tempfile as _tempfile
    from pathlib import Path as _Path

    DOCUMENT_DEV_PKI_DIR = _Path(_tempfile.gettempdir()) / f"jamaa-test-pki-{os.getuid()}"
    DOCUMENT_DEV_PKI_DIR.mkdir(mode=0o700, exist_ok=True)

# Files written by the tests (attachments, issued acts) go to a temporary directory of the process, not var/.
if "PRIVATE_MEDIA_ROOT" not in os.environ:
    import tempfile as _tempfile
    from pathlib import Path as _Path

    PRIVATE_MEDIA_ROOT = _Path(_tempfile.gettempdir()) / f"jamaa-test-private-{os.getpid()}"

# No map background in the tests: nothing may reach the internet (the pin, the outline and the reports still work).
COMPLAINT_MAP_TILE_URL = ""
