"""The commune's settings for complaints in the back office: categories (names, department, target below the legal
60 days, extra questions as validated JSON, sub-categories, the default set, routing per arrondissement), answer
templates (administrators and heads) and Open311 keys (administrators, the key shown once)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from jamaa.complaints import admin_services
from jamaa.complaints.models import AnswerTemplate, Category, Open311Key, RoutingRule
from jamaa.complaints.open311_keys import hash_key
from jamaa.complaints.services import route
from jamaa.complaints.tests.staff_support import BASE, file_report, says, staff
from jamaa.core import tenancy
from jamaa.core.models import Arrondissement, AuditEvent

pytestmark = pytest.mark.django_db

CATEGORIES = f"{BASE}categories/"


def category_data(category: Category | None = None, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name_ar": category.name_ar if category else "أعمدة الإشهار", "name_fr": category.name_fr if category else
        "Panneaux publicitaires", "name_zgh": "", "description_ar": "", "description_fr": "", "description_zgh": "",
        "department": category.department_id if category else "", "target_days": category.target_days if category
        else 10, "is_active": "on", "is_public": "on", "keywords": category.keywords if category else "panneau",
        "questions": json.dumps(category.questions) if category and category.questions else "", "position": 0,
    }
    data.update(changes)
    return data


def reload(category: Category) -> Category:
    with tenancy.unscoped():
        return Category.all_communes.get(pk=category.pk)


# --- categories ----------------------------------------------------------------------------------------------------


def test_the_administrator_lists_the_categories_with_their_departments(cworld: Any) -> None:
    response = staff(cworld.w.admin_sale).get(CATEGORIES)
    assert response.status_code == 200
    body = response.content.decode()
    for code in ("dechets", "dechets-non-collectes", "administration-refus"):
        assert f'href="{CATEGORIES}{cworld.category(code).pk}/"' in body
    assert cworld.sale_hygiene.name_ar in body


def test_editing_a_category_changes_its_names_department_target_and_keywords(cworld: Any) -> None:
    category = cworld.category("bruit")
    client = staff(cworld.w.admin_sale)
    response = client.post(f"{CATEGORIES}{category.pk}/", category_data(
        category, name_fr="Bruit et nuisances", name_zgh="ⴰⵙⵖⵓⵢ", department=cworld.sale_hygiene.pk, target_days=7,
        keywords="bruit tapage sda3"))
    assert response.status_code == 302
    saved = reload(category)
    assert (saved.name_fr, saved.name_zgh, saved.department_id, saved.target_days, saved.keywords) == (
        "Bruit et nuisances", "ⴰⵙⵖⵓⵢ", cworld.sale_hygiene.pk, 7, "bruit tapage sda3")
    with tenancy.unscoped():
        event = AuditEvent.all_communes.get(action="complaint_category.changed", target_id=str(category.pk))
    assert "target_days" in event.details["changed"]


@pytest.mark.parametrize("days", ["60", "75", "0", "-3", "dix"])
def test_a_target_of_60_days_or_more_or_not_a_number_is_refused(cworld: Any, days: str) -> None:
    category = cworld.category("bruit")
    response = staff(cworld.w.admin_sale).post(f"{CATEGORIES}{category.pk}/", category_data(category,
                                                                                           target_days=days))
    assert response.status_code == 400
    if days.lstrip("-").isdigit():
        assert says(response, "The target is between 1 and %(max)d working days: shorter than the legal answer "
                              "time of %(legal)d days.", max=59, legal=60)
    assert reload(category).target_days == 10
    assert f'value="{days}"' in response.content.decode()  # what was typed is kept


def test_the_service_refuses_a_target_of_60_days_too(cworld: Any) -> None:
    category = cworld.category("bruit")
    fields = admin_services.CategoryFields(name_ar="x", name_fr="x", department=category.department,
                                           target_days=60)
    with tenancy.unscoped(), pytest.raises(Exception) as exc:
        admin_services.category_update(category=category, actor=cworld.w.admin_sale, fields=fields)
    assert "target_days" in exc.value.message_dict  # type: ignore[attr-defined]
    with tenancy.unscoped(), pytest.raises(PermissionDenied):
        admin_services.category_update(category=category, actor=cworld.w.head_sale, fields=fields)


def test_extra_questions_are_checked_json(cworld: Any) -> None:
    category = cworld.category("bruit")
    client = staff(cworld.w.admin_sale)
    broken = client.post(f"{CATEGORIES}{category.pk}/", category_data(category, questions='[{"name": "when",'))
    assert broken.status_code == 400
    assert "JSON" in broken.content.decode()
    assert '[{&quot;name&quot;: &quot;when&quot;,' in broken.content.decode()  # kept as typed
    wrong_kind = json.dumps([{"name": "doc", "type": "file", "label": {"ar": "ملف", "fr": "Fichier"}}])
    assert client.post(f"{CATEGORIES}{category.pk}/", category_data(category, questions=wrong_kind)).status_code == 400
    too_deep = client.post(f"{CATEGORIES}{category.pk}/", category_data(category, questions="[" * 5000 + "]" * 5000))
    assert too_deep.status_code == 400
    not_a_list = json.dumps({"name": "x"})
    assert client.post(f"{CATEGORIES}{category.pk}/", category_data(category, questions=not_a_list)).status_code == 400
    assert reload(category).questions == []
    good = [{"name": "night", "type": "yesno", "label": {"ar": "في الليل؟", "fr": "La nuit ?"}, "required": False}]
    response = client.post(f"{CATEGORIES}{category.pk}/", category_data(category, questions=json.dumps(good)))
    assert response.status_code == 302
    assert reload(category).questions == good


def test_adding_a_category_and_a_sub_category(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    response = client.post(f"{CATEGORIES}new/", category_data(code="affichage", kind="report",
                                                               department=cworld.sale_voirie.pk))
    assert response.status_code == 302
    with tenancy.unscoped():
        top = Category.all_communes.get(commune=cworld.w.sale, code="affichage")
    assert top.department_id == cworld.sale_voirie.pk and top.kind == "report"
    response = client.post(f"{CATEGORIES}{top.pk}/new/", category_data(
        code="affichage-sauvage", name_fr="Affichage sauvage", department=cworld.sale_voirie.pk))
    assert response.status_code == 302
    with tenancy.unscoped():
        child = Category.all_communes.get(commune=cworld.w.sale, code="affichage-sauvage")
    assert child.parent_id == top.pk and child.kind == "report"
    # The code is unique in the commune; a sub-category has no sub-categories.
    again = client.post(f"{CATEGORIES}new/", category_data(code="affichage", kind="report",
                                                            department=cworld.sale_voirie.pk))
    assert again.status_code == 400 and says(again, "Another category of the commune has this code.")
    assert client.get(f"{CATEGORIES}{child.pk}/new/").status_code == 404
    bad = client.post(f"{CATEGORIES}new/", category_data(code="x y", kind="thing", department=""))
    assert bad.status_code == 400


def test_a_grievance_category_is_never_public(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    response = client.post(f"{CATEGORIES}new/", category_data(code="etat-civil-accueil", kind="grievance",
                                                               department=cworld.sale_relations.pk, is_public="on"))
    assert response.status_code == 302
    with tenancy.unscoped():
        assert Category.all_communes.get(commune=cworld.w.sale, code="etat-civil-accueil").is_public is False


def test_installing_the_default_set_adds_only_what_is_missing(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    with tenancy.unscoped():
        Category.all_communes.filter(commune=cworld.w.sale, code="bruit").delete()
        before = Category.all_communes.filter(commune=cworld.w.sale).count()
    response = client.post(f"{CATEGORIES}install/")
    assert response.status_code == 302
    with tenancy.unscoped():
        assert Category.all_communes.filter(commune=cworld.w.sale).count() == before + 1
    follow = client.get(CATEGORIES)
    assert says(follow, "%(count)s categories of the default set were added.", count=1)
    client.post(f"{CATEGORIES}install/")
    assert says(client.get(CATEGORIES), "The commune already has every category of the default set.")
    assert client.get(f"{CATEGORIES}install/").status_code == 405


def test_routing_per_arrondissement_sends_the_complaints_to_another_department(cworld: Any) -> None:
    category = cworld.category("dechets")
    client = staff(cworld.w.admin_sale)
    with tenancy.unscoped():
        arrondissements = list(Arrondissement.all_communes.filter(commune=cworld.w.sale).order_by("position"))
    west = arrondissements[0]
    page = client.get(f"{CATEGORIES}{category.pk}/").content.decode()
    assert f'name="arrondissement_{west.pk}"' in page
    response = client.post(f"{CATEGORIES}{category.pk}/routing/", {f"arrondissement_{west.pk}": cworld.sale_voirie.pk})
    assert response.status_code == 302
    with tenancy.unscoped():
        assert RoutingRule.all_communes.get(category=category, arrondissement=west).department_id == \
            cworld.sale_voirie.pk
    filed = file_report(cworld)  # a sub-category of "dechets", in the westmost arrondissement
    assert filed.case.department_id == cworld.sale_voirie.pk
    # Back to the category's own department: the rule goes away.
    client.post(f"{CATEGORIES}{category.pk}/routing/", {f"arrondissement_{west.pk}": ""})
    with tenancy.unscoped():
        assert not RoutingRule.all_communes.filter(category=category).exists()
        assert route(category, west) == category.department
    foreign = client.post(f"{CATEGORIES}{category.pk}/routing/",
                          {f"arrondissement_{west.pk}": cworld.w.temara_etat_civil.pk})
    assert foreign.status_code == 400 and says(foreign, "Choose a department of the commune.")


def test_another_communes_category_is_a_404(cworld: Any) -> None:
    foreign = cworld.category("bruit", "temara")
    client = staff(cworld.w.admin_sale)
    assert client.get(f"{CATEGORIES}{foreign.pk}/").status_code == 404
    assert client.post(f"{CATEGORIES}{foreign.pk}/", category_data(foreign)).status_code == 404
    assert client.post(f"{CATEGORIES}{foreign.pk}/routing/", {}).status_code == 404


# --- answer templates -----------------------------------------------------------------------------------------------


def template_data(**changes: Any) -> dict[str, Any]:
    data = {"use": "resolve", "category": "", "title_ar": "تم الإصلاح", "title_fr": "Réparé",
            "text_ar": "تم إصلاح المشكل.", "text_fr": "Le problème est réparé.", "is_active": "on"}
    data.update(changes)
    return data


@pytest.mark.parametrize("who", ["admin_sale", "head_sale"])
def test_administrators_and_heads_write_answer_templates(cworld: Any, who: str) -> None:
    client = staff(getattr(cworld.w, who))
    response = client.post(f"{BASE}templates/new/", template_data(category=cworld.category("voirie").pk))
    assert response.status_code == 302
    with tenancy.unscoped():
        made = AnswerTemplate.all_communes.get(commune=cworld.w.sale)
    assert made.category_id == cworld.category("voirie").pk and made.text_fr == "Le problème est réparé."
    assert "Réparé" in client.get(f"{BASE}templates/").content.decode()
    response = client.post(f"{BASE}templates/{made.pk}/", template_data(use="reject", title_fr="Refus",
                                                                          is_active=""))
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.use, made.title_fr, made.is_active) == ("reject", "Refus", False)
    assert client.post(f"{BASE}templates/{made.pk}/delete/").status_code == 302
    with tenancy.unscoped():
        assert not AnswerTemplate.all_communes.exists()
        assert AuditEvent.all_communes.filter(action="complaint_template.deleted").count() == 1


def test_a_template_needs_its_texts_and_a_valid_use_and_category(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    response = client.post(f"{BASE}templates/new/", template_data(text_ar="", use="maybe",
                                                                   category=cworld.category("bruit", "temara").pk))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Le problème est réparé." in body  # kept
    with tenancy.unscoped():
        assert not AnswerTemplate.all_communes.exists()


def test_another_communes_template_is_a_404(cworld: Any) -> None:
    with tenancy.unscoped():
        foreign = AnswerTemplate.all_communes.create(commune=cworld.w.temara, use="resolve", title_ar="x",
                                                     title_fr="x", text_ar="x", text_fr="x")
    client = staff(cworld.w.admin_sale)
    assert client.get(f"{BASE}templates/{foreign.pk}/").status_code == 404
    assert client.post(f"{BASE}templates/{foreign.pk}/delete/").status_code == 404
    with tenancy.unscoped():
        assert AnswerTemplate.all_communes.filter(pk=foreign.pk).exists()


# --- Open311 keys ---------------------------------------------------------------------------------------------------


def test_a_key_is_shown_once_and_only_its_hash_is_kept(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    response = client.post(f"{BASE}open311-keys/", {"name": "Salé Propre"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("private") or "no-store" in response["Cache-Control"]
    raw = re.search(r"<code dir=\"ltr\">(o311_[\w-]+)</code>", response.content.decode()).group(1)
    with tenancy.unscoped():
        key = Open311Key.all_communes.get(commune=cworld.w.sale)
    assert key.key_hash == hash_key(raw) and key.name == "Salé Propre"
    listing = client.get(f"{BASE}open311-keys/").content.decode()
    assert raw not in listing and key.prefix in listing


def test_a_key_needs_a_name_and_can_be_revoked(cworld: Any) -> None:
    client = staff(cworld.w.admin_sale)
    assert client.post(f"{BASE}open311-keys/", {"name": "   "}).status_code == 400
    client.post(f"{BASE}open311-keys/", {"name": "App"})
    with tenancy.unscoped():
        key = Open311Key.all_communes.get(commune=cworld.w.sale)
    assert client.post(f"{BASE}open311-keys/{key.pk}/revoke/").status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert client.post(f"{BASE}open311-keys/{key.pk}/revoke/").status_code == 302  # already: said, not an error
    assert says(client.get(f"{BASE}open311-keys/"), "This key was already revoked.")


def test_another_communes_key_cannot_be_revoked(cworld: Any) -> None:
    from jamaa.complaints.open311_keys import open311_key_issue

    with tenancy.unscoped():
        foreign, _raw = open311_key_issue(commune=cworld.w.temara, name="Témara app", actor=cworld.w.admin_temara)
    assert staff(cworld.w.admin_sale).post(f"{BASE}open311-keys/{foreign.pk}/revoke/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None
