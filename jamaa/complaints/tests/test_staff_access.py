"""Who may open the complaints back office: anonymous visitors go to the login page, citizens and the other
commune's staff are refused, another department's agent gets a 404, the leadership reads without any form and every
write is refused to it."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import host_client, login_staff
from jamaa.complaints.models import AnswerTemplate, ComplaintState, Open311Key
from jamaa.complaints.tests.staff_support import BASE, file_report, fresh, staff, url
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db

PAGES = ["", "map/", "map/data.json", "categories/", "categories/new/", "templates/", "templates/new/",
         "open311-keys/"]


@pytest.fixture
def complaint(cworld: Any) -> Any:
    return file_report(cworld)


def writes(complaint: Any, category_pk: int) -> list[tuple[str, dict[str, str]]]:
    return [
        (url(complaint, "move"), {"move": "acknowledge"}),
        (url(complaint, "note"), {"text": "x"}),
        (url(complaint, "reroute"), {"department": "1"}),
        (url(complaint, "merge"), {"reference": "SAL-2026-000001"}),
        (f"{BASE}categories/install/", {}),
        (f"{BASE}categories/{category_pk}/", {"name_ar": "x"}),
        (f"{BASE}categories/{category_pk}/routing/", {}),
        (f"{BASE}templates/new/", {"use": "resolve"}),
        (f"{BASE}open311-keys/", {"name": "App"}),
    ]


def test_an_anonymous_visitor_is_sent_to_the_login_page(cworld: Any, complaint: Any) -> None:
    client = host_client("sale.localhost")
    for path in [*(BASE + p for p in PAGES), url(complaint)]:
        response = client.get(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], path
    response = client.post(url(complaint, "move"), {"move": "acknowledge"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert fresh(complaint).state == ComplaintState.RECEIVED


def test_a_citizen_is_refused(cworld: Any, complaint: Any) -> None:
    client = host_client("sale.localhost")
    client.force_login(cworld.w.citizen_sale)
    for path in [*(BASE + p for p in PAGES), url(complaint)]:
        assert client.get(path).status_code == 403, path


def test_the_other_communes_staff_are_refused_on_this_communes_site(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.w.admin_temara)
    for path in [*(BASE + p for p in PAGES), url(complaint)]:
        assert client.get(path).status_code == 403, path
    category = cworld.category("dechets")
    for path, data in writes(complaint, category.pk):
        assert client.post(path, data).status_code == 403, path
    assert fresh(complaint).state == ComplaintState.RECEIVED


def test_a_complaint_of_another_commune_is_a_404(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.w.admin_temara, "temara.localhost")
    assert client.get(url(complaint)).status_code == 404
    assert client.post(url(complaint, "move"), {"move": "acknowledge"}).status_code == 404
    assert client.get(f"{BASE}categories/{cworld.category('dechets').pk}/").status_code == 404
    assert client.get(BASE).status_code == 200
    assert complaint.case.reference not in client.get(BASE).content.decode()
    assert complaint.case.reference not in client.get(f"{BASE}map/data.json").content.decode()


def test_an_agent_of_another_department_gets_a_404(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.w.agent_sale)  # état civil
    assert client.get(url(complaint)).status_code == 404
    assert client.post(url(complaint, "move"), {"move": "acknowledge"}).status_code == 404
    assert client.post(url(complaint, "note"), {"text": "x"}).status_code == 404
    assert complaint.case.reference not in client.get(BASE).content.decode()
    assert complaint.case.reference not in client.get(f"{BASE}map/data.json").content.decode()
    assert fresh(complaint).state == ComplaintState.RECEIVED


def test_the_leadership_reads_without_forms_and_every_write_is_refused(cworld: Any, complaint: Any) -> None:
    client = staff(cworld.w.leader_sale)
    assert complaint.case.reference in client.get(BASE).content.decode()
    body = client.get(url(complaint)).content.decode()
    assert "Les ordures ne sont pas ramassées." in body
    assert 'method="post" action="/backoffice' not in body and 'name="move"' not in body
    for path, data in writes(complaint, cworld.category("dechets").pk):
        assert client.post(path, data).status_code == 403, path
    for path in ("categories/", "templates/", "open311-keys/"):
        assert client.get(BASE + path).status_code == 403, path
    assert fresh(complaint).state == ComplaintState.RECEIVED


def test_agents_do_not_manage_categories_templates_or_keys(cworld: Any) -> None:
    client = staff(cworld.hygiene_agent)
    for path in ("categories/", "categories/new/", "templates/", "templates/new/", "open311-keys/"):
        assert client.get(BASE + path).status_code == 403, path
    assert client.post(BASE + "templates/new/", {"use": "resolve", "title_ar": "x", "title_fr": "x",
                                                 "text_ar": "x", "text_fr": "x"}).status_code == 403
    with tenancy.unscoped():
        assert not AnswerTemplate.all_communes.exists()
        assert not Open311Key.all_communes.exists()


def test_a_member_of_staff_without_the_second_factor_is_sent_to_it(cworld: Any) -> None:
    client = host_client("sale.localhost")
    client.force_login(cworld.w.admin_sale)
    response = client.get(BASE)
    assert response.status_code == 302 and response["Location"].startswith("/backoffice/2fa/")


def test_the_back_office_navigation_has_the_complaints(cworld: Any) -> None:
    body = login_staff(host_client("sale.localhost"), cworld.hygiene_agent).get("/backoffice/cases/").content.decode()
    assert f'href="{BASE}"' in body
