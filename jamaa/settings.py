"""Jamaa settings: one module, read from the environment with strict helpers.

JAMAA_ENV selects the mode: "development" (make demo), "test" (make test) or "production"
(the default, so that a forgotten variable fails loudly instead of running with a dev secret).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JAMAA_VAR_DIR", BASE_DIR / "var"))


def env_str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}.")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd credentials)."""
    direct = os.environ.get(name)
    path = os.environ.get(f"{name}_FILE")
    if direct and path:
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip() or None
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path} cannot be read: {exc}") from None
    return direct or None


JAMAA_ENV = env_str("JAMAA_ENV", "production")
if JAMAA_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"JAMAA_ENV must be development, test or production, not {JAMAA_ENV!r}.")
PRODUCTION = JAMAA_ENV == "production"
TESTING = JAMAA_ENV == "test"
if not PRODUCTION:
    (VAR_DIR / "static").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", JAMAA_ENV == "development")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must not be on in production (JAMAA_ENV=production).")


def _required_in_production(name: str, value: str | None, dev_default: str) -> str:
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(
            f"{name} is not set. Production needs {name} (or {name}_FILE for secrets) in the environment; "
            "see README.md, section Production."
        )
    return dev_default


SECRET_KEY = _required_in_production(
    "SECRET_KEY", env_secret("SECRET_KEY"), "dev-only-insecure-key-" + "x" * 40
)
# Encrypts CIN numbers at rest (Fernet). Separate from SECRET_KEY so that rotating one does not
# make the other's data unreadable.
FIELD_ENCRYPTION_KEY = _required_in_production(
    "FIELD_ENCRYPTION_KEY",
    env_secret("FIELD_ENCRYPTION_KEY"),
    "ZGV2LW9ubHktaW5zZWN1cmUtZmllbGQta2V5LTMyYnk=",
)

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else [".localhost", "localhost", "127.0.0.1", "testserver", ".testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is not set. List the communes' host names, comma-separated.")

# The host that shows the national landing page; any host that is not a commune's shows it too.
PLATFORM_HOST = env_str("PLATFORM_HOST", "localhost")
SITE_SCHEME = env_str("SITE_SCHEME", "https" if PRODUCTION else "http")
# The port of the links the platform writes (messages, receipts, the acts' QR codes) when it is not the scheme's
# default: `make demo` sets it to its port, so a demo QR code opens http://sale.localhost:8000/V/….
SITE_PORT = env_str("SITE_PORT", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "django_htmx",
    "ninja",  # serves the API docs' Swagger UI from our static files (the CSP allows no CDN)
    "django_tasks_db",
    "crontask",
    "jamaa.core",
    "jamaa.notifications",
    "jamaa.catalog",
    "jamaa.cases",
    "jamaa.documents",
    "jamaa.complaints",
    "jamaa.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "jamaa.core.middleware.RequestLogMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "jamaa.core.middleware.CommuneMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "jamaa.core.middleware.UserLanguageMiddleware",
    "jamaa.core.middleware.SessionExpiryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "jamaa.urls"
WSGI_APPLICATION = "jamaa.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:profile"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "jamaa" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jamaa.core.context_processors.jamaa",
            ],
        },
    },
]

# Database: embedded SQLite under var/ unless DATABASE_URL says otherwise. In production a worker keeps its connection
# for a minute (checked before reuse) instead of opening one per request, which cost PostgreSQL pages ~3 ms each.
_database_url = env_str("DATABASE_URL")
if PRODUCTION and not _database_url:
    raise ImproperlyConfigured("DATABASE_URL is not set (postgres://… or sqlite:////absolute/path).")
