"""Identifiers a citizen types in a report never reach the public page or Open311 (the filer still sees them)."""

from __future__ import annotations

import pytest

from jamaa.complaints.redact import MASK, public


@pytest.mark.parametrize("text", [
    "اتصلوا بي على 0612345678", "appelez le 06 12 34 56 78 svp", "tel +212 6-12-34-56-78", "رقمي ٠٦١٢٣٤٥٦٧٨",
    "mail: fatima.bennani@example.ma", "ma CIN est AB123456", "بطاقتي K 45678", "whatsapp 0033612345678",
])
def test_phone_numbers_e_mails_and_cin_numbers_are_masked(text: str) -> None:
    masked = public(text)
    assert MASK in masked
    assert not any(ch.isdigit() for ch in masked.split(MASK)[-1][:3])
    assert "@" not in masked and "123456" not in masked and "45678" not in masked


@pytest.mark.parametrize("text", [
    "حفرة كبيرة أمام العمارة رقم 12 زنقة 45", "Lampadaire n° 1234 éteint depuis 3 jours", "Bloc B, immeuble 7",
    "Route 2026 près du km 12", "",
])
def test_ordinary_numbers_and_addresses_are_kept(text: str) -> None:
    assert public(text) == text


@pytest.mark.django_db
def test_the_public_page_and_open311_mask_the_phone_typed_in_a_report_but_the_filer_sees_it(cworld: object) -> None:
    from django.test import Client

    from conftest import host_client
    from jamaa.complaints import services
    from jamaa.complaints.open311_keys import open311_key_issue
    from jamaa.core import tenancy

    w = cworld.w  # type: ignore[attr-defined]
    with tenancy.unscoped():
        complaint = services.complaint_submit(
            commune=w.sale, category=cworld.category("eclairage-panne"),  # type: ignore[attr-defined]
            description="Lampadaire éteint. Appelez-moi au 0661234567 ou fatima@example.ma",
            lat=34.04, lon=-6.80, citizen=w.citizen_sale)
        open311_key_issue(commune=w.sale, name="app", actor=w.admin_sale)
    reference = complaint.case.reference

    public_page = host_client("sale.localhost").get(f"/fr/complaints/{reference}/").content.decode()
    assert "Lampadaire éteint" in public_page
    assert "0661234567" not in public_page and "fatima@example.ma" not in public_page and MASK in public_page

    listing = host_client("sale.localhost").get(f"/open311/v2/requests/{reference}.json").content.decode()
    assert "Lampadaire" in listing and "0661234567" not in listing and "fatima@example.ma" not in listing

    owner: Client = host_client("sale.localhost")
    owner.force_login(w.citizen_sale)
    assert "0661234567" in owner.get(f"/fr/complaints/{reference}/").content.decode()
