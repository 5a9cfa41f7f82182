"""What a citizen typed, made fit for the public page, the map and Open311: phone numbers, e-mail addresses and CIN
numbers written in a description, a reopen reason or an answer are masked. The filer and staff see the text as it was
typed; the public never sees these identifiers, whatever the citizen wrote."""

from __future__ import annotations

import re

MASK = "•••"
_DIGIT = r"[0-9\u0660-\u0669\u06F0-\u06F9]"  # ASCII, Arabic-Indic and Eastern Arabic-Indic digits
_SEP = r"[\s.\-/]?"
# A Moroccan number: +212 / 00212 / 0, then 5, 6, 7 or 8 and eight more digits, separators allowed between digits.
PHONE_RE = re.compile(rf"(?<!{_DIGIT})(?:(?:\+|00)212{_SEP}\(?0?\)?|0){_SEP}[5-8](?:{_SEP}{_DIGIT}){{8}}(?!{_DIGIT})")
# Any other run of 9 or more digits (an international number, an account): no report needs one.
LONG_NUMBER_RE = re.compile(rf"(?<![\w]){_DIGIT}(?:{_SEP}{_DIGIT}){{8,}}(?![\w])")
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A national identity card number: one or two Latin letters, then 4 to 6 digits (AB123456, K 45678).
CIN_RE = re.compile(rf"(?<![\w])[A-Za-z]{{1,2}}\s?{_DIGIT}{{4,6}}(?![\w])")


def public(text: str) -> str:
    """`text` with the identifiers above masked."""
    if not text:
        return text
    for pattern in (EMAIL_RE, PHONE_RE, LONG_NUMBER_RE, CIN_RE):
        text = pattern.sub(MASK, text)
    return text
