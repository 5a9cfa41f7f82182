"""Parsing and masking of the identifiers citizens type: Moroccan mobile numbers, e-mail addresses, CIN."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

CIN_RE = re.compile(r"^[A-Z]{1,2}[0-9]{1,6}$")


@dataclass(frozen=True)
class Identifier:
    kind: Literal["phone", "email"]
    value: str


def normalize_moroccan_mobile(raw: str) -> str:
    """Return the number in E.164 form (+2126XXXXXXXX) or raise ValidationError with a clear message."""
    text = raw.strip()
    try:
        number = phonenumbers.parse(text, "MA")
    except phonenumbers.NumberParseException:
        raise ValidationError(_("This is not a valid phone number."), code="invalid_phone") from None
    if number.country_code != 212:
        raise ValidationError(
            _("Only Moroccan mobile numbers (+212) can be used. Use an e-mail address otherwise."),
            code="foreign_phone",
        )
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_("This is not a valid Moroccan phone number."), code="invalid_phone")
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise ValidationError(
            _("This is a landline number; enter a mobile number (06… or 07…) that can receive SMS."),
            code="not_mobile",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_email(raw: str) -> bool:
    return "@" in raw


def parse_identifier(raw: str) -> Identifier:
    """A mobile number or an e-mail address, normalised; raises ValidationError otherwise."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a mobile number or an e-mail address."), code="required")
    if looks_like_email(text):
        try:
            validate_email(text)
        except ValidationError:
            raise ValidationError(_("This is not a valid e-mail address."), code="invalid_email") from None
        local, _sep, domain = text.rpartition("@")
        return Identifier("email", f"{local}@{domain.lower()}".lower())
    if not re.fullmatch(r"[0-9+()\-.\s]+", text):
        raise ValidationError(_("Enter a mobile number or an e-mail address."), code="invalid")
    return Identifier("phone", normalize_moroccan_mobile(text))


def format_phone_national(e164: str) -> str:
    try:
        return phonenumbers.format_number(phonenumbers.parse(e164, "MA"), phonenumbers.PhoneNumberFormat.NATIONAL)
    except phonenumbers.NumberParseException:
        return e164


def normalize_cin(raw: str) -> str:
    value = re.sub(r"\s+", "", raw or "").upper()
    if not CIN_RE.fullmatch(value):
        raise ValidationError(
            _("A CIN number is one or two letters followed by up to six digits, for example AB123456."),
            code="invalid_cin",
        )
    return value


def mask_cin(cin: str) -> str:
    """AB123456 -> AB••••56: enough for the citizen to recognise it, not enough to reuse it."""
    if not cin:
        return ""
    letters = re.match(r"^[A-Z]*", cin)
    prefix = letters.group(0) if letters else ""
    digits = cin[len(prefix):]
    if len(digits) <= 2:
        return prefix + "•" * len(digits)
    return prefix + "•" * (len(digits) - 2) + digits[-2:]


def mask_phone(e164: str) -> str:
    if not e164 or len(e164) < 6:
        return e164
    return e164[:5] + "•" * (len(e164) - 7) + e164[-2:]


def mask_email(email: str) -> str:
    local, _sep, domain = email.partition("@")
    if not domain:
        return email
    return (local[:1] + "•••" if local else "") + "@" + domain
