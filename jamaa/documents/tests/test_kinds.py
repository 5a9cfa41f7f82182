"""Every kind of act issues a document with its own title, key facts and validity; the QR stays small."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta

import pytest
import segno
from django.utils import translation

from jamaa.catalog.models import ActKind
from jamaa.core import calendar, tenancy
from jamaa.documents import kinds
from jamaa.documents.tests.conftest import ADDRESS_AR

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


@pytest.mark.parametrize("kind", [k for k in ActKind.values if k != ActKind.OCCUPATION_PERMIT])
def test_each_kind_of_act_is_issued_with_its_title_and_validity(kind, issue_act, procedures):
    with tenancy.unscoped():
        procedures.residence.act_kind = kind
        procedures.residence.save(update_fields=["act_kind"])
    document = issue_act()
    spec = kinds.spec_for(kind)
    assert document.kind == kind and document.kind_code == spec.code
    assert document.act["kind_code"] == spec.code and document.act["holder"] == document.holder_name
    text = _text(document.pdf.read())
    assert document.reference in text
    # Titled in French by the kind, or by the procedure for "other" acts (the procedure's own name).
    with translation.override("fr"):
        title = "Certificat de résidence" if spec.title_from_procedure else str(spec.title)
    assert title in " ".join(text.split())
    if spec.validity_days is None:
        assert document.expires_at is None
    else:
        last_day = calendar.local_date(document.issued_at) + timedelta(days=spec.validity_days)
        assert calendar.local_date(document.expires_at) == last_day
    # The CIN is a key fact wherever the kind names one.
    keys = {f["key"] for f in document.facts}
    assert all(f.key in keys for f in spec.facts if f.source in (kinds.CIN, "address"))


def test_an_occupation_permit_is_valid_for_the_months_asked(issue_act, procedures):
    with tenancy.unscoped():
        procedures.residence.act_kind = ActKind.OCCUPATION_PERMIT
        procedures.residence.save(update_fields=["act_kind"])
    # The answers the permit's own form asks for (the residence form keeps unknown answers out, so set them after).
    document = issue_act()
    case = document.case
    case.data = {**case.data, "start_date": "2026-12-15", "months": 3, "surface": 12}
    spec = kinds.spec_for(ActKind.OCCUPATION_PERMIT)
    assert kinds.expiry(case, spec, document.issued_at).date() == date(2027, 3, 14)
    case.data["start_date"] = "2027-11-30"
    assert kinds.expiry(case, spec, document.issued_at).date() == date(2028, 2, 28)  # 30 Feb → end of February


def test_the_residence_certificate_qr_fits_version_15_at_level_m_with_a_long_arabic_address(issue_act):
    long_address = (ADDRESS_AR + " الإقامة الكبرى عمارة 14 الطابق الثالث الشقة 9 قرب مدرسة ابن خلدون") * 2
    document = issue_act(address=long_address[:250])
    qr = segno.make(document.qr_url, error="m", boost_error=False)
    assert qr.version <= 15, (qr.version, len(document.qr_url))
    assert qr.mode == "alphanumeric"
