"""Production settings come from the environment, and a missing secret stops start-up with a clear message.

Each case starts a fresh Python process with a clean environment (nothing inherited from the test run)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

BASE_DIR = Path(__file__).resolve().parents[3]
PRINT_SETTING = (
    "import django, os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'jamaa.settings'; django.setup(); "
    "from django.conf import settings; print(repr(getattr(settings, sys.argv[1])))"
)


def run(args: list[str], env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    clean = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "LANG": "C.UTF-8",
             "PYTHONDONTWRITEBYTECODE": "1", "JAMAA_VAR_DIR": str(tmp_path / "var"), **env}
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True,
                          timeout=120, check=False)


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    env: dict[str, str | None] = {
        "JAMAA_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'jamaa.sqlite3'}",
        "ALLOWED_HOSTS": "sale.jamaa.example.ma,temara.jamaa.example.ma,jamaa.example.ma",
        "PLATFORM_HOST": "jamaa.example.ma",
        "SMS_GATEWAY_URL": "https://sms.example.ma/send",
        **overrides,
    }
    return {k: v for k, v in env.items() if v is not None}


def setting(name: str, env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run(["-c", PRINT_SETTING, name], env, tmp_path)


@pytest.mark.parametrize("missing", ["SECRET_KEY", "FIELD_ENCRYPTION_KEY", "DATABASE_URL", "ALLOWED_HOSTS",
                                     "SMS_GATEWAY_URL"])
def test_production_refuses_to_start_without_a_required_setting(tmp_path, missing):
    result = run(["manage.py", "check"], production_env(tmp_path, **{missing: None}), tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{missing} is not set" in result.stderr


def test_the_missing_secret_message_says_how_to_fix_it(tmp_path):
    result = run(["manage.py", "check"], production_env(tmp_path, SECRET_KEY=None), tmp_path)
    assert "Production needs SECRET_KEY (or SECRET_KEY_FILE for secrets) in the environment" in result.stderr
    assert "README.md" in result.stderr


def test_production_is_the_default_when_jamaa_env_is_not_set(tmp_path):
    env = production_env(tmp_path, SECRET_KEY=None)
    del env["JAMAA_ENV"]
    result = run(["manage.py", "check"], env, tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_secret_key_can_come_from_a_file(tmp_path):
    key = secrets.token_urlsafe(64)
    key_file = tmp_path / "secret_key"
    key_file.write_text(key + "\n")
    result = setting("SECRET_KEY", production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(key_file)), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(key)


def test_the_field_encryption_key_can_come_from_a_file(tmp_path):
    key = Fernet.generate_key().decode()
    key_file = tmp_path / "field_key"
    key_file.write_text(key)
    env = production_env(tmp_path, FIELD_ENCRYPTION_KEY=None, FIELD_ENCRYPTION_KEY_FILE=str(key_file))
    result = setting("FIELD_ENCRYPTION_KEY", env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(key)


def test_an_unreadable_secret_file_is_named_in_the_error(tmp_path):
    missing = tmp_path / "nowhere" / "secret_key"
    result = run(["manage.py", "check"], production_env(tmp_path, SECRET_KEY=None, SECRET_KEY_FILE=str(missing)),
                 tmp_path)
    assert result.returncode != 0
    assert f"SECRET_KEY_FILE={missing} cannot be read" in result.stderr


def test_setting_a_secret_both_directly_and_by_file_is_refused(tmp_path):
    key_file = tmp_path / "secret_key"
    key_file.write_text(secrets.token_urlsafe(64))
    result = run(["manage.py", "check"], production_env(tmp_path, SECRET_KEY_FILE=str(key_file)), tmp_path)
    assert result.returncode != 0
    assert "Set either SECRET_KEY or SECRET_KEY_FILE, not both." in result.stderr


def test_debug_cannot_be_switched_on_in_production(tmp_path):
    result = run(["manage.py", "check"], production_env(tmp_path, DEBUG="1"), tmp_path)
    assert result.returncode != 0
    assert "DEBUG must not be on in production" in result.stderr


@pytest.mark.parametrize(("name", "value", "message"), [
    ("JAMAA_ENV", "staging", "JAMAA_ENV must be development, test or production, not 'staging'."),
    ("EMAIL_PORT", "twenty-five", "EMAIL_PORT must be an integer, not 'twenty-five'."),
    ("EMAIL_USE_TLS", "maybe", "EMAIL_USE_TLS must be a boolean (1/0, true/false), not 'maybe'."),
])
def test_a_malformed_variable_is_named_in_the_error(tmp_path, name, value, message):
    result = run(["manage.py", "check"], production_env(tmp_path, **{name: value}), tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def test_production_reads_hosts_database_and_gateway_from_the_environment(tmp_path):
    env = production_env(tmp_path, DATABASE_URL="postgres://jamaa:s3cret@db.internal:5432/jamaa",
                         SMS_SENDER="SALE", EMAIL_HOST="smtp.example.ma", EMAIL_PORT="587", EMAIL_USE_TLS="true")
    script = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'jamaa.settings'; django.setup(); "
        "from django.conf import settings as s; db = s.DATABASES['default']; "
        "print(s.ALLOWED_HOSTS, s.PLATFORM_HOST, db['ENGINE'], db['HOST'], db['NAME'], s.SMS_GATEWAY_URL, "
        "s.SMS_SENDER, s.MAILERS['default']['OPTIONS']['host'], s.MAILERS['default']['OPTIONS']['port'], "
        "s.MAILERS['default']['OPTIONS']['use_tls'], s.DEBUG, s.SESSION_COOKIE_SECURE, s.SECURE_SSL_REDIRECT)"
    )
    result = run(["-c", script], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "['sale.jamaa.example.ma',", "'temara.jamaa.example.ma',", "'jamaa.example.ma']", "jamaa.example.ma",
        "django.db.backends.postgresql", "db.internal", "jamaa", "https://sms.example.ma/send", "SALE",
        "smtp.example.ma", "587", "True", "False", "True", "True",
    ]


def test_deployment_check_is_clean_with_complete_production_settings(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_development_needs_no_secret_and_runs_with_debug(tmp_path):
    result = setting("DEBUG", {"JAMAA_ENV": "development"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