DATABASES = {
    "default": dj_database_url.parse(
        _database_url or f"sqlite:///{VAR_DIR / 'jamaa.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60 if PRODUCTION else 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if env_bool("SQLITE_FILE_TESTS", False):  # an on-disk test database, to look at it after a run
        DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Lets the login form tell a deactivated account apart from a wrong password.
    "jamaa.core.auth.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
     "OPTIONS": {"user_attributes": ("full_name", "email", "phone")}},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = (
    ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if TESTING
    else ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
)

# Sessions end after inactivity: every request pushes the expiry forward.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 2 * 60 * 60)
STAFF_SESSION_IDLE_SECONDS = env_int("STAFF_SESSION_IDLE_SECONDS", 30 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Failed logins: 5 attempts per account and address, then a 15 minute cool-off.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "jamaa.core.auth.axes_username"
AXES_LOCKOUT_CALLABLE = "jamaa.core.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("AXES_ENABLED", True)

OTP_TOTP_ISSUER = "Jamaa"

# Languages: Arabic first (RTL), French, Standard Moroccan Tamazight in Tifinagh (zgh).
LANG_INFO["zgh"] = {
    "bidi": False,
    "code": "zgh",
    "name": "Standard Moroccan Tamazight",
    "name_local": "ⵜⴰⵎⴰⵣⵉⵖⵜ",
}
LANGUAGE_CODE = "ar"
LANGUAGES = [("ar", _("Arabic")), ("fr", _("French")), ("zgh", _("Tamazight"))]
LOCALE_PATHS = [BASE_DIR / "jamaa" / "locale"]
LANGUAGE_COOKIE_NAME = "jamaa_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
USE_I18N = True
TIME_ZONE = "Africa/Casablanca"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage",
                "OPTIONS": {"location": str(VAR_DIR / "media"), "base_url": "/media/"}},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Citizens' files (case attachments) live outside the static and media trees and are served only by views that
# check who asks.
PRIVATE_MEDIA_ROOT = Path(env_str("PRIVATE_MEDIA_ROOT", str(VAR_DIR / "private")))
CASE_ATTACHMENT_MAX_BYTES = env_int("CASE_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024)

# Issued acts (jamaa.documents): where the commune's seal key (PAdES) comes from. "dev": a local trust anchor and one
# seal per commune generated under DOCUMENT_DEV_PKI_DIR (never in production); "file": PEM files under
# DOCUMENT_SEAL_DIR; "pkcs11": a PKCS#11 module (an HSM or a token). See docs in jamaa/documents/sealing.py.
DOCUMENT_SEAL_SOURCE = env_str("DOCUMENT_SEAL_SOURCE", "file" if PRODUCTION else "dev")
if DOCUMENT_SEAL_SOURCE not in {"dev", "file", "pkcs11"}:
    raise ImproperlyConfigured("DOCUMENT_SEAL_SOURCE must be dev, file or pkcs11.")
if PRODUCTION and DOCUMENT_SEAL_SOURCE == "dev":
    raise ImproperlyConfigured("DOCUMENT_SEAL_SOURCE=dev signs with a development trust anchor: not in production.")
DOCUMENT_DEV_PKI_DIR = Path(env_str("DOCUMENT_DEV_PKI_DIR", str(VAR_DIR / "pki")))
DOCUMENT_SEAL_DIR = Path(env_str("DOCUMENT_SEAL_DIR", str(VAR_DIR / "seal")))
DOCUMENT_SEAL_KEY_PASSWORD = env_secret("DOCUMENT_SEAL_KEY_PASSWORD")
# PEM files of the certificates that anchor the seals (published in the trust list for PDF verification).
DOCUMENT_SEAL_TRUST_ANCHORS = env_list("DOCUMENT_SEAL_TRUST_ANCHORS", [])
# Verifications per client address in 10 minutes: the /verify/ forms and the JSON API (the QR page /V/ is not
# limited: counters scan all day, and a check is cheap).
DOCUMENT_VERIFY_PAGE_LIMIT = env_int("DOCUMENT_VERIFY_PAGE_LIMIT", 60)
DOCUMENT_VERIFY_API_LIMIT = env_int("DOCUMENT_VERIFY_API_LIMIT", 300)

# Complaints (Decree 2-17-265): acknowledgement and answer in calendar days (a deadline on a non-working day moves to
# the next working day); reminders and escalation in working days before the target and the legal date.
COMPLAINT_ACK_DAYS = env_int("COMPLAINT_ACK_DAYS", 15)
COMPLAINT_ANSWER_DAYS = env_int("COMPLAINT_ANSWER_DAYS", 60)
COMPLAINT_REMIND_BEFORE_TARGET = env_int("COMPLAINT_REMIND_BEFORE_TARGET", 2)
COMPLAINT_ESCALATE_BEFORE_LEGAL = env_int("COMPLAINT_ESCALATE_BEFORE_LEGAL", 10)
# Days after the answer without the citizen reopening before the complaint closes by itself.
COMPLAINT_AUTO_CLOSE_DAYS = env_int("COMPLAINT_AUTO_CLOSE_DAYS", 15)
COMPLAINT_DUPLICATE_RADIUS_M = env_int("COMPLAINT_DUPLICATE_RADIUS_M", 50)
COMPLAINT_MAX_PHOTOS = env_int("COMPLAINT_MAX_PHOTOS", 3)
COMPLAINT_MAX_TEXT = env_int("COMPLAINT_MAX_TEXT", 4000)
# Complaints filed without an account, per client address and per phone number or e-mail, per hour.
COMPLAINT_ANONYMOUS_PER_IP_HOUR = env_int("COMPLAINT_ANONYMOUS_PER_IP_HOUR", 10)
COMPLAINT_PER_CONTACT_HOUR = env_int("COMPLAINT_PER_CONTACT_HOUR", 5)
# Open311 requests an application may POST per API key and hour (429 beyond).
COMPLAINT_OPEN311_POSTS_PER_HOUR = env_int("COMPLAINT_OPEN311_POSTS_PER_HOUR", 300)
# The map's background tiles (OpenStreetMap by default; the citizen's browser loads them). Empty: a map without
# background (the pin, the outline and the reports still work), as in the tests, which must not reach the internet.
COMPLAINT_MAP_TILE_URL = env_str("COMPLAINT_MAP_TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
COMPLAINT_MAP_ATTRIBUTION = env_str("COMPLAINT_MAP_ATTRIBUTION", "© OpenStreetMap contributors")
DOCUMENT_SEAL_PKCS11_MODULE = env_str("DOCUMENT_SEAL_PKCS11_MODULE", "")
DOCUMENT_SEAL_PKCS11_TOKEN = env_str("DOCUMENT_SEAL_PKCS11_TOKEN", "")
DOCUMENT_SEAL_PKCS11_PIN = env_secret("DOCUMENT_SEAL_PKCS11_PIN")

# Background work: jobs are rows in the database, run by `manage.py db_worker`; periodic jobs are
# declared with crontask and enqueued by `manage.py crontask`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORKER_HEARTBEAT_MAX_AGE_SECONDS = env_int("WORKER_HEARTBEAT_MAX_AGE_SECONDS", 5 * 60)

# E-mail through Django's backends; SMS through an HTTP gateway (or the console in development).
_email_backend = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.locmem.EmailBackend"
    if TESTING
    else "django.core.mail.backends.console.EmailBackend",
)
_email_options: dict[str, object] = {}
if _email_backend == "django.core.mail.backends.smtp.EmailBackend":
    _email_options = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_secret("EMAIL_HOST_PASSWORD") or "",
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "timeout": env_int("EMAIL_TIMEOUT", 20),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Jamaa <no-reply@jamaa.ma>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

SMS_BACKEND = env_str(
    "SMS_BACKEND",
    "jamaa.notifications.backends.HttpSmsBackend"
    if PRODUCTION
    else "jamaa.notifications.backends.MemorySmsBackend"
    if TESTING
    else "jamaa.notifications.backends.ConsoleSmsBackend",
)
SMS_GATEWAY_URL = env_str("SMS_GATEWAY_URL")
SMS_GATEWAY_TOKEN = env_secret("SMS_GATEWAY_TOKEN")
SMS_SENDER = env_str("SMS_SENDER", "JAMAA")
SMS_GATEWAY_TIMEOUT = env_int("SMS_GATEWAY_TIMEOUT", 10)
if PRODUCTION and SMS_BACKEND == "jamaa.notifications.backends.HttpSmsBackend" and not SMS_GATEWAY_URL:
    raise ImproperlyConfigured("SMS_GATEWAY_URL is not set: the HTTP SMS backend needs the gateway's address.")

# The page that lists sent messages (to read verification codes) exists only in development.
DEV_OUTBOX_PAGE = env_bool("DEV_OUTBOX_PAGE", DEBUG)

def _tile_origin(url: str) -> list[str]:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme in ("http", "https") and parts.netloc else []


# Security headers and Content Security Policy (nonces for the few inline scripts and styles).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:", *_tile_origin(COMPLAINT_MAP_TILE_URL)],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "jamaa.core.views.csrf_failure"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [f"https://{h.lstrip('.')}" for h in ALLOWED_HOSTS])
    if not SECURE_HSTS_PRELOAD:
        # Joining the browsers' HSTS preload list is a decision for the owner of the whole domain, not a default:
        # SECURE_HSTS_PRELOAD=true opts in. Until then the deployment check's reminder is silenced.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]

DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Structured logs: one JSON object per line in production, readable lines in development.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "jamaa.core.logs.JsonFormatter"},
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "json" if PRODUCTION else "plain"),
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING" if TESTING else "INFO"},
        "axes": {"level": "WARNING"},
    },
}

# Verification codes (sign-up, password reset).
VERIFICATION_CODE_TTL_SECONDS = env_int("VERIFICATION_CODE_TTL_SECONDS", 10 * 60)
VERIFICATION_CODE_MAX_ATTEMPTS = env_int("VERIFICATION_CODE_MAX_ATTEMPTS", 5)
VERIFICATION_RESEND_COOLDOWN_SECONDS = env_int("VERIFICATION_RESEND_COOLDOWN_SECONDS", 60)
VERIFICATION_MAX_SENDS_PER_HOUR = env_int("VERIFICATION_MAX_SENDS_PER_HOUR", 5)
STAFF_INVITATION_TTL_DAYS = env_int("STAFF_INVITATION_TTL_DAYS", 7)
