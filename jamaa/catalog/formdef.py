"""Declarative form definitions of catalogue procedures: validation of a definition, the Django form built from it,
and the validation of a citizen's answers (shared by the pages and the API).

A definition is a JSON list of fields:
    {"name": "purpose",                      # [a-z][a-z0-9_]*, unique in the form
     "type": "text" | "textarea" | "number" | "date" | "choice" | "yesno" | "arrondissement" | "address" | "cin"
             | "file",
     "label": {"ar": "...", "fr": "...", "zgh": "..."},   # ar and fr required
     "help": {"ar": "...", "fr": "..."},                    # optional
     "required": true,
     "choices": [{"value": "work", "label": {"ar": "...", "fr": "..."}}],   # type choice only
     "min": 0, "max": 10,                    # number: bounds; text/textarea: lengths ("min_length"/"max_length")
     "step": 0.5,                            # number: a fractional step allows decimals (whole numbers otherwise)
     "min_length": 2, "max_length": 200,
     "pattern": "^[0-9]{10}$", "pattern_message": {"ar": "...", "fr": "..."},
     "date_min": "today" | "-100y" | "2020-01-01", "date_max": "today" | "+1y" | ...,
     "autocomplete": "tel",                  # text/date: the browser's autofill token (AUTOCOMPLETE_TOKENS)
     "show_if": {"field": "other_field", "equals": "value"}}   # shown (and required) only when the other answer matches
Required documents of the procedure are added to the form as file fields named `doc__<code>`.
An `arrondissement` field is left out in a commune that has no arrondissements (as are the fields that depend on it).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from jamaa.catalog.models import CommuneProcedure

FIELD_TYPES = ("text", "textarea", "number", "date", "choice", "yesno", "arrondissement", "address", "cin", "file")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CIN_RE = re.compile(r"^[A-Z]{1,2}[0-9]{1,6}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RELATIVE_DATE_RE = re.compile(r"^([+-])([0-9]{1,3})([ymd])$")
DOCUMENT_PREFIX = "doc__"
TIME_ZONE = ZoneInfo("Africa/Casablanca")

# Defaults when a definition sets no length: enough for a sentence, a paragraph, a postal address.
TEXT_MAX_LENGTH = 200
TEXTAREA_MAX_LENGTH = 4000
ADDRESS_MIN_LENGTH = 5
ADDRESS_MAX_LENGTH = 250
# Choices up to this many are radio buttons (all visible on a phone); more become a select.
RADIO_MAX_CHOICES = 5
ACCEPTED_UPLOADS = "application/pdf,image/jpeg,image/png"

_COMMON_KEYS = {"name", "type", "label", "help", "required", "show_if"}
_TYPE_KEYS: dict[str, set[str]] = {
    "text": {"min_length", "max_length", "pattern", "pattern_message", "autocomplete"},
    "textarea": {"min_length", "max_length", "pattern", "pattern_message"},
    "number": {"min", "max", "step"},
    "date": {"date_min", "date_max", "autocomplete"},
    "choice": {"choices"},
    "yesno": set(),
    "arrondissement": set(),
    "address": {"min_length", "max_length"},
    "cin": set(),
    "file": set(),
}
# The browser's autofill tokens a definition may name (HTML autocomplete attribute); "tel" also makes a phone keypad.
AUTOCOMPLETE_TOKENS = ("off", "name", "given-name", "family-name", "tel", "email", "bday", "postal-code",
                       "organization")
_TRUE = {"true", "yes", "1", "on", "oui", "نعم"}
_FALSE = {"false", "no", "0", "off", "non", "لا"}


@dataclass
class CleanAnswers:
    data: dict[str, Any] = field(default_factory=dict)
    protected: dict[str, str] = field(default_factory=dict)
    arrondissement_id: int | None = None


# ---------------------------------------------------------------------------------------------------------------------
# Helpers


def tr_label(value: Any, language: str | None = None) -> str:
    """The text of a {"ar": ..., "fr": ..., "zgh": ...} label in the active language, falling back ar -> fr -> zgh."""
    if isinstance(value, str):
        return value
    if not isinstance(value, Mapping):
        return ""
    language = (language or get_language() or "ar").split("-")[0]
    for code in (language, "ar", "fr", "zgh"):
        text = value.get(code)
        if isinstance(text, str) and text.strip():
            return text
    return ""


def today() -> dt.date:
    return timezone.now().astimezone(TIME_ZONE).date()


def _shift(day: dt.date, amount: int, unit: str) -> dt.date:
    if unit == "d":
        return day + dt.timedelta(days=amount)
    months = amount * 12 if unit == "y" else amount
    month_index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(month_index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise ValueError("date out of range")
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resolve_date_bound(value: str, *, on: dt.date | None = None) -> dt.date:
    """"today", "+1y", "-100y", "+30d", "-6m" (relative to today in Morocco) or an ISO date. ValueError if not."""
    if not isinstance(value, str):
        raise ValueError("not a string")
    base = on or today()
    if value == "today":
        return base
    match = RELATIVE_DATE_RE.match(value)
    if match:
        sign, amount, unit = match.groups()
        return _shift(base, int(amount) * (-1 if sign == "-" else 1), unit)
    return dt.date.fromisoformat(value) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value) else _bad_date()


def _bad_date() -> dt.date:
    raise ValueError("not a date")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return False
    return Decimal(str(value)).is_finite()


def _step_places(step: Any) -> int:
    """Decimal places a number field accepts: 0 unless its step is fractional (0.5 -> 1, 0.01 -> 2)."""
    if step is None:
        return 0
    exponent = Decimal(str(step)).normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def parse_yesno(value: Any) -> bool | None:
    """True, False, or None when the value is no yes/no answer."""
    if isinstance(value, bool):
        return value
    if _is_int(value) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return None


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def masked_cin(value: str) -> str:
    """AB123456 -> AB****56: the letters and the last two digits stay, so the citizen recognises the number."""
    match = re.match(r"^([A-Za-z]*)([0-9]*)$", value or "")
    if not match:
        return "*" * len(value or "")
    letters, digits = match.groups()
    if len(digits) <= 2:
        return letters + "*" * len(digits)
    return letters + "*" * (len(digits) - 2) + digits[-2:]


def _field_title(spec: Mapping[str, Any], position: int) -> str:
    name = spec.get("name") if isinstance(spec, Mapping) else None
    return str(name) if isinstance(name, str) and name else f"#{position + 1}"


# ---------------------------------------------------------------------------------------------------------------------
# Validation of a definition (the admin and the model's clean() call it)


def validate_definition(definition: Any) -> None:
    """Raise ValidationError listing every problem of a form definition (see the module docstring)."""
    if not isinstance(definition, list):
        raise ValidationError(_("The form definition must be a list of fields."), code="not_a_list")
    errors: list[ValidationError] = []
    seen: dict[str, Mapping[str, Any]] = {}

    def error(position: int, spec: Any, message: str, **params: Any) -> None:
        errors.append(ValidationError(_("Field %(field)s: %(problem)s"), params={
            "field": _field_title(spec, position), "problem": message % params if params else message}))

    for position, spec in enumerate(definition):
        if not isinstance(spec, Mapping):
            errors.append(ValidationError(_("Field %(field)s: a field must be an object."),
                                          params={"field": f"#{position + 1}"}))
            continue
        name = spec.get("name")
        kind = spec.get("type")
        if not isinstance(name, str) or not NAME_RE.match(name):
            error(position, spec, _("the name must start with a lower-case letter and contain only lower-case "
                                    "letters, digits and underscores."))
        elif name.startswith(DOCUMENT_PREFIX):
            error(position, spec, _("names starting with “doc__” are reserved for required documents."))
        elif name in seen:
            error(position, spec, _("this name is used by another field."))
        if kind not in FIELD_TYPES:
            error(position, spec, _("unknown type “%(type)s” (expected one of: %(types)s)."),
                  type=kind, types=", ".join(FIELD_TYPES))
            if isinstance(name, str) and name not in seen:
                seen[name] = spec
            continue
        unknown = set(spec) - _COMMON_KEYS - _TYPE_KEYS[kind]
        if unknown:
            error(position, spec, _("unknown or misplaced keys for this type: %(keys)s."),
                  keys=", ".join(sorted(map(str, unknown))))
        for problem in _label_problems(spec.get("label"), _("label")):
            error(position, spec, problem)
        if "help" in spec:
            for problem in _label_problems(spec.get("help"), _("help")):
                error(position, spec, problem)
        if "required" in spec and not isinstance(spec["required"], bool):
            error(position, spec, _("“required” must be true or false."))
        for problem in _type_problems(kind, spec):
            error(position, spec, problem)
        if "show_if" in spec:
            for problem in _show_if_problems(spec["show_if"], seen):
                error(position, spec, problem)
        if isinstance(name, str) and name not in seen:
            seen[name] = spec
    if errors:
        raise ValidationError(errors)


def _check_label(value: Any, *, what: Any, report: Any) -> None:
    if not isinstance(value, Mapping):
        report(_("the %(what)s must be an object with Arabic and French texts."), what=what)
        return
    for code in ("ar", "fr"):
        text = value.get(code)
        if not isinstance(text, str) or not text.strip():
            report(_("the %(what)s needs a text in %(language)s."), what=what,
                   language=_("Arabic") if code == "ar" else _("French"))
    for code, text in value.items():
        if code not in ("ar", "fr", "zgh"):
            report(_("the %(what)s has an unknown language “%(language)s”."), what=what, language=code)
        elif not isinstance(text, str):
            report(_("the %(what)s must contain texts."), what=what)


def _type_problems(kind: str, spec: Mapping[str, Any]) -> Iterable[str]:
    if kind in ("text", "textarea", "address"):
        lengths = {}
        for key in ("min_length", "max_length"):
            if key in spec:
                if not _is_int(spec[key]) or spec[key] < 0:
                    yield _("“%(key)s” must be a whole number, 0 or more.") % {"key": key}
                else:
                    lengths[key] = spec[key]
        if "max_length" in lengths and lengths["max_length"] < 1:
            yield _("“max_length” must be at least 1.")
        if len(lengths) == 2 and lengths["min_length"] > lengths["max_length"]:
            yield _("“min_length” is greater than “max_length”.")
        if kind == "address" and lengths.get("max_length", ADDRESS_MAX_LENGTH) > ADDRESS_MAX_LENGTH:
            yield _("an address is at most %(max)s characters.") % {"max": ADDRESS_MAX_LENGTH}
        if kind == "address" and lengths.get("max_length", ADDRESS_MAX_LENGTH) < ADDRESS_MIN_LENGTH:
            yield _("an address is at least %(min)s characters.") % {"min": ADDRESS_MIN_LENGTH}
        if "autocomplete" in spec and spec["autocomplete"] not in AUTOCOMPLETE_TOKENS:
            yield _("“autocomplete” must be one of: %(tokens)s.") % {"tokens": ", ".join(AUTOCOMPLETE_TOKENS)}
        if "pattern" in spec:
            pattern = spec["pattern"]
            try:
                if not isinstance(pattern, str) or not pattern:
                    raise re.error("empty")
                re.compile(pattern)
            except re.error:
                yield _("the pattern is not a valid regular expression.")
            if "pattern_message" in spec:
                yield from _label_problems(spec["pattern_message"], _("pattern message"))
        elif "pattern_message" in spec:
            yield _("“pattern_message” needs a “pattern”.")
    elif kind == "number":
        bounds = {}
        for key in ("min", "max"):
            if key in spec:
                if not _is_number(spec[key]):
                    yield _("“%(key)s” must be a number.") % {"key": key}
                else:
                    bounds[key] = Decimal(str(spec[key]))
        if len(bounds) == 2 and bounds["min"] > bounds["max"]:
            yield _("“min” is greater than “max”.")
        if "step" in spec and (not _is_number(spec["step"]) or Decimal(str(spec["step"])) <= 0):
            yield _("“step” must be a positive number.")
    elif kind == "date":
        if "autocomplete" in spec and spec["autocomplete"] not in AUTOCOMPLETE_TOKENS:
            yield _("“autocomplete” must be one of: %(tokens)s.") % {"tokens": ", ".join(AUTOCOMPLETE_TOKENS)}
        dates = {}
        for key in ("date_min", "date_max"):
            if key in spec:
                try:
                    dates[key] = resolve_date_bound(spec[key])
                except (ValueError, OverflowError):
                    yield _("“%(key)s” must be “today”, a shift like “+1y”, “-100y”, “+30d”, or a date like "
                            "2020-01-31.") % {"key": key}
        if len(dates) == 2 and dates["date_min"] > dates["date_max"]:
            yield _("“date_min” is after “date_max”.")
    elif kind == "choice":
        choices = spec.get("choices")
        if not isinstance(choices, list) or not choices:
            yield _("a choice field needs a non-empty list of “choices”.")
            return
        values: set[str] = set()
        for choice in choices:
            if not isinstance(choice, Mapping) or not isinstance(choice.get("value"), str) \
                    or not choice.get("value"):
                yield _("each choice needs a text “value” and a “label”.")
                continue
            if choice["value"] in values:
                yield _("the choice value “%(value)s” appears twice.") % {"value": choice["value"]}
            values.add(choice["value"])
            if set(choice) - {"value", "label"}:
                yield _("a choice has only a “value” and a “label”.")
            yield from _label_problems(choice.get("label"), _("label of choice “%(value)s”") % {
                "value": choice["value"]})


def _label_problems(value: Any, what: Any) -> list[str]:
    problems: list[str] = []
    _check_label(value, what=what, report=lambda m, **p: problems.append(m % p if p else m))
    return problems


def _show_if_problems(show_if: Any, earlier: Mapping[str, Mapping[str, Any]]) -> Iterable[str]:
    if not isinstance(show_if, Mapping) or set(show_if) != {"field", "equals"}:
        yield _("“show_if” must be an object with “field” and “equals”.")
        return
    target_name = show_if["field"]
    target = earlier.get(target_name) if isinstance(target_name, str) else None
    if target is None:
        yield _("“show_if” must refer to a field that comes before it (“%(field)s” does not).") % {
            "field": target_name}
        return
    equals = show_if["equals"]
    kind = target.get("type")
    if kind in ("file", "cin"):
        yield _("“show_if” cannot depend on a file or a CIN number.")
    elif kind == "choice":
        values = [c.get("value") for c in target.get("choices") or [] if isinstance(c, Mapping)]
        if not isinstance(equals, str) or equals not in values:
            yield _("“show_if” compares with “%(value)s”, which is not a choice of “%(field)s”.") % {
                "value": equals, "field": target_name}
    elif kind == "yesno":
        if parse_yesno(equals) is None:
            yield _("“show_if” on a yes/no field must compare with true or false.")
    elif not isinstance(equals, (str, int, float)) or isinstance(equals, bool):
        yield _("“show_if” must compare with a text or a number.")


# ---------------------------------------------------------------------------------------------------------------------
# Answers


def _documents(procedure: CommuneProcedure) -> list[Any]:
    # Prefetched documents are reused (the pages prefetch them); otherwise one query.
    return list(procedure.procedure.documents.all())


def _definition(procedure: CommuneProcedure) -> list[dict[str, Any]]:
    definition = procedure.procedure.form_definition
    return definition if isinstance(definition, list) else []


def _shown(spec: Mapping[str, Any], cleaned: Mapping[str, Any], definition_by_name: Mapping[str, Any]) -> bool:
    show_if = spec.get("show_if")
    if not show_if:
        return True
    target = definition_by_name.get(show_if.get("field"))
    if target is None or show_if.get("field") not in cleaned:
        return False
    value = cleaned[show_if["field"]]
    if target.get("type") == "yesno":
        return value is not None and value == parse_yesno(show_if.get("equals"))
    return value is not None and str(value) == str(show_if.get("equals"))


def clean_answers(procedure: CommuneProcedure, raw: Mapping[str, Any], *, present_files: Collection[str] = (),
                  partial: bool = False) -> CleanAnswers:
    """Check a citizen's answers against the procedure's form; raise ValidationError keyed by field name."""
    definition = _definition(procedure)
    by_name = {spec["name"]: spec for spec in definition}
    present = set(present_files)
    result = CleanAnswers()
    # Every cleaned value (CIN included, None for "not answered") so that show_if can look back.
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[ValidationError]] = {}
    arrondissements: set[int] | None = None

    if any(spec.get("type") == "arrondissement" for spec in definition):
        arrondissements = _arrondissement_ids(procedure)

    for spec in definition:
        name, kind = spec["name"], spec["type"]
        if not _shown(spec, cleaned, by_name):
            continue
        if kind == "arrondissement" and not arrondissements:
            # A commune without arrondissements (Témara) is not asked for one.
            continue
        required = bool(spec.get("required")) and not partial
        if kind == "file":
            cleaned[name] = name in present
            if required and name not in present:
                errors[name] = [ValidationError(_("Attach this file."), code="required")]
            continue
        value = raw.get(name)
        if _is_empty(value):
            cleaned[name] = None
            if required:
                message = _("Choose an answer.") if kind in ("choice", "yesno", "arrondissement") \
                    else _("This field is required.")
                errors[name] = [ValidationError(message, code="required")]
            continue
        try:
            clean_value = _clean_value(spec, value, arrondissements)
        except ValidationError as exc:
            errors[name] = exc.error_list
            cleaned[name] = None
            continue
        cleaned[name] = clean_value
        if kind == "cin":
            result.protected[name] = clean_value
        else:
            result.data[name] = clean_value
            if kind == "arrondissement" and result.arrondissement_id is None:
                result.arrondissement_id = clean_value

    if not partial:
        for document in _documents(procedure):
            key = f"{DOCUMENT_PREFIX}{document.code}"
            if document.is_required and key not in present:
                errors[key] = [ValidationError(_("Attach this document."), code="required")]
    if errors:
        raise ValidationError(errors)
    return result


def _arrondissement_ids(procedure: CommuneProcedure) -> set[int]:
    from jamaa.core.models import Arrondissement

    return set(Arrondissement.all_communes.filter(commune_id=procedure.commune_id).values_list("pk", flat=True))


def _text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValidationError(_("Enter a text."), code="invalid")
    text = str(value).strip()
    # NUL cannot be stored (PostgreSQL refuses it in JSON) and other control characters are never typed.
    if CONTROL_RE.search(text):
        raise ValidationError(_("Remove the control characters from this text."), code="invalid")
    return text


def _clean_value(spec: Mapping[str, Any], value: Any, arrondissements: set[int] | None) -> Any:
    kind = spec["type"]
    if kind in ("text", "textarea", "address"):
        text = _text(value)
        if kind == "textarea":
            text = text.replace("\r\n", "\n")
        default_min = ADDRESS_MIN_LENGTH if kind == "address" else 0
        default_max = {"text": TEXT_MAX_LENGTH, "textarea": TEXTAREA_MAX_LENGTH}.get(kind, ADDRESS_MAX_LENGTH)
        min_length = spec.get("min_length", default_min)
        max_length = spec.get("max_length", default_max)
        if len(text) < min_length:
            raise ValidationError(_("Enter at least %(min)s characters (you entered %(count)s)."),
                                  code="min_length", params={"min": min_length, "count": len(text)})
        if len(text) > max_length:
            raise ValidationError(_("Enter at most %(max)s characters (you entered %(count)s)."),
                                  code="max_length", params={"max": max_length, "count": len(text)})
        pattern = spec.get("pattern")
        if pattern and not re.search(pattern, text):
            message = tr_label(spec.get("pattern_message")) or _("Enter a value in the expected format.")
            raise ValidationError(message, code="pattern")
        return text
    if kind == "number":
        return _clean_number(spec, value)
    if kind == "date":
        return _clean_date(spec, value).isoformat()
    if kind == "choice":
        values = [c["value"] for c in spec.get("choices", [])]
        answer = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if answer not in values:
            raise ValidationError(_("Choose one of the proposed answers."), code="invalid_choice")
        return answer
    if kind == "yesno":
        answer = parse_yesno(value)
        if answer is None:
            raise ValidationError(_("Answer yes or no."), code="invalid")
        return answer
    if kind == "arrondissement":
        try:
            pk = int(str(value).strip()) if not isinstance(value, (bool, float)) else None
        except ValueError:
            pk = None
        if pk is None or pk not in (arrondissements or set()):
            raise ValidationError(_("Choose an arrondissement of this commune."), code="invalid_choice")
        return pk
    if kind == "cin":
        text = re.sub(r"[\s-]", "", _text(value)).upper()
        if not CIN_RE.match(text):
            raise ValidationError(_("Enter a national identity card number: one or two letters then up to six "
                                    "digits, for example AB123456."), code="invalid")
        return text
    raise ValidationError(_("This answer cannot be read."), code="invalid")  # pragma: no cover - validated types


def _clean_number(spec: Mapping[str, Any], value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValidationError(_("Enter a number."), code="invalid")
    text = str(value).strip().replace(",", ".") if isinstance(value, str) else value
    try:
        number = Decimal(str(text))
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number."), code="invalid") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), code="invalid")
    places = _step_places(spec.get("step"))
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        if places == 0:
            raise ValidationError(_("Enter a whole number."), code="invalid")
        raise ValidationError(_("Enter a number with at most %(places)s decimals."), code="invalid",
                              params={"places": places})
    if "min" in spec and number < Decimal(str(spec["min"])):
        raise ValidationError(_("Enter a number of at least %(min)s."), code="min_value", params={"min": spec["min"]})
    if "max" in spec and number > Decimal(str(spec["max"])):
        raise ValidationError(_("Enter a number of at most %(max)s."), code="max_value", params={"max": spec["max"]})
    if abs(number) >= Decimal("1e15"):
        raise ValidationError(_("Enter a smaller number."), code="max_value")
    return int(number) if places == 0 else float(number)


def _clean_date(spec: Mapping[str, Any], value: Any) -> dt.date:
    day: dt.date | None = None
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        day = value
    elif isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value.strip()):
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if day is None:
        raise ValidationError(_("Enter a valid date (year-month-day, for example 2024-03-31)."), code="invalid")
    if "date_min" in spec:
        low = resolve_date_bound(spec["date_min"])
        if day < low:
            raise ValidationError(_("Enter a date on or after %(date)s."), code="min_value",
                                  params={"date": formats.date_format(low, "SHORT_DATE_FORMAT")})
    if "date_max" in spec:
        high = resolve_date_bound(spec["date_max"])
        if day > high:
            raise ValidationError(_("Enter a date on or before %(date)s."), code="max_value",
                                  params={"date": formats.date_format(high, "SHORT_DATE_FORMAT")})
    return day


# ---------------------------------------------------------------------------------------------------------------------
# The Django form


class _AnswerMixin:
    """Fields of a procedure form validate nothing themselves: `clean_answers` does (one set of rules for pages and
    API). `required` only tells the template and assistive technology that the answer is needed on submission."""

    def validate(self, value: Any) -> None:
        return None


class _TextField(_AnswerMixin, forms.CharField):
    pass


class _ChoiceField(_AnswerMixin, forms.ChoiceField):
    pass


class _FileField(_AnswerMixin, forms.FileField):
    pass


class ProcedureForm(forms.Form):
    """The request form of one adopted procedure; built by `build_form`."""

    # The server decides what is required (drafts, answers hidden by show_if): no browser-side blocking.
    use_required_attribute = False

    procedure: CommuneProcedure
    partial: bool
    stored_files: frozenset[str]
    answer_names: list[str]
    file_names: list[str]
    cleaned_answers: CleanAnswers | None

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean() or {}
        present = set(self.stored_files) | {name for name, _upload in self.uploads()}
        try:
            self.cleaned_answers = clean_answers(self.procedure, self.raw_answers(), present_files=present,
                                                 partial=self.partial)
        except ValidationError as exc:
            self.cleaned_answers = None
            for name, errors in exc.error_dict.items():
                if name in self.fields and name not in self._errors:
                    self.add_error(name, errors)
                elif name not in self.fields:
                    self.add_error(None, errors)
        return cleaned_data

    def raw_answers(self) -> dict[str, Any]:
        """The typed answers (strings), to pass to the services; files are in `uploads()`."""
        cleaned = getattr(self, "cleaned_data", {})
        return {name: cleaned.get(name) for name in self.answer_names if not _is_empty(cleaned.get(name))}

    def uploads(self) -> list[tuple[str, UploadedFile]]:
        """(field name, file) for every file attached in this submission, in form order."""
        cleaned = getattr(self, "cleaned_data", {})
        return [(name, cleaned[name]) for name in self.file_names if isinstance(cleaned.get(name), UploadedFile)]


def _widget_attrs(spec: Mapping[str, Any], *, required: bool, show_if_equals: str) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    show_if = spec.get("show_if")
    if show_if:
        attrs["data-show-if-field"] = show_if["field"]
        attrs["data-show-if-equals"] = show_if_equals
    elif required:
        attrs["aria-required"] = "true"
    return attrs


def _show_if_value(spec: Mapping[str, Any], by_name: Mapping[str, Mapping[str, Any]]) -> str:
    """The value the other field's input has when this field applies (a yes/no answer is "yes" or "no")."""
    show_if = spec.get("show_if")
    if not show_if:
        return ""
    target = by_name.get(show_if["field"], {})
    if target.get("type") == "yesno":
        return "yes" if parse_yesno(show_if["equals"]) else "no"
    return str(show_if["equals"])


