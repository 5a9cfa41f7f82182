"""A retired QR key stays in the trust list until the last document it signed expires (issue 4, section 2), so that
an act issued just before a rotation verifies offline for as long as it is valid, and then the key goes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from jamaa.documents import issuance, services, verification
from jamaa.documents.models import IssuedDocument

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_trust_list")]


def listed_kids(at) -> set[str]:
    return {signing_key.kid for signing_key in services.listed_keys(now=at)}


def status_offline(document: IssuedDocument, at) -> tuple[str, str]:
    result = verification.verify_claims_offline(document.qr_url, services.trust_list(now=at), now=at)
    return result.status, result.reason


def test_a_retired_key_is_listed_until_its_last_document_expires(world, issue_act):
    document = issue_act()
    old = document.signing_key
    assert document.expires_at is not None
    rotated_at = document.issued_at + timedelta(days=1)
    new = services.key_rotate(commune=world.sale, now=rotated_at)
    old.refresh_from_db()
    assert old.valid_until == new.valid_from

    after_window = old.valid_until + timedelta(days=1)
    assert {old.kid, new.kid} <= listed_kids(after_window)  # retired, but its certificate is still valid
    assert status_offline(document, after_window) == ("valid", "")

    last_day = document.expires_at - timedelta(minutes=1)
    assert old.kid in listed_kids(last_day)

    expired = document.expires_at + timedelta(days=1)
    assert old.kid not in listed_kids(expired) and new.kid in listed_kids(expired)
    # Once the key is gone, an offline verifier with a fresh trust list no longer knows the (expired) act.
    assert status_offline(document, expired) == ("invalid", "unknown_key")


def test_a_document_without_an_end_of_validity_keeps_its_key_listed(world, issue_act):
    document = issue_act()
    IssuedDocument.all_communes.filter(pk=document.pk).update(expires_at=None)
    services.key_rotate(commune=world.sale, now=document.issued_at + timedelta(days=1))
    years_later = document.issued_at + timedelta(days=3650)
    assert document.signing_key.kid in listed_kids(years_later)
    # The key is still known: the signature checks (this act's own signed dates say it has expired by then).
    assert status_offline(document, years_later) == ("expired", "")


def test_a_revoked_document_keeps_its_key_listed_until_it_expires_so_it_verifies_as_revoked(world, issue_act):
    document = issue_act()
    issuance.document_revoke(document=document, actor=world.agent_sale, reason="Issued on a wrong address")
    services.key_rotate(commune=world.sale, now=document.issued_at + timedelta(days=1))
    later = document.issued_at + timedelta(days=30)
    assert document.signing_key.kid in listed_kids(later)
    assert verification.with_registry(
        verification.verify_claims_offline(document.qr_url, services.trust_list(now=later), now=later)
    ).status == "revoked"
    assert document.signing_key.kid not in listed_kids(document.expires_at + timedelta(seconds=1))


def test_a_key_of_another_commune_is_not_kept_by_this_communes_documents(world, issue_act):
    document = issue_act()
    temara_key = services.key_rotate(commune=world.temara, now=document.issued_at)
    services.key_rotate(commune=world.temara, now=document.issued_at + timedelta(days=1))
    temara_key.refresh_from_db()
    assert temara_key.kid not in listed_kids(temara_key.valid_until + timedelta(days=1))
    assert document.signing_key.kid in listed_kids(temara_key.valid_until + timedelta(days=1))
