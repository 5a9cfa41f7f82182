"""A report's public page: what anyone reads (the problem, the place, the state, the dates, the public timeline, the
answer, the supporters, the public photos) and what nobody reads there (the filer's name, phone number or e-mail,
staff names, internal notes); grievances and hidden reports only for their filer; each commune's own reports only."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from conftest import host_client
from jamaa.complaints.models import Category, ContactCheck, Photo
from jamaa.complaints.tests.public_fixtures import (
    DESCRIPTION,
    citizen_client,
    detail_url,
    file_grievance,
    file_report,
    jpeg,
    move,
    resolve,
    says,
    staff_client,
    text_of,
    url,
)
from jamaa.core import tenancy
from jamaa.core.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def private_media(settings: Any, tmp_path: Any) -> Any:
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


def confirmed_contact(commune: Any, phone: str) -> ContactCheck:
    now = timezone.now()
    with tenancy.unscoped():
        return ContactCheck.all_communes.create(
            commune=commune, channel="sms", recipient=phone, code_hash="x" * 64, token=secrets.token_urlsafe(32),
            created_at=now, expires_at=now + timedelta(minutes=10), confirmed_at=now)


def test_the_public_page_shows_the_report_without_any_personal_data(cworld: Any) -> None:
    report = file_report(cworld, address="Avenue Hassan II, devant l'école Ibn Khaldoun")
    move(report, "acknowledge", cworld.hygiene_agent, internal_note="Voir avec Rachid demain (note interne)")
    resolve(cworld, report, "Collecte faite ce matin par l'équipe du secteur.")
    with tenancy.unscoped():
        staff = User.objects.filter(memberships__commune=cworld.w.sale).values_list("full_name", flat=True)
        staff_names = [name for name in staff if name]

    response = host_client("sale.localhost").get(detail_url(report))

    assert response.status_code == 200
    page = text_of(response)
    assert DESCRIPTION in page
    assert "Avenue Hassan II, devant l'école Ibn Khaldoun" in page
    assert cworld.category("dechets-non-collectes").name_ar in page
    assert says(response, "Resolved")
    assert "Collecte faite ce matin par l'équipe du secteur." in page
    assert f'datetime="{report.legal_due:%Y-%m-%d}"' in response.content.decode()
    assert says(response, "Complaint received")
    # Nobody: not the filer, not the staff; no internal note, no tracking code.
    citizen = cworld.w.citizen_sale
    for secret in ["Fatima Zahra Bennani", "Bennani", "612345678", citizen.username, *staff_names,
                   "note interne", report.case.tracking_code]:
        assert secret not in response.content.decode(), secret
    assert "Rachid" not in page


def test_a_report_filed_with_a_confirmed_phone_number_shows_neither_name_nor_number(cworld: Any) -> None:
    contact = confirmed_contact(cworld.w.sale, "+212661234567")
    report = file_report(cworld, citizen=None, contact=contact, applicant_name="Khadija Filali")

    response = host_client("sale.localhost").get(detail_url(report))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Khadija" not in content and "Filali" not in content
    assert "661234567" not in content


def test_a_grievance_is_not_found_publicly_but_its_owner_reads_it(cworld: Any) -> None:
    grievance = file_grievance(cworld)
    other = User.objects.create_user("+212600000099", "x-Pass-2026-long", full_name="Autre Citoyen")

    assert host_client("sale.localhost").get(detail_url(grievance)).status_code == 404
    assert citizen_client(other).get(detail_url(grievance)).status_code == 404
    response = citizen_client(cworld.w.citizen_sale).get(detail_url(grievance))
    assert response.status_code == 200
    assert "L'agent du guichet m'a mal reçu." in text_of(response)
    assert says(response, "Only you can see this page: grievances are never published.")


def test_staff_opening_a_grievance_go_to_the_back_office(cworld: Any) -> None:
    grievance = file_grievance(cworld)

    response = staff_client(cworld.w.admin_sale).get(detail_url(grievance))

    assert response.status_code == 302
    assert response["Location"] == url("complaints_staff:detail", reference=grievance.reference)


def test_a_report_in_a_hidden_category_is_not_found_publicly(cworld: Any) -> None:
    with tenancy.unscoped():
        Category.all_communes.filter(pk=cworld.category("dechets-non-collectes").pk).update(is_public=False)
    report = file_report(cworld)

    assert host_client("sale.localhost").get(detail_url(report)).status_code == 404
    response = citizen_client(cworld.w.citizen_sale).get(detail_url(report))
    assert response.status_code == 200
    assert says(response, "This report is not published: only you can see this page.")


def test_another_communes_host_does_not_know_the_report(cworld: Any) -> None:
    report = file_report(cworld)
    temara_report = file_report(cworld, "bruit", commune=cworld.w.temara)

    assert host_client("temara.localhost").get(detail_url(report)).status_code == 404
    assert host_client("sale.localhost").get(detail_url(temara_report)).status_code == 404
    assert host_client("temara.localhost").get(detail_url(temara_report)).status_code == 200
    # Not even Salé's own citizen, on Témara's host.
    assert citizen_client(cworld.w.citizen_sale, "temara.localhost").get(detail_url(report)).status_code == 404


@pytest.mark.parametrize("reference", ["nope", "SAL-2026-999999", "<script>", "SAL-" + "9" * 60])
def test_a_wrong_reference_is_not_found(cworld: Any, reference: str) -> None:
    response = host_client("sale.localhost").get(f"/complaints/{reference}/")
    assert response.status_code == 404


def test_the_page_is_in_french_and_tamazight_too(cworld: Any) -> None:
    report = file_report(cworld)
    for language in ("fr", "zgh"):
        response = host_client("sale.localhost").get(detail_url(report, language))
        assert response.status_code == 200
        assert f'<html lang="{language}" dir="ltr">' in response.content.decode()
        assert says(response, "Where the complaint stands")


def test_a_merged_report_says_where_it_is_followed(cworld: Any) -> None:
    first = file_report(cworld)
    duplicate = file_report(cworld, citizen=cworld.w.citizen_temara)
    with tenancy.unscoped():
        from jamaa.complaints import services

        services.complaint_merge(duplicate=duplicate, into=first, actor=cworld.w.admin_sale)

    response = host_client("sale.localhost").get(detail_url(duplicate))

    assert response.status_code == 200
    assert says(response, "Merged into another report")
    assert f'href="{detail_url(first)}"' in response.content.decode()
    assert "Youssef" not in response.content.decode()


def test_public_photos_are_served_and_hidden_ones_only_to_the_filer(cworld: Any, private_media: Any) -> None:
    report = file_report(cworld, photos=[jpeg(colour="orange"), jpeg(colour="blue", name="plaque.jpg")])
    with tenancy.unscoped():
        shown, hidden = list(Photo.all_communes.filter(complaint=report).select_related("attachment").order_by("id"))
        Photo.all_communes.filter(pk=hidden.pk).update(is_public=False)
    anonymous = host_client("sale.localhost")
    shown_url = url("reports:photo", reference=report.reference, token=shown.attachment.token)
    hidden_url = url("reports:photo", reference=report.reference, token=hidden.attachment.token)

    page = anonymous.get(detail_url(report)).content.decode()
    assert shown_url in page and hidden_url not in page
    full = anonymous.get(shown_url)
    assert full.status_code == 200 and full["Content-Type"] == "image/jpeg"
    small = anonymous.get(shown_url + "?size=small")
    assert small.status_code == 200 and small["Content-Type"] == "image/jpeg"
    assert len(small.content) < shown.attachment.size
    assert anonymous.get(hidden_url).status_code == 404
    assert anonymous.get(url("reports:photo", reference=report.reference, token="0" * 32)).status_code == 404
    assert anonymous.get(f"/complaints/{report.reference}/photos/..%2F..%2Fsecret/").status_code == 404
    assert host_client("temara.localhost").get(shown_url).status_code == 404

    owner = citizen_client(cworld.w.citizen_sale)
    assert hidden_url in owner.get(detail_url(report)).content.decode()
    assert owner.get(hidden_url).status_code == 200


def test_a_grievance_s_photos_are_never_public(cworld: Any, private_media: Any) -> None:
    grievance = file_grievance(cworld)
    response = host_client("sale.localhost").get(
        url("reports:photo", reference=grievance.reference, token="a" * 32))
    assert response.status_code == 404


def test_the_page_is_light_and_works_without_a_tile_server(cworld: Any, settings: Any) -> None:
    settings.COMPLAINT_MAP_TILE_URL = ""
    report = file_report(cworld)
    response = host_client("sale.localhost").get(detail_url(report))
    content = response.content.decode()
    assert 'data-report-map="one"' in content and "report-map-config" in content
    assert len(response.content) < 30_000
    assert ' style="' not in content
