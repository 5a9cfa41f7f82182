"""manage.py verify_document: the offline verifier, with a downloaded trust list and no database."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from django.utils.translation import gettext as _

from jamaa.documents import issuance, keys, kinds
from jamaa.documents.tests.conftest import ADDRESS_AR, CIN, HOLDER_AR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_trust_list")]

MANAGE = Path(settings.BASE_DIR) / "manage.py"



@pytest.fixture
def act(issue_act, tmp_path):
    """An issued act, its PDF as a file, and the trust list downloaded from the platform as a verifier would."""
    from django.test import Client

    document = issue_act()
    pdf = tmp_path / "act.pdf"
    with document.pdf.open("rb") as file:
        pdf.write_bytes(file.read())
    response = Client(HTTP_HOST="sale.localhost").get("/.well-known/jamaa/trust-list.json")
    assert response.status_code == 200
    trust = tmp_path / "trust-list.json"
    trust.write_bytes(response.content)
    return document, pdf, trust


def verify(django_db_blocker, *args: str, stdin: str | None = None) -> tuple[int, str]:
    """Run the command with the database blocked: (exit status, output)."""
    out = io.StringIO()
    code = 0
    with django_db_blocker.block():
        if stdin is not None:
            old_stdin, sys.stdin = sys.stdin, io.StringIO(stdin)
        try:
            call_command("verify_document", *args, stdout=out)
        except SystemExit as exc:
            code = int(exc.code or 0)
        finally:
            if stdin is not None:
                sys.stdin = old_stdin
    return code, out.getvalue()


def in_french(message: str) -> str:
    with translation.override("fr"):
        return _(message)


def test_a_genuine_qr_text_is_authentic_and_valid_offline(act, django_db_blocker):
    document, _pdf, trust = act
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--language", "fr", document.qr_url)
    assert code == 0
    assert in_french("AUTHENTIC AND VALID: the document was issued by the commune and not changed since.") in out
    assert HOLDER_AR in out and document.reference in out and "Salé (SAL, sale.localhost)" in out
    with translation.override("fr"):
        cin_label, address_label = str(kinds.fact_label("RES", 1)), str(kinds.fact_label("RES", 2))
        valid_until = f"{issuance.format_date(document.expires_at)} ({_('not expired')})"
    assert f"{cin_label}: {CIN}" in out and f"{address_label}: {ADDRESS_AR}" in out
    assert f"{in_french('Issued on')}: {issuance.format_date(document.issued_at)}" in out
    assert valid_until in out
    assert in_french("not checked offline (a revoked document is only known online)") in out


def test_the_qr_text_can_come_from_stdin(act, django_db_blocker):
    document, _pdf, trust = act
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--json", "-", stdin=document.qr_url + "\n")
    assert code == 0 and json.loads(out)["status"] == "valid"


def test_the_json_output_for_programs(act, django_db_blocker):
    document, _pdf, trust = act
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--json", "--language", "fr",
                       document.qr_url)
    data = json.loads(out)
    assert code == 0
    assert data["status"] == "valid" and data["authentic"] is True and data["reason"] == ""
    assert data["issuer"] == {"code": "SAL", "name": "Salé", "host": "sale.localhost"}
    assert data["kind"] == "RES" and data["reference"] == document.reference and data["holder"] == HOLDER_AR
    facts = {f["key"]: f for f in data["facts"]}
    assert facts[1]["value"] == CIN and facts[2]["value"] == ADDRESS_AR
    assert facts[4]["value"] == "2019-03-01" and facts[4]["display"] == "01/03/2019"
    assert data["issued_at"] == keys.format_time(document.issued_at)
    assert data["expires_at"] == keys.format_time(document.expires_at)
    assert data["expired"] is False and data["registry"] == "not_checked" and data["pdf"] is None


def test_an_expired_act_exits_with_1(act, django_db_blocker):
    document, _pdf, trust = act
    later = keys.format_time(document.expires_at + timedelta(days=1))
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--at", later, "--language", "fr",
                       document.qr_url)
    assert code == 1
    assert in_french("AUTHENTIC, BUT EXPIRED: the document was issued by the commune and not changed since, but "
                     "its validity has ended.") in out
    assert f"({in_french('expired')})" in out


def test_a_changed_qr_text_exits_with_2_and_says_why(act, django_db_blocker):
    document, _pdf, trust = act
    tampered = document.qr_url[:-12] + ("A" if document.qr_url[-12] != "A" else "B") + document.qr_url[-11:]
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--json", tampered)
    data = json.loads(out)
    assert code == 2 and data["status"] == "invalid" and data["authentic"] is False
    assert data["reason"] in {"bad_signature", "malformed"} and data["message"]
    assert data["holder"] is None and data["facts"] == []  # nothing of a forged code is repeated
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--language", "fr", "not a QR code")
    assert code == 2 and "(malformed)" in out and HOLDER_AR not in out


def test_a_qr_text_of_a_commune_missing_from_the_trust_list_is_not_authentic(act, django_db_blocker, tmp_path):
    document, _pdf, trust = act
    data = json.loads(trust.read_text())
    data["communes"] = [c for c in data["communes"] if c["code"] != "SAL"]
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    code, out = verify(django_db_blocker, "--trust-list", str(other), "--json", document.qr_url)
    assert code == 2 and json.loads(out)["reason"] == "unknown_key"


def test_a_genuine_pdf_is_authentic_with_its_seal(act, django_db_blocker):
    document, pdf, trust = act
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--pdf", str(pdf), "--language", "fr")
    assert code == 0
    assert HOLDER_AR in out and document.reference in out
    assert f"{in_french('Sealed by')}: Salé — cachet électronique" in out
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--pdf", str(pdf), "--json")
    seal = json.loads(out)["pdf"]
    assert code == 0 and seal["signed"] and seal["intact"] and seal["whole_file"] and seal["trusted"]


def test_a_changed_pdf_exits_with_2(act, django_db_blocker, tmp_path):
    document, pdf, trust = act
    data = bytearray(pdf.read_bytes())
    data[bytes(data).index(document.reference.encode())] ^= 0x01
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--pdf", str(tampered), "--json")
    result = json.loads(out)
    assert code == 2 and result["reason"] == "modified" and result["pdf"]["intact"] is False
    assert result["holder"] is None
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"not a pdf at all")
    code, out = verify(django_db_blocker, "--trust-list", str(trust), "--pdf", str(garbage), "--language", "fr")
    assert code == 2 and "(not_pdf)" in out


def test_unusable_input_is_an_error_with_status_3(act, django_db_blocker, tmp_path):
    document, pdf, trust = act
    broken = tmp_path / "broken.json"
    broken.write_text('{"version": 1, "communes": "nope"}')
    cases = [
        ("--trust-list", str(tmp_path / "missing.json"), document.qr_url),
        ("--trust-list", str(broken), document.qr_url),
        ("--trust-list", str(trust)),  # nothing to check
        ("--trust-list", str(trust), "--pdf", str(pdf), document.qr_url),  # both
        ("--trust-list", str(trust), "--pdf", str(tmp_path / "missing.pdf")),
        ("--trust-list", str(trust), "--at", "tomorrow", document.qr_url),
    ]
    for args in cases:
        with django_db_blocker.block(), pytest.raises(CommandError) as raised:
            call_command("verify_document", *args, stdout=io.StringIO())
        assert raised.value.returncode == 3, args


def test_the_command_runs_without_any_database(act, tmp_path):
    """As a verifier runs it: its own process, a database that cannot even be opened."""
    document, pdf, trust = act
    env = {**os.environ, "JAMAA_ENV": "development", "JAMAA_VAR_DIR": str(tmp_path / "var"),
           "DATABASE_URL": f"sqlite:///{tmp_path}/no/such/dir/db.sqlite3"}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(MANAGE), "verify_document", "--trust-list", str(trust), *args],
                              capture_output=True, text=True, env=env, check=False, timeout=120)

    ok = run("--json", "--pdf", str(pdf))
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["reference"] == document.reference
    bad = run("--json", "HTTPS://SALE.LOCALHOST/V/AAAA")
    assert bad.returncode == 2 and json.loads(bad.stdout)["reason"] == "malformed"
    usage = run("--no-such-option")
    assert usage.returncode == 3 and "error" in usage.stderr