def _form_field(spec: Mapping[str, Any], arrondissement_choices: list[tuple[str, str]], *,
                show_if_equals: str = "") -> forms.Field:
    kind = spec["type"]
    required = bool(spec.get("required"))
    attrs = _widget_attrs(spec, required=required, show_if_equals=show_if_equals)
    label = tr_label(spec.get("label"))
    help_text = tr_label(spec.get("help")) if spec.get("help") else ""
    common: dict[str, Any] = {"label": label, "help_text": help_text, "required": required}
    if kind in ("text", "address", "cin"):
        if kind == "address":
            attrs.update(autocomplete="street-address", maxlength=spec.get("max_length", ADDRESS_MAX_LENGTH))
        elif kind == "cin":
            attrs.update(autocomplete="off", autocapitalize="characters", spellcheck="false", maxlength=12,
                         dir="ltr")
        else:
            attrs["maxlength"] = spec.get("max_length", TEXT_MAX_LENGTH)
            if spec.get("autocomplete"):
                attrs["autocomplete"] = spec["autocomplete"]
            if spec.get("autocomplete") == "tel":
                attrs.update(type="tel", inputmode="tel", dir="ltr")
        widget: forms.Widget = forms.TextInput(attrs=attrs)
        if kind == "address":
            widget = forms.Textarea(attrs={**attrs, "rows": 2})
        return _TextField(widget=widget, strip=False, **common)
    if kind == "textarea":
        attrs["maxlength"] = spec.get("max_length", TEXTAREA_MAX_LENGTH)
        return _TextField(widget=forms.Textarea(attrs={**attrs, "rows": 4}), strip=False, **common)
    if kind == "number":
        places = _step_places(spec.get("step"))
        attrs["step"] = spec.get("step", 1) if places else 1
        attrs["inputmode"] = "decimal" if places else "numeric"
        for key in ("min", "max"):
            if key in spec:
                attrs[key] = spec[key]
        return _TextField(widget=forms.NumberInput(attrs=attrs), **common)
    if kind == "date":
        if spec.get("autocomplete"):
            attrs["autocomplete"] = spec["autocomplete"]
        for key, attr in (("date_min", "min"), ("date_max", "max")):
            if key in spec:
                attrs[attr] = resolve_date_bound(spec[key]).isoformat()
        return _TextField(widget=forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d"), **common)
    if kind in ("choice", "yesno"):
        attrs.pop("aria-required", None)  # not allowed on a radio button; the legend says "optional" instead
    if kind == "choice":
        choices = [(c["value"], tr_label(c.get("label"))) for c in spec.get("choices", [])]
        if len(choices) <= RADIO_MAX_CHOICES:
            return _ChoiceField(choices=choices, widget=forms.RadioSelect(attrs=attrs), **common)
        return _ChoiceField(choices=[("", "—"), *choices], widget=forms.Select(attrs=attrs), **common)
    if kind == "yesno":
        return _ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], widget=forms.RadioSelect(attrs=attrs),
                            **common)
    if kind == "arrondissement":
        return _ChoiceField(choices=[("", "—"), *arrondissement_choices], widget=forms.Select(attrs=attrs),
                            **common)
    if kind == "file":
        return _FileField(widget=forms.FileInput(attrs={**attrs, "accept": ACCEPTED_UPLOADS}), **common)
    raise ValueError(kind)  # pragma: no cover - definitions are validated


