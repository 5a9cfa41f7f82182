"""The administrator adopts procedures from the national catalogue and sets the commune's deadline (never longer
than the law's), fees, delivering department and instructions; unpublishes and republishes them. Other roles are
refused, another commune's adoptions do not exist here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.html import escape

from conftest import host_client, login_staff
from jamaa.catalog import services
from jamaa.catalog.models import Category, CommuneProcedure, Procedure
from jamaa.core import tenancy
from jamaa.core.models import AuditEvent, Department

ADOPT_LIFE = "/backoffice/procedures/adopt/life-certificate/"


def tr(message: str, language: str = "ar", **params: object) -> str:
    with translation.override(language):
        text = translation.gettext(message)
    return escape(text % params if params else text)


@pytest.fixture
def admin_client(world, sale_client: Client) -> Client:
    return login_staff(sale_client, world.admin_sale)


def form_data(world, **overrides) -> dict:
    data = {"department": world.sale_etat_civil.pk, "deadline_amount": "2", "fees_mad": "10",
            "instructions_ar": "تعليمات", "instructions_fr": "Consignes", "instructions_zgh": "",
            "is_published": "on"}
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def adoptions_of(commune, procedure) -> int:
    return CommuneProcedure.all_communes.filter(commune=commune, procedure=procedure).count()


# --- the list ------------------------------------------------------------------------------------------------


def test_the_index_lists_adopted_procedures_and_those_still_to_adopt(procedures, admin_client):
    response = admin_client.get("/fr/backoffice/procedures/")
    body = response.content.decode()
    assert response.status_code == 200
    assert f'href="/fr/backoffice/procedures/{procedures.sale_residence.pk}/"' in body
    assert f'href="/fr/backoffice/procedures/{procedures.sale_building.pk}/"' in body
    assert f"/backoffice/procedures/{procedures.temara_residence.pk}/" not in body
    assert 'href="/fr/backoffice/procedures/adopt/life-certificate/"' in body
    assert "/adopt/residence-certificate/" not in body
    assert tr("Published", "fr") in body


def test_the_index_costs_the_same_queries_whatever_the_number_of_procedures(procedures, world, admin_client):
    admin_client.get("/fr/backoffice/procedures/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/fr/backoffice/procedures/")
    with tenancy.unscoped():
        category = Category.objects.create(slug="divers", name_ar="متفرقات", name_fr="Divers", position=5)
        for i in range(12):
            procedure = Procedure.objects.create(
                slug=f"extra-{i}", name_ar=f"مسطرة {i}", name_fr=f"Procédure {i}", description_ar="وصف",
                description_fr="Description", category=category, legal_basis_ar="قانون", legal_basis_fr="Loi",
                deadline_amount=10, department_code="etat-civil")
            if i % 2:
                CommuneProcedure.all_communes.create(commune=world.sale, procedure=procedure,
                                                     department=world.sale_urbanisme, is_published=False)
    with CaptureQueriesContext(connection) as many:
        body = admin_client.get("/fr/backoffice/procedures/").content.decode()
    assert "Procédure 11" in body and "/adopt/extra-0/" in body
    assert len(many.captured_queries) == len(few.captured_queries)


# --- adopting ------------------------------------------------------------------------------------------------


def test_the_adopt_form_defaults_to_the_department_named_by_the_catalogue(procedures, world, admin_client):
    body = admin_client.get("/fr" + ADOPT_LIFE).content.decode()
    assert f'<option value="{world.sale_etat_civil.pk}" selected>' in body
    assert f'value="{world.temara_etat_civil.pk}"' not in body
    assert "Certificat de vie" in body


def test_adopting_a_procedure_publishes_it_on_the_communes_site(procedures, world, admin_client, sale_client):
    response = admin_client.post(ADOPT_LIFE, form_data(world), follow=True)
    assert response.redirect_chain[-1][0] == "/backoffice/procedures/"
    adoption = CommuneProcedure.all_communes.get(commune=world.sale, procedure=procedures.life)
    assert adoption.department == world.sale_etat_civil
    assert adoption.deadline_amount == 2 and adoption.fees_mad == Decimal("10")
    assert adoption.instructions_fr == "Consignes" and adoption.is_published
    event = AuditEvent.all_communes.get(action="procedure.adopted")
    assert event.commune == world.sale and event.actor == world.admin_sale
    assert event.target_id == str(adoption.pk)
    # It now exists on Salé's site, and still not on Témara's.
    assert host_client("sale.localhost").get("/fr/procedures/life-certificate/").status_code == 200
    assert host_client("temara.localhost").get("/fr/procedures/life-certificate/").status_code == 404


def test_empty_deadline_and_fees_apply_the_catalogues_values(procedures, world, admin_client):
    admin_client.post(ADOPT_LIFE, form_data(world, deadline_amount="", fees_mad=""))
    adoption = CommuneProcedure.all_communes.get(commune=world.sale, procedure=procedures.life)
    assert adoption.deadline_amount is None and adoption.fees_mad is None
    assert adoption.effective_deadline_amount == 3


def test_fees_with_a_decimal_comma_are_read(procedures, world, admin_client):
    admin_client.post(ADOPT_LIFE, form_data(world, fees_mad="12,50"))
    assert CommuneProcedure.all_communes.get(commune=world.sale, procedure=procedures.life).fees_mad == \
        Decimal("12.50")


def test_adopting_unpublished_keeps_it_off_the_site(procedures, world, admin_client):
    admin_client.post(ADOPT_LIFE, form_data(world, is_published=None))
    assert CommuneProcedure.all_communes.get(commune=world.sale, procedure=procedures.life).is_published is False
    assert host_client("sale.localhost").get("/fr/procedures/life-certificate/").status_code == 404


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"deadline_amount": "4"}, "deadline_amount",
     "The commune may shorten the deadline, not lengthen it: the legal deadline is %(deadline)s."),
    ({"deadline_amount": "0"}, "deadline_amount",
     "The deadline is at least one day. Leave it empty to apply the legal deadline."),
    ({"deadline_amount": "quatre"}, "deadline_amount", "Enter a whole number of days, or leave it empty."),
    ({"deadline_amount": "9" * 40}, "deadline_amount",
     "The commune may shorten the deadline, not lengthen it: the legal deadline is %(deadline)s."),
    ({"fees_mad": "-5"}, "fees_mad", "Fees cannot be negative. Enter 0 for a free procedure."),
    ({"fees_mad": "vingt"}, "fees_mad", "Enter an amount in dirhams, for example 20 or 12.50."),
    ({"fees_mad": "1e400"}, "fees_mad", None),
    ({"fees_mad": "NaN"}, "fees_mad", "Enter an amount in dirhams, for example 20 or 12.50."),
    ({"department": "999999"}, "department", "Choose one of this commune's active departments."),
    ({"department": "abc"}, "department", "Choose one of this commune's active departments."),
    ({"department": ""}, "department", "Choose the department that delivers this procedure."),
])
def test_bad_values_are_form_errors_and_nothing_is_adopted(procedures, world, admin_client, overrides, field,
                                                           message):
    response = admin_client.post("/fr" + ADOPT_LIFE, form_data(world, **overrides))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in body
    if message:
        with translation.override("fr"):
            params = {"deadline": translation.ngettext("%(count)d working day", "%(count)d working days", 3)
                      % {"count": 3}} if "%(" in message else {}
        assert tr(message, "fr", **params) in body
    assert 'value="Consignes"' in body or "Consignes</textarea>" in body  # what was typed is kept
    assert adoptions_of(world.sale, procedures.life) == 0


def test_another_communes_department_is_refused(procedures, world, admin_client):
    response = admin_client.post("/fr" + ADOPT_LIFE, form_data(world, department=world.temara_etat_civil.pk))
    assert response.status_code == 200
    assert tr("Choose one of this commune's active departments.", "fr") in response.content.decode()
    assert adoptions_of(world.sale, procedures.life) == 0


def test_an_inactive_department_is_refused(procedures, world, admin_client):
    Department.all_communes.filter(pk=world.sale_urbanisme.pk).update(is_active=False)
    response = admin_client.post("/fr" + ADOPT_LIFE, form_data(world, department=world.sale_urbanisme.pk))
    assert tr("Choose one of this commune's active departments.", "fr") in response.content.decode()
    assert adoptions_of(world.sale, procedures.life) == 0


def test_a_stale_second_submission_adopts_once_and_says_so(procedures, world, admin_client):
    admin_client.post(ADOPT_LIFE, form_data(world))
    response = admin_client.post("/fr" + ADOPT_LIFE, form_data(world, fees_mad="99"), follow=True)
    adoption = CommuneProcedure.all_communes.get(commune=world.sale, procedure=procedures.life)
    assert response.redirect_chain[-1][0] == f"/fr/backoffice/procedures/{adoption.pk}/"
    assert tr("This commune had already adopted this procedure: nothing was added. Its settings are shown here.",
              "fr") in response.content.decode()
    assert adoptions_of(world.sale, procedures.life) == 1
    assert adoption.fees_mad == Decimal("10")


def test_the_service_refuses_a_second_adoption_with_the_existing_one(procedures, world):
    with pytest.raises(services.AlreadyAdopted) as refused:
        services.procedure_adopt(commune=world.sale, actor=world.admin_sale, procedure=procedures.residence,
                                 department=world.sale_etat_civil)
    assert refused.value.adoption == procedures.sale_residence


def test_opening_the_adopt_form_of_an_adopted_procedure_leads_to_its_settings(procedures, admin_client):
    response = admin_client.get("/backoffice/procedures/adopt/residence-certificate/")
    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/procedures/{procedures.sale_residence.pk}/"


def test_an_unknown_or_withdrawn_procedure_cannot_be_adopted(procedures, admin_client):
    assert admin_client.get("/backoffice/procedures/adopt/no-such-thing/").status_code == 404
    Procedure.objects.filter(pk=procedures.life.pk).update(is_active=False)
    assert admin_client.get(ADOPT_LIFE).status_code == 404


# --- editing, unpublishing -----------------------------------------------------------------------------------


def test_editing_the_communes_values(procedures, world, admin_client):
    url = f"/fr/backoffice/procedures/{procedures.sale_residence.pk}/"
    body = admin_client.get(url).content.decode()
    assert 'value="5"' in body and "Présentez votre CIN au retrait." in body
    response = admin_client.post(url, form_data(world, deadline_amount="7", fees_mad="0"))
    assert response.status_code == 302
    adoption = CommuneProcedure.all_communes.get(pk=procedures.sale_residence.pk)
    assert adoption.deadline_amount == 7 and adoption.fees_mad == Decimal("0")
    event = AuditEvent.all_communes.get(action="procedure.adoption_updated")
    assert "deadline_amount" in event.details["changed"] and "fees_mad" in event.details["changed"]


def test_editing_refuses_a_deadline_longer_than_the_law(procedures, world, admin_client):
    url = f"/fr/backoffice/procedures/{procedures.sale_residence.pk}/"
    response = admin_client.post(url, form_data(world, deadline_amount="11"))
    assert response.status_code == 200
    assert 'id="id_deadline_amount_error"' in response.content.decode()
    assert CommuneProcedure.all_communes.get(pk=procedures.sale_residence.pk).deadline_amount == 5


def test_unpublishing_removes_the_procedure_from_the_site_and_republishing_brings_it_back(procedures, world,
                                                                                          admin_client):
    url = f"/backoffice/procedures/{procedures.sale_residence.pk}/publication/"
    public = host_client("sale.localhost")
    response = admin_client.post(url, {"published": "0"})
    assert response.status_code == 302
    assert public.get("/fr/procedures/residence-certificate/").status_code == 404
    assert AuditEvent.all_communes.filter(action="procedure.unpublished", commune=world.sale).count() == 1
    admin_client.post(url, {"published": "1"})
    assert public.get("/fr/procedures/residence-certificate/").status_code == 200
    assert AuditEvent.all_communes.filter(action="procedure.republished", commune=world.sale).count() == 1


def test_publication_answers_only_post(procedures, admin_client):
    url = f"/backoffice/procedures/{procedures.sale_residence.pk}/publication/"
    assert admin_client.get(url).status_code == 405


# --- who may ---------------------------------------------------------------------------------------------------


def _urls(procedures) -> list[str]:
    pk = procedures.sale_residence.pk
    return ["/backoffice/procedures/", ADOPT_LIFE, f"/backoffice/procedures/{pk}/",
            f"/backoffice/procedures/{pk}/publication/"]


@pytest.mark.parametrize("who", ["agent_sale", "head_sale", "leader_sale"])
def test_other_roles_are_refused(procedures, world, sale_client, who):
    login_staff(sale_client, getattr(world, who))
    for url in _urls(procedures):
        assert sale_client.get(url).status_code == 403, url
        assert sale_client.post(url, form_data(world, published="0")).status_code == 403, url
    assert adoptions_of(world.sale, procedures.life) == 0
    assert CommuneProcedure.all_communes.get(pk=procedures.sale_residence.pk).is_published


def test_anonymous_visitors_are_sent_to_log_in(procedures, world, sale_client):
    for url in _urls(procedures):
        response = sale_client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert sale_client.post(ADOPT_LIFE, form_data(world)).status_code == 302
    assert adoptions_of(world.sale, procedures.life) == 0


def test_a_citizen_is_refused(procedures, world, sale_client):
    sale_client.force_login(world.citizen_sale)
    assert sale_client.get("/backoffice/procedures/").status_code == 403


def test_another_communes_admin_does_not_see_this_communes_adoptions(procedures, world, temara_client):
    login_staff(temara_client, world.admin_temara)
    pk = procedures.sale_residence.pk
    assert temara_client.get(f"/backoffice/procedures/{pk}/").status_code == 404
    assert temara_client.post(f"/backoffice/procedures/{pk}/", form_data(world)).status_code == 404
    assert temara_client.post(f"/backoffice/procedures/{pk}/publication/", {"published": "0"}).status_code == 404
    assert CommuneProcedure.all_communes.get(pk=pk).is_published
    body = temara_client.get("/backoffice/procedures/").content.decode()
    assert f"/backoffice/procedures/{pk}/" not in body


def test_another_communes_admin_is_refused_on_this_communes_site(procedures, world, sale_client):
    login_staff(sale_client, world.admin_temara)
    assert sale_client.get("/backoffice/procedures/").status_code == 403


def test_two_adoptions_racing_leave_one_and_the_loser_gets_the_winners(procedures, world, monkeypatch):
    # The second submission passed its "already adopted?" check before the first one was saved: the database's
    # unique constraint decides, and the loser is told about the winner's adoption instead of failing.
    winner = CommuneProcedure.all_communes.create(commune=world.sale, procedure=procedures.life,
                                                  department=world.sale_etat_civil)
    real_check = services._existing_adoption
    calls: list[int] = []

    def stale_first_check(commune, procedure):
        calls.append(1)
        return None if len(calls) == 1 else real_check(commune, procedure)

    monkeypatch.setattr(services, "_existing_adoption", stale_first_check)
    with pytest.raises(services.AlreadyAdopted) as refused:
        services.procedure_adopt(commune=world.sale, actor=world.admin_sale, procedure=procedures.life,
                                 department=world.sale_etat_civil)
    assert refused.value.adoption == winner
    assert len(calls) == 2  # the stale check, then the lookup of the winner after the constraint refused
    assert adoptions_of(world.sale, procedures.life) == 1
    assert not AuditEvent.all_communes.filter(action="procedure.adopted").exists()
