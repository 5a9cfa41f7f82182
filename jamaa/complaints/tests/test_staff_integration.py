"""Complaints beside the e-service cases in the back office: the e-service queue does not mix them in, a complaint's
case page leads to the complaint's page, and the back-office navigation has the complaints."""

from __future__ import annotations

from typing import Any

import pytest

from jamaa.complaints.tests.staff_support import BASE, file_report, says, staff

pytestmark = pytest.mark.django_db


def test_the_e_service_queue_leaves_the_complaints_out(cworld: Any) -> None:
    complaint = file_report(cworld)
    for user in (cworld.hygiene_agent, cworld.w.admin_sale):
        body = staff(user).get("/backoffice/cases/").content.decode()
        assert complaint.reference not in body


def test_the_case_page_of_a_complaint_leads_to_the_complaint_page(cworld: Any) -> None:
    complaint = file_report(cworld)
    response = staff(cworld.hygiene_agent).get(f"/backoffice/cases/{complaint.reference}/")
    assert response.status_code == 302 and response["Location"] == f"{BASE}{complaint.reference}/"
    assert staff(cworld.w.agent_sale).get(f"/backoffice/cases/{complaint.reference}/").status_code == 404


def test_the_navigation_marks_the_complaints_section(cworld: Any) -> None:
    response = staff(cworld.hygiene_agent).get(BASE)
    assert f'<a class="chip" href="{BASE}" aria-current="page">' in response.content.decode()
    assert says(response, "Complaints")
    admin = staff(cworld.w.admin_sale).get(BASE).content.decode()
    for path in ("map/", "categories/", "templates/", "open311-keys/"):
        assert f'href="{BASE}{path}"' in admin
    agent = response.content.decode()
    assert f'href="{BASE}categories/"' not in agent and f'href="{BASE}open311-keys/"' not in agent
