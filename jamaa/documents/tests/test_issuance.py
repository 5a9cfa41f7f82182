"""Issuing an act when staff issue it on an approved case: registry row, sealed PDF, signed QR that verifies."""

from __future__ import annotations

import pytest
from django.utils import translation

from jamaa.cases.models import Case, CaseState
from jamaa.cases.workflow import TransitionNotAllowed
from jamaa.core import tenancy
from jamaa.documents import verification
from jamaa.documents.models import DocumentEvent, IssuedDocument, SigningKey
from jamaa.documents.tests.conftest import ADDRESS_AR, CIN, HOLDER_AR

pytestmark = pytest.mark.django_db


def test_issuing_the_act_stores_a_sealed_pdf_whose_qr_verifies(issue_act, world):
    document = issue_act()
    assert document.reference == document.case.reference and document.kind_code == "RES"
    assert document.holder_name == HOLDER_AR and document.citizen is not None
    facts = {f["key"]: f["value"] for f in document.facts}
    assert facts[1] == CIN and facts[2] == ADDRESS_AR and facts[4] == "2019-03-01"
    pdf = document.pdf.read()
    assert pdf.startswith(b"%PDF-1.7") and b"/ByteRange" in pdf and len(pdf) == document.pdf_size
    assert document.qr_url.startswith("HTTPS://SALE.LOCALHOST") or document.qr_url.startswith("HTTP://SALE.LOCALHOST")
    result = verification.verify_qr(document.qr_url)
    assert result.status == "valid" and result.document == document
    assert result.claims is not None and result.claims.holder == HOLDER_AR
    assert DocumentEvent.all_communes.filter(document=document, kind="issued").count() == 1


def test_without_a_signing_key_the_case_stays_approved_with_a_clear_message(issue_act, world):
    SigningKey.all_communes.filter(commune=world.sale).delete()
    with pytest.raises(TransitionNotAllowed) as refused, translation.override("en"):
        issue_act()
    assert "no key to sign acts with yet" in refused.value.message
    with tenancy.unscoped():
        assert Case.all_communes.get().state == CaseState.APPROVED
    assert not IssuedDocument.all_communes.exists()
