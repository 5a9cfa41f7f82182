"""While a citizen types, the platform suggests a category: from the first day (the categories' own names and keywords,
no past complaint needed), in Arabic, French and Darija in either script, only among the categories in use, and
nothing at all for text it cannot read."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from jamaa.complaints import classifier
from jamaa.complaints.models import Category, ClassifierModel, ComplaintKind
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    classifier.clear_cache()
    with tenancy.unscoped():
        yield
    classifier.clear_cache()


def codes(commune: Any, text: str, **options: Any) -> list[str]:
    return [s.category.code for s in classifier.suggest(commune, text, **options)]


# --- normalization --------------------------------------------------------------------------------------------------


def test_normalize_gives_one_spelling_to_arabic_variants() -> None:
    assert classifier.normalize("الأَزْبَالُ فـــالزنقة") == "الازبال فالزنقه"
    assert classifier.normalize("إنارة آبار مستشفى") == "اناره ابار مستشفي"
    assert classifier.normalize("الماء مسؤول") == classifier.normalize("الما مسوول")


def test_normalize_removes_french_accents_and_case() -> None:
    assert classifier.normalize("Éclairage ÉTEINT, lampadaire grillé ; cœur") == \
        "eclairage eteint lampadaire grille coeur"


def test_normalize_keeps_arabizi_digits_inside_words() -> None:
    assert classifier.normalize("Kayn wa7ed L7EFRA f triq, 3la 9bal!") == "kayn wa7ed l7efra f triq 3la 9bal"


def test_darija_in_either_script_shares_its_consonant_skeleton() -> None:
    for text in ("الحفرة", "l7efra", "lhofra"):
        assert classifier._features_text(text).split()[-1] == "LHFR"
    assert classifier._features_text("الما كيسيل").split()[-1] == classifier._features_text("kaysil").split()[-1]


def test_normalize_turns_punctuation_into_spaces_and_folds_letters_repeated_for_emphasis() -> None:
    assert classifier.normalize("bzzzzzaf!!!...الزنقة؟؟ (rue)") == "bzzaf الزنقه rue"
    assert classifier.normalize("٢٠٢٦/05") == "2026 05"
    assert classifier.normalize("  \n\t ") == ""


# --- cold start: the categories alone -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("الأزبال ما تجمعاتش فالزنقة", "dechets-non-collectes"),  # Darija, Arabic script
    ("lampadaire éteint depuis une semaine", "eclairage-panne"),  # French
    ("kayn wa7ed l7efra kbira f triq", "voirie-nid-de-poule"),  # Darija, Latin script
    ("كاين واحد الحفرة كبيرة فالطريق", "voirie-nid-de-poule"),  # the same in Arabic script
    ("الضو طافي فالزنقة ديالنا من سيمانة", "eclairage-panne"),
    ("الما كيسيل فالزنقة", "eau"),  # "كيسيل" matches the keyword "kaysil", written in Latin script
    ("poubella 3amra w zbel fl ard", "dechets-conteneur"),
    ("الكلاب الضالة كثيرة فالحي", "animaux"),
    ("musique forte toute la nuit dans le café", "bruit"),
    ("البالوعة مفتوحة وخطيرة على الدراري", "voirie-regard"),
    ("chajra ta7t 3la triq", "espaces-verts-arbre"),
    ("mon dossier attend depuis trois mois sans réponse", "administration-delai"),
])
def test_a_commune_without_any_complaint_gets_the_expected_category_in_the_first_three(
        cworld: Any, text: str, expected: str) -> None:
    suggestions = classifier.suggest(cworld.w.sale, text)

    assert expected in [s.category.code for s in suggestions]
    assert 1 <= len(suggestions) <= 3
    assert all(0 < s.score <= 1 for s in suggestions)
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert not ClassifierModel.all_communes.exists()  # the seed model lives in memory only


def test_suggestions_are_the_communes_own_categories(cworld: Any) -> None:
    sale = classifier.suggest(cworld.w.sale, "lampadaire éteint depuis une semaine")
    temara = classifier.suggest(cworld.w.temara, "lampadaire éteint depuis une semaine")

    assert {s.category.commune_id for s in sale} == {cworld.w.sale.pk}
    assert {s.category.commune_id for s in temara} == {cworld.w.temara.pk}
    assert sale[0].category.code == temara[0].category.code == "eclairage-panne"


def test_the_limit_caps_the_number_of_suggestions(cworld: Any) -> None:
    text = "kayn wa7ed l7efra kbira f triq"
    assert len(classifier.suggest(cworld.w.sale, text, limit=1)) == 1
    assert classifier.suggest(cworld.w.sale, text, limit=0) == []


# --- what can be suggested ------------------------------------------------------------------------------------------


def test_a_category_switched_off_is_never_suggested(cworld: Any) -> None:
    text = "lampadaire éteint depuis une semaine"
    assert codes(cworld.w.sale, text)[0] == "eclairage-panne"
    Category.all_communes.filter(pk=cworld.category("eclairage-panne").pk).update(is_active=False)

    assert "eclairage-panne" not in codes(cworld.w.sale, text, limit=10)


def test_a_category_switched_off_after_training_is_not_suggested_by_the_stored_model(cworld: Any) -> None:
    text = "lampadaire éteint depuis une semaine"
    classifier.train(cworld.w.sale)
    assert codes(cworld.w.sale, text)[0] == "eclairage-panne"
    Category.all_communes.filter(pk=cworld.category("eclairage-panne").pk).update(is_active=False)

    assert "eclairage-panne" not in codes(cworld.w.sale, text, limit=10)


def test_a_category_whose_sub_categories_are_all_switched_off_is_suggested_itself(cworld: Any) -> None:
    text = "الأزبال ما تجمعاتش فالزنقة"
    assert "dechets" not in codes(cworld.w.sale, text, limit=10)  # a parent is not a category one files in
    Category.all_communes.filter(parent=cworld.category("dechets")).update(is_active=False)

    assert codes(cworld.w.sale, text)[0] == "dechets"


def test_the_kind_keeps_reports_and_grievances_apart(cworld: Any) -> None:
    text = "l'agent au guichet était impoli et m'a demandé de revenir demain"

    grievances = classifier.suggest(cworld.w.sale, text, kind=ComplaintKind.GRIEVANCE)
    reports = classifier.suggest(cworld.w.sale, text, kind=ComplaintKind.REPORT, limit=10)

    assert grievances[0].category.code == "administration-accueil"
    assert {s.category.kind for s in grievances} == {ComplaintKind.GRIEVANCE}
    assert {s.category.kind for s in reports} <= {ComplaintKind.REPORT}
    assert "administration-accueil" not in [s.category.code for s in reports]


def test_a_report_text_asked_among_grievances_suggests_no_report(cworld: Any) -> None:
    suggestions = classifier.suggest(cworld.w.sale, "kayn wa7ed l7efra kbira f triq", kind=ComplaintKind.GRIEVANCE)

    assert all(s.category.kind == ComplaintKind.GRIEVANCE for s in suggestions)


def test_an_unknown_kind_suggests_nothing(cworld: Any) -> None:
    assert classifier.suggest(cworld.w.sale, "lampadaire éteint", kind="weather") == []


def test_a_commune_with_a_single_category_in_use_gets_no_suggestion(cworld: Any) -> None:
    Category.all_communes.filter(commune=cworld.w.temara).exclude(code="bruit").update(is_active=False)

    assert classifier.suggest(cworld.w.temara, "musique forte toute la nuit") == []
    assert classifier.train(cworld.w.temara) is None
    assert not ClassifierModel.all_communes.filter(commune=cworld.w.temara).exists()


# --- text it cannot read ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "", "   ", "a", "ok", "!!!", "؟؟؟ ...", "12345 6789", "٢٠٢٦", "asdfgh", "qsdkfj lkjqsd", "hello world", "bonjour",
    "مرحبا", "😀😀😀", "\x00\x01\x02", "<script>alert(1)</script>",
])
def test_empty_short_or_unreadable_text_gets_no_suggestion(cworld: Any, text: str) -> None:
    assert classifier.suggest(cworld.w.sale, text) == []


def test_text_that_is_not_a_string_gets_no_suggestion(cworld: Any) -> None:
    assert classifier.suggest(cworld.w.sale, None) == []  # type: ignore[arg-type]
    assert classifier.suggest(cworld.w.sale, b"lampadaire") == []  # type: ignore[arg-type]


def test_a_very_long_text_is_answered_quickly(cworld: Any) -> None:
    text = "lampadaire éteint depuis une semaine " + "x" * 200_000
    started = time.perf_counter()
    suggestions = classifier.suggest(cworld.w.sale, text)
    assert time.perf_counter() - started < 5  # includes training the seed model

    assert suggestions[0].category.code == "eclairage-panne"


# --- fast enough to run while typing --------------------------------------------------------------------------------


def test_a_suggestion_takes_a_few_milliseconds_and_two_queries(cworld: Any,
                                                                django_assert_num_queries: Any) -> None:
    commune = cworld.w.sale
    classifier.suggest(commune, "lampadaire")  # the seed model is trained once per process
    texts = ["الأزبال ما تجمعاتش فالزنقة", "lampadaire éteint depuis une semaine", "kayn wa7ed l7efra kbira f triq"]

    with django_assert_num_queries(2):  # the categories in use, the stored model's date
        classifier.suggest(commune, texts[0])
    started = time.perf_counter()
    for _ in range(10):
        for text in texts:
            classifier.suggest(commune, text)
    assert (time.perf_counter() - started) / 30 < 0.05
