"""The demo catalogue loaded by `manage.py load_demo`: realistic procedures that follow the catalogue's rules,
adopted by Salé (most) and Témara (some), loaded twice without duplicates."""

from __future__ import annotations

import pytest

from jamaa.cases.models import ReasonKind, ReasonTemplate
from jamaa.catalog import demo
from jamaa.catalog.formdef import FIELD_TYPES, build_form, clean_answers, validate_definition
from jamaa.catalog.models import Category, CommuneProcedure, LifeEvent, Procedure, RequiredDocument
from jamaa.core import tenancy
from jamaa.core.models import Arrondissement, Department
from jamaa.core.tests.test_demo import load_demo, media  # noqa: F401 - media is a fixture

pytestmark = pytest.mark.django_db


def catalogue_snapshot() -> dict[str, list[tuple[object, ...]]]:
    with tenancy.unscoped():
        return {
            "categories": list(Category.objects.order_by("pk").values_list()),
            "events": list(LifeEvent.objects.order_by("pk").values_list()),
            "procedures": list(Procedure.objects.order_by("pk").values_list()),
            "procedure_events": list(Procedure.life_events.through.objects.order_by("pk").values_list()),
            "documents": list(RequiredDocument.objects.order_by("pk").values_list()),
            "adoptions": list(CommuneProcedure.all_communes.order_by("pk").values_list()),
            "reasons": list(ReasonTemplate.all_communes.order_by("pk").values_list()),
            "departments": list(Department.all_communes.order_by("pk").values_list()),
        }


@pytest.fixture
def loaded(media):  # noqa: F811 - the imported fixture
    load_demo()


def adoption(commune_slug: str, procedure_slug: str) -> CommuneProcedure:
    return CommuneProcedure.all_communes.select_related("procedure", "department").get(
        commune__slug=commune_slug, procedure__slug=procedure_slug)


def test_loading_twice_changes_nothing_and_duplicates_nothing(loaded):
    first = catalogue_snapshot()
    load_demo()
    assert catalogue_snapshot() == first
    assert len(first["procedures"]) >= 11


def test_it_repairs_demo_procedures_that_were_changed(loaded):
    with tenancy.unscoped():
        Procedure.objects.filter(slug="certificat-residence").update(name_fr="Changed", form_definition=[])
        RequiredDocument.objects.filter(code="proof").delete()
        CommuneProcedure.all_communes.filter(commune__slug="sale").update(is_published=False)
    load_demo()
    residence = Procedure.objects.get(slug="certificat-residence")
    assert residence.name_fr == "Certificat de résidence" and residence.form_definition
    assert residence.documents.filter(code="proof").exists()
    assert not CommuneProcedure.all_communes.filter(commune__slug="sale", is_published=False).exists()


def test_every_demo_procedure_follows_the_catalogue_rules(loaded):
    procedures = list(Procedure.objects.prefetch_related("documents", "life_events"))
    assert len(procedures) >= 11
    for procedure in procedures:
        validate_definition(procedure.form_definition)
        procedure.full_clean()  # deadlines of Law 55-19 included
        assert procedure.is_demo and procedure.is_active
        assert procedure.name_ar and procedure.name_fr and procedure.description_ar and procedure.description_fr
        assert procedure.legal_basis_ar and procedure.legal_basis_fr
        assert procedure.deadline_amount <= (30 if procedure.is_investment_related else 60)
        for document in procedure.documents.all():
            # Once-only: nothing an administration already holds.
            assert "CIN" not in document.name_fr and "البطاقة الوطنية" not in document.name_ar, document


def test_the_demo_forms_use_every_field_type(loaded):
    used = {spec["type"] for p in Procedure.objects.all() for spec in p.form_definition}
    assert used == set(FIELD_TYPES)


def test_every_category_and_life_event_leads_to_procedures(loaded):
    assert {c.slug for c in Category.objects.all()} >= {"etat-civil", "certification", "urbanisme",
                                                       "activites-economiques", "domaine-public", "sante-hygiene"}
    for category in Category.objects.all():
        assert category.procedures.exists(), category
    assert {e.slug for e in LifeEvent.objects.all()} >= {"naissance", "deces", "demenagement", "emploi",
                                                        "creer-entreprise", "construire"}
    for event in LifeEvent.objects.all():
        assert event.procedures.exists(), event


def test_real_legal_texts_are_cited(loaded):
    legal = " ".join(Procedure.objects.values_list("legal_basis_fr", flat=True))
    for text in ("Loi n° 37-99", "Loi n° 55-19", "Loi n° 12-90", "Loi organique n° 113-14", "Décret n° 2-18-475",
                 "Loi n° 57-19", "Loi n° 47-06"):
        assert text in legal


