"""Catalogue search: Arabic words whatever their diacritics and spelling of alef/hamza/taa marbuta, French words
whatever their accents, parts of words, and every word of the query must match."""

from __future__ import annotations

import pytest

from jamaa.catalog.search import matches, normalize, searchable_text, tokens


@pytest.mark.parametrize(("typed", "plain"), [
    ("شَهَادَةُ السُّكْنَى", "شهاده السكني"),
    ("شهادة السكنى", "شهاده السكني"),
    ("إِدَارَة", "اداره"),
    ("أُسْرَة", "اسره"),
    ("آمِنَة", "امنه"),
    ("ٱلْعِلْم", "العلم"),
    ("مُؤَسَّسَة", "موسسه"),
    ("رئيس", "رييس"),
    ("شـــهـادة", "شهاده"),
    ("Résidence", "residence"),
    ("ÉTAT CIVIL", "etat civil"),
    ("cœur", "coeur"),
    ("Lætitia", "laetitia"),
    ("٢٠٢٦", "2026"),
])
def test_text_is_reduced_to_one_plain_spelling(typed: str, plain: str) -> None:
    assert normalize(typed) == plain


def test_a_query_is_split_into_plain_words_without_duplicates() -> None:
    assert tokens("  Certificat,  de RÉSIDENCE résidence ") == ["certificat", "de", "residence"]


def test_a_query_without_words_searches_nothing() -> None:
    assert tokens(" ؟!,. ") == []


def test_every_word_must_match_and_a_part_of_a_word_is_enough() -> None:
    text = searchable_text(["Certificat de résidence", "شهادة السكنى"])
    assert matches(text, tokens("resid certif"))
    assert matches(text, tokens("سكنى"))
    assert not matches(text, tokens("résidence permis"))


def test_a_very_long_query_is_cut() -> None:
    assert len(tokens("mot " * 500)) <= 10
    assert len(tokens("a" * 5000)[0]) == 200


# --- on the public catalogue page ---------------------------------------------------------------------------


def _names(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("query", [
    "شهادة السكنى", "شَهَادَةُ السُّكْنَى", "شهاده السكني", "السكنى", "سكن",
])
def test_arabic_search_finds_the_residence_certificate_with_or_without_harakat(procedures, sale_client, query):
    body = sale_client.get("/procedures/", {"q": query}).content.decode()
    assert "/procedures/residence-certificate/" in body
    assert "/procedures/building-permit/" not in body


@pytest.mark.parametrize("query", ["résidence", "residence", "RESIDENCE", "certif resid", "Résid"])
def test_french_search_ignores_accents_and_finds_parts_of_words(procedures, sale_client, query):
    body = sale_client.get("/fr/procedures/", {"q": query}).content.decode()
    assert "Certificat de résidence" in body
    assert "Permis de construire" not in body


def test_search_looks_in_required_documents_category_and_life_events(procedures, sale_client):
    for query in ("justificatif domicile", "عقد الكراء", "déménagement", "etat civil"):
        body = sale_client.get("/fr/procedures/", {"q": query}).content.decode()
        assert "/fr/procedures/residence-certificate/" in body, query
        assert "/fr/procedures/building-permit/" not in body, query
    body = sale_client.get("/fr/procedures/", {"q": "urbanisme"}).content.decode()
    assert "/fr/procedures/building-permit/" in body


def test_search_in_french_on_the_arabic_page_and_in_arabic_on_the_french_page(procedures, sale_client):
    assert "/procedures/building-permit/" in sale_client.get("/procedures/", {"q": "construire"}).content.decode()
    assert "/fr/procedures/building-permit/" in sale_client.get(
        "/fr/procedures/", {"q": "رخصة"}).content.decode()


def test_every_word_of_the_query_must_match(procedures, sale_client):
    body = sale_client.get("/fr/procedures/", {"q": "certificat construire"}).content.decode()
    assert "/fr/procedures/residence-certificate/" not in body
    assert "/fr/procedures/building-permit/" not in body
    assert 'class="empty-state"' in body


def test_search_never_finds_a_procedure_the_commune_did_not_adopt(procedures, sale_client):
    # The life certificate is in the national catalogue, adopted by nobody.
    body = sale_client.get("/fr/procedures/", {"q": "vie"}).content.decode()
    assert "life-certificate" not in body
    assert 'class="empty-state"' in body


@pytest.mark.parametrize("query", ["%", "' OR 1=1 --", "<script>", "\u200f", "x" * 3000, "_"])
def test_odd_queries_are_answered_calmly(procedures, sale_client, query):
    response = sale_client.get("/fr/procedures/", {"q": query})
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("<main", 1)[1].split("</main>", 1)[0]
