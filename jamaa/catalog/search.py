"""Catalogue search that ignores Arabic diacritics and French accents.

People type "شهادة السكنى" with or without harakat, with أ or ا, ending in ة or ه; "residence" for "résidence", or
just the start of a word. Both the query and the searched text are reduced to the same plain form, then every word of
the query must appear somewhere in the text of the procedure (a part of a word is enough: Arabic glues the article
and prepositions to the word, "السكنى" holds "سكنى").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Tashkeel/harakat (fathatan … sukun, maddah/hamza above and below, and the other marks up to U+065F), the superscript
# alef U+0670 and the tatweel U+0640: they change neither the word nor its meaning for a search.
_ARABIC_MARKS = {code: None for code in [*range(0x064B, 0x0660), 0x0670, 0x0640]}
# Letters written in several ways: hamza seats, alef wasla, alef maqsura, taa marbuta.
_ARABIC_LETTERS = {
    ord("أ"): "ا", ord("إ"): "ا", ord("آ"): "ا", ord("ٱ"): "ا",
    ord("ى"): "ي", ord("ة"): "ه", ord("ؤ"): "و", ord("ئ"): "ي",
}
# Ligatures NFKD keeps as letters, and Arabic-Indic digits typed on Arabic keyboards.
_LATIN_LETTERS = {ord("œ"): "oe", ord("æ"): "ae"}
_DIGITS = {ord(d): str(i) for digits in ("٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹") for i, d in enumerate(digits)}
_TABLE = {**_ARABIC_LETTERS, **_LATIN_LETTERS, **_DIGITS, **_ARABIC_MARKS}

_WORD = re.compile(r"\w+")
MAX_QUERY_LENGTH = 200
MAX_TOKENS = 10


def normalize(text: str) -> str:
    """The plain form of `text` for comparison: lower case, no accents, no harakat, one spelling per letter."""
    # Hamza seats and alef forms first, before NFKD splits some of them into a letter and a combining mark.
    text = text.casefold().translate(_TABLE)
    decomposed = unicodedata.normalize("NFKD", text)
    # Drop every combining mark (Latin accents, and any Arabic mark NFKD split off), then the table again for
    # letters only NFKD revealed (a presentation form of ة, for instance).
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return plain.translate(_TABLE)


def tokens(query: str) -> list[str]:
    """The words of a query, in plain form (at most MAX_TOKENS, of a query cut at MAX_QUERY_LENGTH characters)."""
    words = _WORD.findall(normalize(query[:MAX_QUERY_LENGTH]))
    unique = list(dict.fromkeys(words))
    return unique[:MAX_TOKENS]


def searchable_text(parts: Iterable[str]) -> str:
    """The plain form of every text a procedure can be found by, in one string."""
    return normalize("\n".join(part for part in parts if part))


def matches(text: str, words: list[str]) -> bool:
    """`text` (already in plain form) holds every word of the query."""
    return all(word in text for word in words)