def test_building_and_habitation_permits_are_approved_by_silence(loaded):
    for slug in ("permis-construire", "permis-habiter"):
        procedure = Procedure.objects.get(slug=slug)
        assert procedure.silence_means_approval and procedure.is_investment_related
        assert procedure.deadline_amount <= 30 and procedure.deadline_unit == "calendar"
    assert Procedure.objects.get(slug="permis-construire").documents.filter(code="plans", is_required=True).exists()
    assert Procedure.objects.get(slug="permis-habiter").documents.filter(
        code="completion_certificate", is_required=True).exists()


def test_the_residence_certificate_asks_the_arrondissement_and_address_and_one_document(loaded):
    residence = Procedure.objects.get(slug="certificat-residence")
    types = [spec["type"] for spec in residence.form_definition]
    assert "arrondissement" in types and "address" in types and "file" not in types
    assert list(residence.documents.filter(is_required=True).values_list("code", flat=True)) == ["proof"]


def test_a_salé_citizen_can_fill_in_the_residence_certificate(loaded):
    sale = adoption("sale", "certificat-residence")
    arrondissement = Arrondissement.all_communes.filter(commune__slug="sale").first()
    raw = {"arrondissement": str(arrondissement.pk), "address": "12, rue Al Qods, Hay Salam", "cin": "AB123456",
           "since": "2020-01-01", "purpose": "work", "owner": "no"}
    answers = clean_answers(sale, raw, present_files={"doc__proof"})
    assert answers.arrondissement_id == arrondissement.pk
    temara = adoption("temara", "certificat-residence")
    answers = clean_answers(temara, {**raw, "arrondissement": ""}, present_files={"doc__proof"})
    assert answers.arrondissement_id is None  # Témara has no arrondissements
    assert "arrondissement" not in build_form(temara).fields


def test_salé_adopts_most_procedures_with_its_own_deadlines_and_fees(loaded):
    sale = CommuneProcedure.all_communes.filter(commune__slug="sale").select_related("procedure", "department")
    assert sale.count() >= 10
    for item in sale:
        with tenancy.unscoped():
            item.full_clean()  # never a longer deadline; a department of Salé
        assert item.department.commune_id == item.commune_id
        assert item.department.code in (item.procedure.department_code, "etat-civil")
    assert any(item.deadline_amount and item.deadline_amount < item.procedure.deadline_amount for item in sale)
    assert any(item.fees_mad is not None and item.fees_mad != item.procedure.fees_mad for item in sale)
    assert any(item.instructions_ar and item.instructions_fr for item in sale)
    hygiene = adoption("sale", "permis-inhumer").department
    assert (hygiene.code, hygiene.name_fr) == ("hygiene", "Bureau communal d'hygiène")


def test_témara_adopts_a_subset_and_lacks_the_others(loaded):
    temara = set(CommuneProcedure.all_communes.filter(commune__slug="temara")
                 .values_list("procedure__slug", flat=True))
    sale = set(CommuneProcedure.all_communes.filter(commune__slug="sale").values_list("procedure__slug", flat=True))
    assert "certificat-residence" in temara and temara < sale
    assert "autorisation-activite-commerciale" not in temara
    with tenancy.scope(Department.all_communes.get(commune__slug="temara", code="etat-civil").commune):
        assert not CommuneProcedure.objects.published().filter(
            procedure__slug="autorisation-activite-commerciale").exists()
    # Témara has no legalisation office: its civil status office legalises signatures.
    assert adoption("temara", "legalisation-signature").department.code == "etat-civil"
    with tenancy.unscoped():
        for item in CommuneProcedure.all_communes.filter(commune__slug="temara").select_related("procedure"):
            item.full_clean()


def test_one_procedure_is_in_the_national_catalogue_only(loaded):
    assert not CommuneProcedure.all_communes.filter(procedure__slug="certificat-vie").exists()


def test_each_commune_has_reason_templates_for_every_use(loaded):
    for slug in ("sale", "temara"):
        templates = list(ReasonTemplate.all_communes.filter(commune__slug=slug))
        assert 4 <= len(templates) <= 6
        assert {t.kind for t in templates} == set(ReasonKind.values)
        assert all(t.title_ar and t.title_fr and t.text_ar and t.text_fr and t.is_active for t in templates)


def test_the_demo_definitions_are_checked_before_anything_is_written():
    demo.check_catalogue()
