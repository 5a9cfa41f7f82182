"""The staff queue: who sees which cases, filters, most urgent first with keyset pages, deadline colours in words,
bulk assignment, and a constant number of queries per page."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape

from conftest import login_staff
from jamaa.cases.models import Case, CaseState
from jamaa.cases.queue import PAGE_SIZE, Cursor
from jamaa.core import calendar, tenancy

QUEUE = "/backoffice/cases/"


def tr(message: str, language: str = "ar") -> str:
    with translation.override(language):
        return escape(translation.gettext(message))


def references(body: str) -> list[str]:
    return re.findall(r'<bdi dir="ltr" class="ref">(SAL-\d{4}-\d{6})</bdi></a></th>', body)


def today() -> datetime.date:
    return calendar.local_date(timezone.now())


def test_an_anonymous_visitor_is_sent_to_the_login_page(world, sale_client):
    response = sale_client.get(QUEUE)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_staff_of_another_commune_are_refused(world, sale_client):
    login_staff(sale_client, world.agent_temara)
    assert sale_client.get(QUEUE).status_code == 403


def test_a_citizen_is_refused(world, sale_client):
    sale_client.force_login(world.citizen_sale)
    assert sale_client.get(QUEUE).status_code == 403


def test_an_agent_sees_the_open_cases_of_their_department_only(world, procedures, staff_make_case,
                                                                staff_agent_client):
    mine = staff_make_case()
    returned = staff_make_case(state=CaseState.RETURNED)
    urbanisme = staff_make_case(procedure=procedures.sale_building)
    closed = staff_make_case(state=CaseState.CLOSED)
    draft = staff_make_case(state=CaseState.DRAFT, reference="", number=None)
    body = staff_agent_client.get(QUEUE).content.decode()
    shown = references(body)
    assert mine.reference in shown and returned.reference in shown
    assert urbanisme.reference not in shown
    assert closed.reference not in shown
    assert len(shown) == 2 and draft.pk
    assert 'name="department"' not in body  # one department: no department filter


def test_the_administrator_sees_every_department_and_can_filter_one(world, procedures, staff_make_case,
                                                                   staff_admin_client):
    civil = staff_make_case()
    urbanisme = staff_make_case(procedure=procedures.sale_building)
    body = staff_admin_client.get(QUEUE).content.decode()
    assert set(references(body)) == {civil.reference, urbanisme.reference}
    body = staff_admin_client.get(QUEUE, {"department": world.sale_urbanisme.pk}).content.decode()
    assert references(body) == [urbanisme.reference]


def test_the_state_filter_shows_decided_cases_on_demand(world, staff_make_case, staff_agent_client):
    staff_make_case()
    approved = staff_make_case(state=CaseState.APPROVED)
    assert references(staff_agent_client.get(QUEUE, {"state": "approved"}).content.decode()) == [approved.reference]
    assert len(references(staff_agent_client.get(QUEUE, {"state": "all"}).content.decode())) == 2


def test_filters_by_procedure_arrondissement_and_assignment_combine(world, procedures, staff_make_case,
                                                                    staff_admin_client):
    with tenancy.scope(world.sale):
        from jamaa.core.models import Arrondissement

        bettana = Arrondissement.objects.get(slug="bettana")
    target = staff_make_case(arrondissement=bettana, assigned_to=world.admin_sale)
    staff_make_case(arrondissement=bettana)
    staff_make_case(assigned_to=world.admin_sale)
    staff_make_case(procedure=procedures.sale_building, arrondissement=bettana, assigned_to=world.admin_sale)
    body = staff_admin_client.get(QUEUE, {
        "procedure": procedures.sale_residence.pk, "arrondissement": bettana.pk, "assigned": "me",
    }).content.decode()
    assert references(body) == [target.reference]
    unassigned = references(staff_admin_client.get(QUEUE, {"assigned": "none"}).content.decode())
    assert target.reference not in unassigned and len(unassigned) == 1


def test_overdue_and_due_soon_filters_follow_working_days(world, staff_make_case, staff_agent_client):
    soon_limit = calendar.add_working_days(world.sale, today(), 3)
    overdue = staff_make_case(due_date=today() - datetime.timedelta(days=1))
    soon = staff_make_case(due_date=soon_limit)
    later = staff_make_case(due_date=soon_limit + datetime.timedelta(days=1))
    staff_make_case(state=CaseState.RETURNED, due_date=today() - datetime.timedelta(days=5))  # suspended
    assert references(staff_agent_client.get(QUEUE, {"overdue": "on"}).content.decode()) == [overdue.reference]
    assert references(staff_agent_client.get(QUEUE, {"soon": "on"}).content.decode()) == [soon.reference]
    both = references(staff_agent_client.get(QUEUE, {"overdue": "on", "soon": "on"}).content.decode())
    assert both == [overdue.reference, soon.reference]
    assert later.reference not in both


def test_the_due_date_is_told_in_words_and_colour(world, staff_make_case, staff_agent_client):
    staff_make_case(due_date=today() - datetime.timedelta(days=2))
    staff_make_case(due_date=today())
    staff_make_case(due_date=today() + datetime.timedelta(days=40))
    staff_make_case(state=CaseState.RETURNED)
    body = staff_agent_client.get(QUEUE).content.decode()
    assert f'<span class="badge badge--danger">{tr("Overdue")}</span>' in body
    assert f'<span class="badge badge--warning">{tr("Due soon")}</span>' in body
    assert f'<span class="badge badge--neutral">{tr("On time")}</span>' in body
    assert f'<span class="badge badge--neutral">{tr("Suspended while returned")}</span>' in body


def test_rows_show_the_applicant_but_never_a_cin(world, staff_make_case, staff_agent_client):
    staff_make_case(protected_data='{"cin": "AB123456"}')
    counter = staff_make_case(citizen=None, applicant_name="Hassan Guichet", channel="counter")
    body = staff_agent_client.get(QUEUE).content.decode()
    assert "Fatima Zahra Bennani" in body
    assert "Hassan Guichet" in body and counter.reference in body
    assert "AB123456" not in body and "123456" not in body.replace("SAL-2026-", "")


def test_pages_follow_the_due_date_then_the_id_without_gaps_or_repeats(world, staff_make_case, staff_agent_client):
    base = today() + datetime.timedelta(days=10)
    states = (CaseState.SUBMITTED, CaseState.RETURNED, CaseState.IN_REVIEW)  # read per state, then merged
    made = [staff_make_case(due_date=base + datetime.timedelta(days=i % 7), state=states[i % 3])
            for i in range(PAGE_SIZE * 2 + 7)]
    made.append(staff_make_case(due_date=None, state=CaseState.IN_REVIEW))
    expected = [c.reference for c in sorted(made, key=lambda c: (c.due_date is None, c.due_date or base, c.pk))]
    seen: list[str] = []
    url, params = QUEUE, {"procedure": str(made[0].procedure_id)}
    for _page in range(5):
        body = staff_agent_client.get(url, params).content.decode()
        seen += references(body)
        match = re.search(r'href="\?([^"]*cursor=[^"]*)" rel="next"', body)
        if not match:
            break
        assert "procedure=" in match.group(1)  # the filters stay in the link
        url, params = QUEUE + "?" + match.group(1).replace("&amp;", "&"), {}
    assert seen == expected


def test_a_malformed_cursor_or_filter_shows_the_first_page(world, staff_make_case, staff_agent_client):
    case = staff_make_case()
    for params in ({"cursor": "garbage"}, {"cursor": "2026-99-99_1"}, {"cursor": "x" * 500},
                   {"procedure": "abc"}, {"state": "nope"}, {"arrondissement": "99999999"}):
        response = staff_agent_client.get(QUEUE, params)
        assert response.status_code == 200, params
        assert case.reference in response.content.decode()


def test_a_cursor_round_trips():
    assert Cursor.decode(Cursor(datetime.date(2026, 3, 1), 42).encode()) == Cursor(datetime.date(2026, 3, 1), 42)
    assert Cursor.decode(Cursor(None, 7).encode()) == Cursor(None, 7)


def test_a_case_without_due_date_comes_last(world, staff_make_case, staff_admin_client):
    undated = staff_make_case(due_date=None)
    dated = staff_make_case()
    assert references(staff_admin_client.get(QUEUE).content.decode()) == [dated.reference, undated.reference]


@pytest.mark.parametrize("client_fixture", ["staff_agent_client", "staff_admin_client"])
def test_the_queue_runs_a_constant_number_of_queries(request, world, procedures, staff_make_case, client_fixture):
    client = request.getfixturevalue(client_fixture)
    staff_make_case(assigned_to=world.agent_sale)
    client.get(QUEUE)
    with CaptureQueriesContext(connection) as one:
        assert client.get(QUEUE).status_code == 200
    for i in range(59):
        staff_make_case(assigned_to=world.agent_sale if i % 2 else None,
                        due_date=today() + datetime.timedelta(days=i))
    with CaptureQueriesContext(connection) as many:
        body = client.get(QUEUE).content.decode()
    assert len(references(body)) == PAGE_SIZE
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_leadership_reads_the_queue_without_assignment(world, staff_make_case, staff_leader_client):
    case = staff_make_case()
    body = staff_leader_client.get(QUEUE).content.decode()
    assert case.reference in body
    assert 'name="cases"' not in body and "/backoffice/cases/assign/" not in body


# --- bulk assignment --------------------------------------------------------------------------------------------


def test_bulk_assignment_assigns_the_selected_cases_and_says_so(world, staff_make_case, staff_head_client):
    first, second, untouched = staff_make_case(), staff_make_case(), staff_make_case()
    response = staff_head_client.post("/backoffice/cases/assign/", {
        "cases": [first.pk, second.pk], "assignee": world.agent_sale.pk, "next": QUEUE + "?state=all",
    }, follow=True)
    assert response.redirect_chain[-1][0] == QUEUE + "?state=all"
    assert "Karim Agent" in response.content.decode()
    with tenancy.unscoped():
        assert {c.assigned_to_id for c in Case.all_communes.filter(pk__in=[first.pk, second.pk])} == {
            world.agent_sale.pk}
        assert Case.all_communes.get(pk=untouched.pk).assigned_to_id is None


def test_bulk_assignment_refuses_someone_of_another_department(world, procedures, staff_make_case,
                                                               staff_admin_client, staff_urbanisme_agent):
    case = staff_make_case()
    response = staff_admin_client.post("/backoffice/cases/assign/", {
        "cases": [case.pk], "assignee": staff_urbanisme_agent.pk}, follow=True)
    assert "Rachid Urbanisme" in response.content.decode()  # named in the refusal
    assert 'class="flash flash--error"' in response.content.decode()
    with tenancy.unscoped():
        assert Case.all_communes.get(pk=case.pk).assigned_to_id is None


def test_bulk_assignment_refuses_staff_of_another_commune(world, staff_make_case, staff_head_client):
    case = staff_make_case()
    response = staff_head_client.post("/backoffice/cases/assign/", {
        "cases": [case.pk], "assignee": world.agent_temara.pk}, follow=True)
    assert 'class="flash flash--error"' in response.content.decode()
    with tenancy.unscoped():
        assert Case.all_communes.get(pk=case.pk).assigned_to_id is None


def test_bulk_assignment_refuses_another_departments_cases(world, procedures, staff_make_case, staff_agent_client):
    other = staff_make_case(procedure=procedures.sale_building)
    response = staff_agent_client.post("/backoffice/cases/assign/", {
        "cases": [other.pk], "assignee": world.agent_sale.pk}, follow=True)
    assert 'class="flash flash--error"' in response.content.decode()
    with tenancy.unscoped():
        assert Case.all_communes.get(pk=other.pk).assigned_to_id is None


def test_bulk_assignment_without_a_selection_says_what_to_do(world, staff_head_client):
    response = staff_head_client.post("/backoffice/cases/assign/", {"assignee": world.agent_sale.pk,
                                                                    "cases": ["x"]}, follow=True)
    assert response.status_code == 200
    assert tr("Select at least one case to assign.") in response.content.decode()


def test_the_leadership_cannot_assign(world, staff_make_case, staff_leader_client):
    case = staff_make_case()
    response = staff_leader_client.post("/backoffice/cases/assign/", {"cases": [case.pk],
                                                                      "assignee": world.agent_sale.pk})
    assert response.status_code == 403