def _initial_value(spec: Mapping[str, Any], value: Any) -> Any:
    if spec["type"] == "yesno":
        answer = parse_yesno(value)
        return None if answer is None else ("yes" if answer else "no")
    if spec["type"] in ("arrondissement", "number") and value is not None:
        return str(value)
    return value


def build_form(procedure: CommuneProcedure, *, data: Mapping[str, Any] | None = None,
               files: Mapping[str, Any] | None = None, initial: Mapping[str, Any] | None = None,
               stored_files: Collection[str] = (), partial: bool = False) -> ProcedureForm:
    """The request form of an adopted procedure: the definition's fields, then one file field per document."""
    from jamaa.core.models import Arrondissement

    definition = _definition(procedure)
    arrondissement_choices: list[tuple[str, str]] = []
    if any(spec.get("type") == "arrondissement" for spec in definition):
        arrondissement_choices = [
            (str(a.pk), a.name) for a in Arrondissement.all_communes.filter(commune_id=procedure.commune_id)]
    stored = frozenset(stored_files)
    by_name = {spec["name"]: spec for spec in definition}
    fields: dict[str, forms.Field] = {}
    answer_names: list[str] = []
    file_names: list[str] = []
    for spec in definition:
        if spec["type"] == "arrondissement" and not arrondissement_choices:
            continue  # a commune without arrondissements is not asked for one
        form_field = _form_field(spec, arrondissement_choices, show_if_equals=_show_if_value(spec, by_name))
        if spec["type"] == "file":
            form_field.required = form_field.required and spec["name"] not in stored
            file_names.append(spec["name"])
        else:
            answer_names.append(spec["name"])
        fields[spec["name"]] = form_field
    for document in _documents(procedure):
        key = f"{DOCUMENT_PREFIX}{document.code}"
        required = document.is_required and key not in stored
        attrs = {"accept": ACCEPTED_UPLOADS, **({"aria-required": "true"} if required else {})}
        fields[key] = _FileField(label=document.name, help_text=document.help, required=required,
                                 widget=forms.FileInput(attrs=attrs))
        file_names.append(key)

    form_class = type("ProcedureAnswersForm", (ProcedureForm,), dict(fields))
    prepared = {name: _initial_value(by_name[name], value) for name, value in (initial or {}).items()
                if name in by_name and by_name[name]["type"] != "file"}
    form = form_class(data=data, files=files, initial=prepared)
    form.procedure = procedure
    form.partial = partial
    form.stored_files = stored
    form.answer_names = answer_names
    form.file_names = file_names
    form.cleaned_answers = None
    return form


