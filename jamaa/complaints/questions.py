"""A category's extra questions: a list of `jamaa.catalog.formdef` fields limited to the kinds an Open311 service
definition can describe (text, textarea, number, choice, yesno)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jamaa.catalog import formdef

KINDS = ("text", "textarea", "number", "choice", "yesno")


def validate(definition: Any) -> None:
    """ValidationError when the definition is not a valid formdef list of the kinds above."""
    formdef.validate_definition(definition)
    for spec in definition:
        if spec.get("type") not in KINDS or spec.get("show_if"):
            raise ValidationError(_("An extra question is text, a number, a choice or yes/no, always shown."))


def clean(definition: Sequence[Mapping[str, Any]], raw: Mapping[str, Any]) -> dict[str, Any]:
    """The answers checked against the questions: ValidationError keyed by question name."""
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    for spec in definition:
        name = spec["name"]
        value = raw.get(name)
        if formdef._is_empty(value):
            if spec.get("required"):
                message = _("Choose an answer.") if spec["type"] in ("choice", "yesno") \
                    else _("This field is required.")
                errors[name] = [ValidationError(message, code="required")]
            continue
        try:
            cleaned[name] = formdef._clean_value(spec, value, None)
        except ValidationError as exc:
            errors[name] = exc.error_list
    if errors:
        raise ValidationError(errors)
    return cleaned
