"""The national catalogue in the Django admin: platform operators only, every change audited, and a procedure whose
request form citizens could not fill in (or whose deadline breaks Law 55-19) cannot be saved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import RESIDENCE_FORM, login_staff
from jamaa.catalog.models import Procedure, RequiredDocument
from jamaa.core.models import AuditEvent, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(world) -> User:
    user = User.objects.create_superuser("ops@jamaa.example.ma", world.password, full_name="Platform Operator")
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    return user


@pytest.fixture
def admin_client(platform_client, operator) -> Client:
    return login_staff(platform_client, operator)


def procedure_post(procedures, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": "copie-conforme", "category": procedures.residence.category_id, "is_active": "on",
        "name_ar": "الإشهاد على مطابقة النسخ للأصل", "name_fr": "Certification conforme de copies", "name_zgh": "",
        "description_ar": "وصف", "description_fr": "Description", "description_zgh": "",
        "legal_basis_ar": "القانون 55.19", "legal_basis_fr": "Loi 55-19", "legal_basis_zgh": "",
        "deadline_amount": "1", "deadline_unit": "working", "fees_mad": "2.00",
        "department_code": "legalisation", "channel": "counter", "act_kind": "other",
        "form_definition": json.dumps([{"name": "copies", "type": "number", "required": True, "min": 1, "max": 20,
                                        "label": {"ar": "عدد النسخ", "fr": "Nombre de copies"}}]),
        "documents-TOTAL_FORMS": "1", "documents-INITIAL_FORMS": "0", "documents-MIN_NUM_FORMS": "0",
        "documents-MAX_NUM_FORMS": "1000",
        "documents-0-position": "1", "documents-0-code": "original", "documents-0-name_ar": "الوثيقة الأصلية",
        "documents-0-name_fr": "Document original", "documents-0-is_required": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("model", ["category", "lifeevent", "procedure"])
def test_every_catalogue_changelist_opens_for_an_operator(procedures, admin_client, model):
    assert admin_client.get(f"/admin/catalog/{model}/").status_code == 200


@pytest.mark.parametrize("who", ["admin_sale", "agent_sale", "citizen_temara"])
def test_commune_staff_and_citizens_cannot_edit_the_catalogue(world, procedures, platform_client, who):
    user = getattr(world, who)
    if TOTPDevice.objects.filter(user=user).exists():
        login_staff(platform_client, user)
    else:
        platform_client.force_login(user)
    for path in ("/admin/catalog/procedure/", f"/admin/catalog/procedure/{procedures.residence.pk}/change/"):
        response = platform_client.get(path)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_anonymous_visitor_is_sent_to_the_login_page(procedures, platform_client):
    response = platform_client.get("/admin/catalog/procedure/add/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_operator_adds_a_procedure_with_its_documents_and_it_is_audited(procedures, admin_client):
    response = admin_client.post("/admin/catalog/procedure/add/", procedure_post(procedures))
    assert response.status_code == 302, response.context["adminform"].form.errors
    procedure = Procedure.objects.get(slug="copie-conforme")
    assert procedure.form_definition[0]["name"] == "copies"
    assert list(RequiredDocument.objects.filter(procedure=procedure).values_list("code", flat=True)) == ["original"]
    assert AuditEvent.all_communes.filter(action="admin.procedure_added", commune=None).exists()


@pytest.mark.parametrize(("definition", "expected"), [
    ('[{"name": "Copies", "type": "number", "label": {"ar": "عدد", "fr": "Nombre"}}]', "lower-case letter"),
    ('[{"name": "copies", "type": "number"}]', "must be an object with Arabic and French"),
    ('[{"name": "x", "type": "text", "label": {"ar": "س", "fr": "X"}, '
     '"show_if": {"field": "y", "equals": "a"}}]', "comes before it"),
    ('{"name": "copies"}', "must be a list"),
])
def test_a_form_that_citizens_could_not_fill_in_is_refused(procedures, admin_client, definition, expected):
    response = admin_client.post("/admin/catalog/procedure/add/", procedure_post(procedures,
                                                                                 form_definition=definition))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "form_definition" in errors
    # The admin speaks Arabic: it shows the validator's messages, whose English wording says what is wrong.
    import json

    from django.core.exceptions import ValidationError
    from django.utils import translation

    from jamaa.catalog.formdef import validate_definition

    for language, check in (("en", lambda messages: expected in " ".join(messages)),
                            ("ar", lambda messages: set(messages) <= set(errors["form_definition"]))):
        with translation.override(language):
            with pytest.raises(ValidationError) as refused:
                validate_definition(json.loads(definition))
            messages = [str(message) for message in refused.value.messages]
        assert check(messages), (language, messages, errors["form_definition"])
    assert not Procedure.objects.filter(slug="copie-conforme").exists()


def test_text_that_is_not_json_is_refused_and_kept(procedures, admin_client):
    response = admin_client.post("/admin/catalog/procedure/add/",
                                 procedure_post(procedures, form_definition='[{"name": '))
    assert response.status_code == 200
    assert "form_definition" in response.context["adminform"].form.errors
    assert "[{&quot;name&quot;: " in response.content.decode()


@pytest.mark.parametrize(("amount", "investment", "ok"), [("60", "", True), ("61", "", False), ("30", "on", True),
                                                          ("31", "on", False)])
def test_the_legal_deadline_respects_law_55_19(procedures, admin_client, amount, investment, ok):
    data = procedure_post(procedures, deadline_amount=amount, deadline_unit="calendar")
    if investment:
        data["is_investment_related"] = investment
    response = admin_client.post("/admin/catalog/procedure/add/", data)
    assert (response.status_code == 302) is ok
    if not ok:
        assert "deadline_amount" in response.context["adminform"].form.errors


def test_the_change_page_shows_the_form_readably(procedures, admin_client):
    body = admin_client.get(f"/admin/catalog/procedure/{procedures.residence.pk}/change/").content.decode()
    assert "المقاطعة" in body  # Arabic is not escaped to \\u sequences
    assert "\n  {\n" in body.replace("&quot;", '"')  # indented
    assert "<code>purpose_other</code>" in body  # the preview lists the fields


def test_saving_an_existing_procedure_unchanged_keeps_its_definition(procedures, admin_client):
    residence = procedures.residence
    data = procedure_post(procedures, slug=residence.slug, form_definition=json.dumps(RESIDENCE_FORM),
                          **{"documents-TOTAL_FORMS": "0"})
    data["life_events"] = [e.pk for e in residence.life_events.all()]
    response = admin_client.post(f"/admin/catalog/procedure/{residence.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    residence.refresh_from_db()
    assert residence.form_definition == RESIDENCE_FORM


def test_the_procedure_changelist_needs_few_queries(procedures, admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        assert admin_client.get("/admin/catalog/procedure/").status_code == 200