# ---------------------------------------------------------------------------------------------------------------------
# Display


def display_answers(procedure: CommuneProcedure, data: Mapping[str, Any], protected: Mapping[str, str], *,
                    mask_cin: bool = True) -> list[tuple[str, str]]:
    """(label, value) of each answer in form order, in the active language; CIN numbers masked unless asked."""
    from jamaa.core.models import Arrondissement

    definition = _definition(procedure)
    data = data or {}
    protected = protected or {}
    ids = {data.get(spec["name"]) for spec in definition if spec.get("type") == "arrondissement"}
    ids = {pk for pk in ids if _is_int(pk)}
    names = {a.pk: a.name for a in Arrondissement.all_communes.filter(pk__in=ids)} if ids else {}
    rows: list[tuple[str, str]] = []
    for spec in definition:
        name, kind = spec["name"], spec["type"]
        if kind == "file":
            continue
        value = protected.get(name) if kind == "cin" else data.get(name)
        if _is_empty(value):
            continue
        rows.append((tr_label(spec.get("label")), _display_value(spec, value, names, mask=mask_cin)))
    return rows


def _display_value(spec: Mapping[str, Any], value: Any, arrondissements: Mapping[int, str], *, mask: bool) -> str:
    kind = spec["type"]
    if kind == "cin":
        return masked_cin(str(value)) if mask else str(value)
    if kind == "yesno":
        answer = parse_yesno(value)
        return str(_("Yes") if answer else _("No")) if answer is not None else str(value)
    if kind == "choice":
        for choice in spec.get("choices", []):
            if choice.get("value") == value:
                return tr_label(choice.get("label"))
        return str(value)
    if kind == "arrondissement":
        return arrondissements.get(value, str(value)) if _is_int(value) else str(value)
    if kind == "date":
        try:
            return formats.date_format(dt.date.fromisoformat(str(value)), "DATE_FORMAT")
        except ValueError:
            return str(value)
    if kind == "number":
        return formats.number_format(value)
    return str(value)
