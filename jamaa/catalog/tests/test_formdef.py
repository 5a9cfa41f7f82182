"""The declarative request forms: a definition is checked before it is saved, a citizen's answers are checked by one
set of rules (pages and API), the Django form is built from the definition, and answers are shown back with labels."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from conftest import RESIDENCE_FORM
from jamaa.catalog import formdef
from jamaa.catalog.models import Category, CommuneProcedure, Procedure, RequiredDocument
from jamaa.core import tenancy
from jamaa.core.models import Arrondissement

pytestmark = pytest.mark.django_db

FIXED_TODAY = dt.date(2026, 3, 15)

ALL_TYPES = [
    {"name": "full_name", "type": "text", "required": True, "min_length": 3, "max_length": 40,
     "label": {"ar": "الاسم الكامل", "fr": "Nom complet"}, "help": {"ar": "كما في البطاقة", "fr": "Comme sur la CIN"}},
    {"name": "phone", "type": "text", "required": False, "pattern": "^0[5-7][0-9]{8}$", "autocomplete": "tel",
     "pattern_message": {"ar": "رقم هاتف من 10 أرقام", "fr": "Un numéro à 10 chiffres commençant par 05, 06 ou 07"},
     "label": {"ar": "الهاتف", "fr": "Téléphone"}},
    {"name": "notes", "type": "textarea", "required": False, "max_length": 50,
     "label": {"ar": "ملاحظات", "fr": "Remarques"}},
    {"name": "children", "type": "number", "required": True, "min": 0, "max": 20,
     "label": {"ar": "عدد الأطفال", "fr": "Nombre d'enfants"}},
    {"name": "surface", "type": "number", "required": False, "min": 1, "max": 5000, "step": 0.5,
     "label": {"ar": "المساحة", "fr": "Surface (m²)"}},
    {"name": "event_date", "type": "date", "required": True, "date_min": "-1y", "date_max": "today",
     "label": {"ar": "تاريخ الواقعة", "fr": "Date de l'événement"}},
    {"name": "reason", "type": "choice", "required": True, "label": {"ar": "السبب", "fr": "Motif"},
     "choices": [{"value": "work", "label": {"ar": "العمل", "fr": "Travail"}},
                 {"value": "other", "label": {"ar": "آخر", "fr": "Autre"}}]},
    {"name": "reason_other", "type": "text", "required": True, "show_if": {"field": "reason", "equals": "other"},
     "label": {"ar": "حدد", "fr": "Précisez"}},
    {"name": "married", "type": "yesno", "required": True, "label": {"ar": "متزوج؟", "fr": "Marié(e) ?"}},
    {"name": "spouse_cin", "type": "cin", "required": True, "show_if": {"field": "married", "equals": True},
     "label": {"ar": "بطاقة الزوج", "fr": "CIN du conjoint"}},
    {"name": "district", "type": "arrondissement", "required": True,
     "label": {"ar": "المقاطعة", "fr": "Arrondissement"}},
    {"name": "address", "type": "address", "required": True, "label": {"ar": "العنوان", "fr": "Adresse"}},
    {"name": "cin", "type": "cin", "required": True, "label": {"ar": "رقم البطاقة", "fr": "Numéro de CIN"}},
    {"name": "plan", "type": "file", "required": True, "label": {"ar": "التصميم", "fr": "Plan"}},
]


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(formdef, "today", lambda: FIXED_TODAY)


@pytest.fixture(autouse=True)
def english_messages():
    # The messages are compared with their English msgids (translations come from the translators).
    with translation.override("en"):
        yield


@pytest.fixture
def arrondissements(world) -> dict[str, Any]:
    with tenancy.unscoped():
        sale = list(Arrondissement.all_communes.filter(commune=world.sale))
        harhoura = Arrondissement.all_communes.create(commune=world.temara, slug="harhoura", name_ar="الهرهورة",
                                                      name_fr="Harhoura")
    return {"sale": sale, "temara": harhoura}


def adopt(world, definition: list[dict[str, Any]], *, commune=None, documents: bool = True) -> CommuneProcedure:
    """A national procedure with this form (and, unless told otherwise, one required and one optional document)."""
    with tenancy.unscoped():
        category, _ = Category.objects.get_or_create(slug="tests", defaults={"name_ar": "اختبار", "name_fr": "Test"})
        procedure = Procedure.objects.create(
            slug=f"p{Procedure.objects.count() + 1}", name_ar="إجراء", name_fr="Démarche", description_ar="وصف",
            description_fr="Description", category=category, form_definition=definition, legal_basis_ar="القانون",
            legal_basis_fr="Loi", deadline_amount=10, department_code="etat-civil")
        if documents:
            RequiredDocument.objects.create(procedure=procedure, code="proof", name_ar="إثبات السكن",
                                            name_fr="Justificatif de domicile",
                                            help_fr="Facture d'eau ou d'électricité",
                                            help_ar="فاتورة الماء أو الكهرباء", is_required=True, position=1)
            RequiredDocument.objects.create(procedure=procedure, code="lease", name_ar="عقد الكراء",
                                            name_fr="Contrat de bail", is_required=False, position=2)
        commune = commune or world.sale
        department = world.sale_etat_civil if commune == world.sale else world.temara_etat_civil
        return CommuneProcedure.all_communes.create(commune=commune, procedure=procedure, department=department)


@pytest.fixture
def form_all(world, arrondissements) -> CommuneProcedure:
    return adopt(world, ALL_TYPES)


def good_answers(arrondissements) -> dict[str, Any]:
    return {"full_name": "  Fatima Zahra Bennani ", "phone": "0612345678", "notes": "", "children": "2",
            "surface": "120.5", "event_date": "2026-01-10", "reason": "work", "married": "no",
            "district": str(arrondissements["sale"][1].pk), "address": "12, rue Al Qods, Hay Salam",
            "cin": "ab 123456"}


def errors_of(procedure, raw, **kwargs) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        formdef.clean_answers(procedure, raw, **kwargs)
    return caught.value.message_dict


# --- the definition ---------------------------------------------------------------------------------------------


def test_the_test_world_forms_are_valid_definitions():
    formdef.validate_definition(RESIDENCE_FORM)
    formdef.validate_definition(ALL_TYPES)
    formdef.validate_definition([])


def field(**extra: Any) -> dict[str, Any]:
    return {"name": "x", "type": "text", "label": {"ar": "س", "fr": "X"}, **extra}


CHOICE = {"name": "kind", "type": "choice", "label": {"ar": "نوع", "fr": "Type"},
          "choices": [{"value": "a", "label": {"ar": "أ", "fr": "A"}}]}
YESNO = {"name": "ok", "type": "yesno", "label": {"ar": "نعم؟", "fr": "Oui ?"}}


@pytest.mark.parametrize(("definition", "expected"), [
    ({"name": "x"}, "must be a list"),
    (["x"], "must be an object"),
    ([field(name="Bad-Name")], "lower-case letter"),
    ([field(name="1st")], "lower-case letter"),
    ([field(name="doc__proof")], "reserved for required documents"),
    ([field(), field()], "used by another field"),
    ([field(type="colour")], "unknown type “colour”"),
    ([field(label={"ar": "س"})], "needs a text in French"),
    ([field(label={"fr": "X"})], "needs a text in Arabic"),
    ([field(label="X")], "must be an object with Arabic and French"),
    ([field(label={"ar": "س", "fr": "X", "en": "X"})], "unknown language “en”"),
    ([field(help={"fr": "Aide"})], "help needs a text in Arabic"),
    ([field(required="yes")], "“required” must be true or false"),
    ([field(colour="red")], "unknown or misplaced keys for this type: colour"),
    ([field(choices=[])], "unknown or misplaced keys for this type: choices"),
    ([field(type="choice")], "non-empty list of “choices”"),
    ([{**CHOICE, "choices": [{"value": "a", "label": {"ar": "أ", "fr": "A"}},
                             {"value": "a", "label": {"ar": "ب", "fr": "B"}}]}], "“a” appears twice"),
    ([{**CHOICE, "choices": [{"value": "a", "label": {"fr": "A"}}]}], "needs a text in Arabic"),
    ([{**CHOICE, "choices": [{"label": {"ar": "أ", "fr": "A"}}]}], "needs a text “value”"),
    ([field(show_if={"field": "later", "equals": "a"}), {**CHOICE, "name": "later"}], "comes before it"),
    ([field(show_if={"field": "x", "equals": "a"})], "comes before it"),
    ([field(show_if={"field": "nowhere", "equals": "a"})], "comes before it"),
    ([CHOICE, field(show_if={"field": "kind", "equals": "b"})], "not a choice of “kind”"),
    ([CHOICE, field(show_if={"field": "kind", "equals": ["a"]})], "not a choice of “kind”"),
    ([field(show_if={"field": ["x"], "equals": "a"})], "comes before it"),
    ([field(name="n", type="number"), field(show_if={"field": "n", "equals": {"a": 1}})], "a text or a number"),
    ([{"name": "x", "type": ["text"], "label": {"ar": "س", "fr": "X"}}], "unknown type"),
    ([YESNO, field(show_if={"field": "ok", "equals": "maybe"})], "compare with true or false"),
    ([CHOICE, field(show_if={"field": "kind"})], "with “field” and “equals”"),
    ([field(name="upload", type="file"), field(show_if={"field": "upload", "equals": "a"})], "file or a CIN"),
    ([field(type="number", min=10, max=1)], "“min” is greater than “max”"),
    ([field(type="number", min="1")], "“min” must be a number"),
    ([field(type="number", step=0)], "“step” must be a positive number"),
    ([field(min_length=10, max_length=5)], "“min_length” is greater than “max_length”"),
    ([field(max_length=-1)], "0 or more"),
    ([field(max_length=0)], "at least 1"),
    ([field(type="address", max_length=300)], "at most 250"),
    ([field(pattern="([0-9]")], "not a valid regular expression"),
    ([field(pattern_message={"ar": "س", "fr": "X"})], "needs a “pattern”"),
    ([field(type="date", date_min="yesterday")], "“date_min” must be “today”"),
    ([field(type="date", date_max="2020-02-30")], "“date_max” must be “today”"),
    ([field(type="date", date_min="today", date_max="-1d")], "“date_min” is after “date_max”"),
    ([field(autocomplete="cc-number")], "“autocomplete” must be one of"),
    ([field(type="number", autocomplete="tel")], "unknown or misplaced keys for this type: autocomplete"),
])
def test_a_wrong_definition_is_refused_with_a_clear_message(definition, expected):
    with pytest.raises(ValidationError) as caught:
        formdef.validate_definition(definition)
    messages = " | ".join(caught.value.messages)
    assert expected in messages


@pytest.mark.parametrize("definition", [
    None, 1, "x", [None], [[]], [{"name": None, "type": None, "label": None}],
    [{"name": "a", "type": "choice", "label": {"ar": "أ", "fr": "A"}, "choices": [1, None, {"value": 1}, "x"]}],
    [{"name": "a", "type": "choice", "label": {"ar": "أ", "fr": "A"}, "choices": {"value": "x"}}],
    [{"name": "a", "type": "number", "label": {"ar": "أ", "fr": "A"}, "min": float("nan"), "max": float("inf")}],
    [{"name": "a", "type": "number", "label": {"ar": "أ", "fr": "A"}, "step": float("nan")}],
    [{"name": "a", "type": "text", "label": {"ar": 1, "fr": None}, "help": [], "pattern": 5,
      "min_length": 1.5, "max_length": True, "show_if": "a"}],
    [{"name": "a", "type": "date", "label": {"ar": "أ", "fr": "A"}, "date_min": 5, "date_max": "+99999y"}],
])
def test_a_malformed_definition_is_refused_without_crashing(definition):
    with pytest.raises(ValidationError):
        formdef.validate_definition(definition)


def test_every_problem_of_a_definition_is_listed_at_once():
    with pytest.raises(ValidationError) as caught:
        formdef.validate_definition([field(name="A"), field(type="colour", name="b")])
    assert len(caught.value.messages) == 2
    assert caught.value.messages[1].startswith("Field b:")


@pytest.mark.parametrize(("bound", "expected"), [
    ("today", FIXED_TODAY), ("+1y", dt.date(2027, 3, 15)), ("-100y", dt.date(1926, 3, 15)),
    ("+30d", dt.date(2026, 4, 14)), ("-6m", dt.date(2025, 9, 15)), ("2020-01-31", dt.date(2020, 1, 31)),
])
def test_date_bounds_are_relative_to_today_in_morocco_or_fixed(bound, expected):
    assert formdef.resolve_date_bound(bound) == expected


def test_today_is_the_date_in_casablanca(monkeypatch):
    monkeypatch.undo()
    # 23:30 UTC on 31 December is already 1 January in Casablanca (UTC+1 outside Ramadan).
    monkeypatch.setattr(formdef.timezone, "now", lambda: dt.datetime(2025, 12, 31, 23, 30, tzinfo=dt.UTC))
    assert formdef.today() == dt.date(2026, 1, 1)


# --- answers, type by type ----------------------------------------------------------------------------------------


def test_good_answers_are_normalised_and_json_safe(form_all, arrondissements):
    result = formdef.clean_answers(form_all, good_answers(arrondissements), present_files={"plan", "doc__proof"})
    district = arrondissements["sale"][1].pk
    assert result.data == {"full_name": "Fatima Zahra Bennani", "phone": "0612345678", "children": 2,
                           "surface": 120.5, "event_date": "2026-01-10", "reason": "work", "married": False,
                           "district": district, "address": "12, rue Al Qods, Hay Salam"}
    assert result.protected == {"cin": "AB123456"}
    assert result.arrondissement_id == district


def test_api_json_values_are_accepted_like_form_strings(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "children": 2, "surface": 99, "married": False,
           "district": arrondissements["sale"][0].pk}
    result = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    assert (result.data["children"], result.data["surface"], result.data["married"]) == (2, 99.0, False)


def test_unknown_keys_are_ignored(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "is_admin": "1", "doc__proof": "x"}
    result = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    assert "is_admin" not in result.data and "doc__proof" not in result.data


def test_every_missing_required_answer_is_reported_by_field_name(form_all, arrondissements):
    errors = errors_of(form_all, {"full_name": "   "})
    assert set(errors) == {"full_name", "children", "event_date", "reason", "married", "district", "address", "cin",
                           "plan", "doc__proof"}
    assert errors["full_name"] == ["This field is required."]
    assert errors["reason"] == ["Choose an answer."]
    assert errors["plan"] == ["Attach this file."]
    assert errors["doc__proof"] == ["Attach this document."]


@pytest.mark.parametrize(("name", "value", "message"), [
    ("full_name", "Al", "Enter at least 3 characters (you entered 2)."),
    ("full_name", "x" * 41, "Enter at most 40 characters (you entered 41)."),
    ("full_name", ["a", "b"], "Enter a text."),
    ("phone", "0812345678", "رقم هاتف من 10 أرقام"),
    ("notes", "y" * 51, "Enter at most 50 characters (you entered 51)."),
    ("children", "two", "Enter a number."),
    ("children", "2.5", "Enter a whole number."),
    ("children", "-1", "Enter a number of at least 0."),
    ("children", "21", "Enter a number of at most 20."),
    ("children", True, "Enter a number."),
    ("children", "NaN", "Enter a number."),
    ("children", "Infinity", "Enter a number."),
    ("surface", "120.25", "Enter a number with at most 1 decimals."),
    ("surface", "0.5", "Enter a number of at least 1."),
    ("event_date", "10/01/2026", "Enter a valid date (year-month-day, for example 2024-03-31)."),
    ("event_date", "2026-02-30", "Enter a valid date (year-month-day, for example 2024-03-31)."),
    ("event_date", "2026-03-16", "Enter a date on or before"),
    ("event_date", "2025-03-14", "Enter a date on or after"),
    ("reason", "holiday", "Choose one of the proposed answers."),
    ("reason", ["work"], "Choose one of the proposed answers."),
    ("married", "maybe", "Answer yes or no."),
    ("district", "abc", "Choose an arrondissement of this commune."),
    ("district", "999999", "Choose an arrondissement of this commune."),
    ("address", "Rue", "Enter at least 5 characters (you entered 3)."),
    ("address", "r" * 251, "Enter at most 250 characters (you entered 251)."),
    ("cin", "123456", "Enter a national identity card number"),
    ("cin", "ABC123", "Enter a national identity card number"),
    ("cin", "AB1234567", "Enter a national identity card number"),
    ("full_name", "Fatima\x00Zahra", "Remove the control characters"),
    ("address", "12 rue\x1b[31m Salam", "Remove the control characters"),
])
def test_a_wrong_answer_is_refused_next_to_its_field(form_all, arrondissements, name, value, message):
    errors = errors_of(form_all, {**good_answers(arrondissements), name: value}, present_files={"plan", "doc__proof"})
    assert list(errors) == [name]
    assert errors[name][0].startswith(message)


def test_the_pattern_message_is_in_the_active_language(form_all, arrondissements):
    with translation.override("fr"):
        errors = errors_of(form_all, {**good_answers(arrondissements), "phone": "12"},
                           present_files={"plan", "doc__proof"})
    assert errors == {"phone": ["Un numéro à 10 chiffres commençant par 05, 06 ou 07"]}


JUNK = [None, True, 0, -1, 10**40, 1.5, float("nan"), float("inf"), [], ["a"], {}, {"a": 1}, "", " ", "9" * 5000,
        "\u202e\u0627", "1e999999", "0x10", "٣", "2026-13-01", "<script>", "NaN"]


@pytest.mark.parametrize("value", JUNK, ids=repr)
def test_junk_answers_never_crash(form_all, arrondissements, value):
    for spec in ALL_TYPES:
        try:
            formdef.clean_answers(form_all, {**good_answers(arrondissements), spec["name"]: value},
                                  present_files={"plan", "doc__proof"})
        except ValidationError as exc:
            assert set(exc.message_dict) <= {spec["name"], "spouse_cin", "reason_other"}


@pytest.mark.parametrize("value", ["2026-03-15", "2025-03-15", "2026-01-01"])
def test_dates_within_the_bounds_are_accepted(form_all, arrondissements, value):
    result = formdef.clean_answers(form_all, {**good_answers(arrondissements), "event_date": value},
                                   present_files={"plan", "doc__proof"})
    assert result.data["event_date"] == value


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", True), ("no", False), ("true", True), ("false", False), ("1", True), ("0", False), ("on", True),
    ("YES", True), (True, True), (False, False), (1, True), (0, False),
])
def test_yes_no_answers_are_read_in_every_usual_spelling(form_all, arrondissements, value, expected):
    raw = {**good_answers(arrondissements), "married": value, "spouse_cin": "X1"}
    result = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    assert result.data["married"] is expected


@pytest.mark.parametrize(("value", "expected"), [("ab123456", "AB123456"), (" a 1 ", "A1"), ("BE-98765", "BE98765"),
                                                 ("j123456", "J123456")])
def test_a_cin_is_normalised_and_kept_apart_from_the_other_answers(form_all, arrondissements, value, expected):
    result = formdef.clean_answers(form_all, {**good_answers(arrondissements), "cin": value},
                                   present_files={"plan", "doc__proof"})
    assert result.protected["cin"] == expected
    assert expected not in str(result.data)


def test_a_choice_sent_as_a_number_by_an_api_client_is_read_as_its_value(world):
    procedure = adopt(world, [{**CHOICE, "choices": [{"value": "1", "label": {"ar": "أ", "fr": "Un"}}]}],
                      documents=False)
    assert formdef.clean_answers(procedure, {"kind": 1}).data == {"kind": "1"}


def test_a_line_break_in_a_textarea_is_kept(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "notes": "ligne 1\r\nligne 2\tfin"}
    result = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    assert result.data["notes"] == "ligne 1\nligne 2\tfin"


def test_arabic_indic_digits_are_read_as_numbers(form_all, arrondissements):
    result = formdef.clean_answers(form_all, {**good_answers(arrondissements), "children": "٣"},
                                   present_files={"plan", "doc__proof"})
    assert result.data["children"] == 3


def test_a_decimal_comma_is_accepted_where_the_step_allows_decimals(form_all, arrondissements):
    result = formdef.clean_answers(form_all, {**good_answers(arrondissements), "surface": "80,5"},
                                   present_files={"plan", "doc__proof"})
    assert result.data["surface"] == 80.5


def test_an_arrondissement_of_another_commune_is_refused(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "district": str(arrondissements["temara"].pk)}
    errors = errors_of(form_all, raw, present_files={"plan", "doc__proof"})
    assert errors == {"district": ["Choose an arrondissement of this commune."]}


def test_a_commune_without_arrondissements_does_not_ask_for_one(world):
    temara = adopt(world, RESIDENCE_FORM, commune=world.temara, documents=False)
    raw = {"address": "Avenue Hassan II, Témara", "cin": "A12345", "since": "2020-01-01", "purpose": "work",
           "owner": "yes"}
    result = formdef.clean_answers(temara, raw)
    assert "arrondissement" not in result.data and result.arrondissement_id is None
    assert "arrondissement" not in formdef.build_form(temara).fields


def test_an_optional_document_is_not_required_and_documents_count_only_when_present(form_all, arrondissements):
    errors = errors_of(form_all, good_answers(arrondissements), present_files={"plan", "doc__lease"})
    assert errors == {"doc__proof": ["Attach this document."]}


# --- show_if ------------------------------------------------------------------------------------------------------


def test_a_hidden_field_is_not_required_and_its_answer_is_dropped(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "reason": "work", "reason_other": "should go", "married": "no",
           "spouse_cin": "Z999"}
    result = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    assert "reason_other" not in result.data and "spouse_cin" not in result.protected


def test_a_hidden_field_with_a_wrong_answer_does_not_block_the_request(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "reason": "work", "reason_other": "x" * 5000, "spouse_cin": "bad!"}
    formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})


def test_a_shown_field_is_required_and_checked(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "reason": "other", "married": "yes", "spouse_cin": "12"}
    errors = errors_of(form_all, raw, present_files={"plan", "doc__proof"})
    assert set(errors) == {"reason_other", "spouse_cin"}
    raw.update(reason_other="Dossier de bourse", spouse_cin="cd 4567")
    result = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    assert result.data["reason_other"] == "Dossier de bourse"
    assert result.protected == {"cin": "AB123456", "spouse_cin": "CD4567"}


def test_a_field_depending_on_a_hidden_field_is_hidden_too(world, arrondissements):
    chain = [CHOICE, field(name="b", type="yesno", required=True, show_if={"field": "kind", "equals": "a"}),
             field(name="c", required=True, show_if={"field": "b", "equals": True})]
    procedure = adopt(world, chain, documents=False)
    assert formdef.clean_answers(procedure, {"c": "ignored"}, partial=True).data == {}
    errors = errors_of(procedure, {"kind": "a", "b": "yes"})
    assert set(errors) == {"c"}


# --- drafts -------------------------------------------------------------------------------------------------------


def test_a_draft_accepts_missing_answers_and_documents(form_all):
    result = formdef.clean_answers(form_all, {"full_name": "Fatima"}, partial=True)
    assert result.data == {"full_name": "Fatima"} and result.protected == {} and result.arrondissement_id is None


def test_a_draft_still_refuses_a_wrong_answer(form_all, arrondissements):
    errors = errors_of(form_all, {"children": "many", "district": str(arrondissements["temara"].pk)}, partial=True)
    assert set(errors) == {"children", "district"}


# --- the Django form ----------------------------------------------------------------------------------------------


def test_the_form_has_the_definition_fields_in_order_then_one_file_field_per_document(form_all):
    form = formdef.build_form(form_all)
    assert list(form.fields) == [spec["name"] for spec in ALL_TYPES] + ["doc__proof", "doc__lease"]


def test_the_form_speaks_the_active_language_and_uses_the_right_inputs(form_all, arrondissements):
    with translation.override("fr"):
        form = formdef.build_form(form_all)
        html = str(form)
        assert form["full_name"].label == "Nom complet" and form["full_name"].help_text == "Comme sur la CIN"
        assert form["doc__proof"].label == "Justificatif de domicile"
        assert form["doc__proof"].help_text == "Facture d'eau ou d'électricité"
        assert form.fields["district"].choices[1:] == [(str(a.pk), a.name_fr) for a in arrondissements["sale"]]
    with translation.override("ar"):
        form = formdef.build_form(form_all)
        assert form["full_name"].label == "الاسم الكامل"
        assert form.fields["district"].choices[1][1] == "باب لمريسة"
    assert 'type="date"' in html and 'max="2026-03-15"' in html and 'min="2025-03-15"' in html
    assert 'type="number"' in html and 'step="0.5"' in html and 'inputmode="numeric"' in html
    assert form["married"].widget_type == "radioselect" and form["reason"].widget_type == "radioselect"
    assert form["district"].widget_type == "select"
    assert "Harhoura" not in html
    assert 'autocomplete="street-address"' in html
    assert 'type="tel"' in html and 'autocomplete="tel"' in html
    assert form["plan"].widget_type == "file" and 'accept="application/pdf,image/jpeg,image/png"' in html
    assert form.fields["full_name"].required and not form.fields["phone"].required


def test_a_long_choice_list_is_a_select(world):
    choices = [{"value": f"v{i}", "label": {"ar": f"خيار {i}", "fr": f"Choix {i}"}} for i in range(8)]
    procedure = adopt(world, [{**CHOICE, "choices": choices}], documents=False)
    assert formdef.build_form(procedure)["kind"].widget_type == "select"


def test_conditional_fields_carry_their_condition_for_the_script(form_all):
    html = str(formdef.build_form(form_all)["reason_other"])
    assert 'data-show-if-field="reason"' in html and 'data-show-if-equals="other"' in html
    html = str(formdef.build_form(form_all)["spouse_cin"])
    assert 'data-show-if-field="married"' in html and 'data-show-if-equals="yes"' in html


def test_a_yes_no_condition_written_as_text_matches_the_radio_value(world):
    procedure = adopt(world, [YESNO, field(show_if={"field": "ok", "equals": "true"})], documents=False)
    assert 'data-show-if-equals="yes"' in str(formdef.build_form(procedure)["x"])
    assert formdef.clean_answers(procedure, {"ok": "yes", "x": "shown"}).data == {"ok": True, "x": "shown"}


def test_the_browser_never_blocks_a_submission_the_server_decides(form_all):
    # Without JavaScript every field shows: a `required` attribute would block a request where it is hidden.
    html = str(formdef.build_form(form_all))
    assert " required" not in html
    assert 'aria-required="true"' in str(formdef.build_form(form_all)["full_name"])


def upload(name: str = "proof.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")


def test_a_valid_submission_gives_raw_answers_and_uploads(form_all, arrondissements):
    form = formdef.build_form(form_all, data=good_answers(arrondissements),
                              files={"plan": upload("plan.pdf"), "doc__proof": upload()})
    assert form.is_valid(), form.errors
    raw = form.raw_answers()
    assert raw["children"] == "2" and raw["cin"] == "ab 123456" and "notes" not in raw
    assert [(name, f.name) for name, f in form.uploads()] == [("plan", "plan.pdf"), ("doc__proof", "proof.pdf")]
    assert form.cleaned_answers is not None and form.cleaned_answers.protected == {"cin": "AB123456"}
    # The services get the raw answers and check them again, with the same result.
    assert formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"}) == form.cleaned_answers


def test_form_errors_are_attached_to_the_right_field(form_all, arrondissements):
    data = {**good_answers(arrondissements), "children": "99", "district": str(arrondissements["temara"].pk)}
    form = formdef.build_form(form_all, data=data, files={"plan": upload()})
    assert not form.is_valid()
    assert set(form.errors) == {"children", "district", "doc__proof"}
    assert form.errors["district"] == ["Choose an arrondissement of this commune."]
    assert form["children"].value() == "99"  # what the citizen typed is kept


def test_stored_files_need_not_be_attached_again(form_all, arrondissements):
    form = formdef.build_form(form_all, data=good_answers(arrondissements), stored_files={"plan", "doc__proof"})
    assert not form.fields["plan"].required and not form.fields["doc__proof"].required
    assert form.is_valid(), form.errors
    assert form.uploads() == []


def test_a_draft_form_saves_what_is_there_but_refuses_what_is_wrong(form_all):
    form = formdef.build_form(form_all, data={"full_name": "Fatima", "children": ""}, partial=True)
    assert form.is_valid(), form.errors
    assert form.raw_answers() == {"full_name": "Fatima"}
    form = formdef.build_form(form_all, data={"full_name": "Fatima", "children": "-3"}, partial=True)
    assert not form.is_valid() and list(form.errors) == ["children"]


def test_a_stored_draft_round_trips_through_the_form(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "reason": "other", "reason_other": "Bourse", "married": "yes",
           "spouse_cin": "cd4567"}
    stored = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    form = formdef.build_form(form_all, initial={**stored.data, **stored.protected},
                              stored_files={"plan", "doc__proof"})
    html = str(form)
    assert 'value="yes" aria-required' not in html  # radios carry no aria-required
    assert 'value="2026-01-10"' in html and 'value="CD4567"' in html
    resubmitted = {name: form[name].value() for name in form.answer_names}
    again = formdef.build_form(form_all, data=resubmitted, stored_files={"plan", "doc__proof"})
    assert again.is_valid(), again.errors
    assert again.cleaned_answers == stored


def test_a_temara_form_lists_no_sale_arrondissement(world, arrondissements):
    procedure = adopt(world, RESIDENCE_FORM, commune=world.temara, documents=False)
    assert formdef.build_form(procedure).fields["arrondissement"].choices[1:] == [
        (str(arrondissements["temara"].pk), "الهرهورة")]


# --- display --------------------------------------------------------------------------------------------------


def test_answers_are_shown_with_labels_and_human_values(form_all, arrondissements):
    raw = {**good_answers(arrondissements), "reason": "other", "reason_other": "Bourse", "married": "yes",
           "spouse_cin": "cd4567"}
    stored = formdef.clean_answers(form_all, raw, present_files={"plan", "doc__proof"})
    with translation.override("fr"):
        rows = dict(formdef.display_answers(form_all, stored.data, stored.protected))
        yes = str(translation.gettext("Yes"))
    assert rows["Nom complet"] == "Fatima Zahra Bennani"
    assert rows["Motif"] == "Autre"
    assert rows["Marié(e) ?"] == yes
    assert rows["Arrondissement"] == "Bettana"
    assert rows["Numéro de CIN"] == "AB****56" and rows["CIN du conjoint"] == "CD**67"
    assert rows["Date de l'événement"] != "2026-01-10" and "2026" in rows["Date de l'événement"]
    assert "Plan" not in rows and "Remarques" not in rows
    with translation.override("ar"):
        rows = dict(formdef.display_answers(form_all, stored.data, stored.protected, mask_cin=False))
    assert rows["رقم البطاقة"] == "AB123456" and rows["المقاطعة"] == "بطانة"


@pytest.mark.parametrize(("cin", "masked"), [("AB123456", "AB****56"), ("A123", "A*23"), ("A12", "A**"), ("J1", "J*"),
                                             ("BE98765", "BE***65")])
def test_a_cin_is_masked_keeping_letters_and_last_two_digits(cin, masked):
    assert formdef.masked_cin(cin) == masked


def test_fees_and_decimal_steps_stay_exact():
    assert formdef._step_places(Decimal("0.01")) == 2 and formdef._step_places(1) == 0


def test_building_and_checking_a_form_costs_a_fixed_number_of_queries(form_all, arrondissements,
                                                                       django_assert_num_queries):
    with django_assert_num_queries(2):  # the commune's arrondissements, the procedure's documents
        formdef.build_form(form_all)
    with django_assert_num_queries(2):
        formdef.clean_answers(form_all, good_answers(arrondissements), present_files={"plan", "doc__proof"})
    with django_assert_num_queries(1):  # a draft does not look at the documents
        formdef.clean_answers(form_all, {"full_name": "Fatima"}, partial=True)
    with django_assert_num_queries(1):
        formdef.display_answers(form_all, {"district": arrondissements["sale"][0].pk}, {})
