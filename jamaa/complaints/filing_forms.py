"""The forms of the filing pages: the complaint itself (`ComplaintForm`) and, for someone without an account, how they
want to follow it (`ContactForm`: a confirmed phone number or e-mail address, or nothing).

The forms check what a form can check (something typed, a category from the list, a well-formed phone number); the
rest (the place inside the commune, the photos, the answers to the category's questions, the related request) is
checked by `jamaa.complaints.services.complaint_submit`, whose errors the view puts back next to the same fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from jamaa.catalog import formdef
from jamaa.complaints import contact as contact_checks
from jamaa.complaints import geo
from jamaa.complaints.models import Category, ComplaintKind
from jamaa.core.identifiers import Identifier

QUESTION_PREFIX = "q__"
ADDRESS_MAX_LENGTH = 250
REFERENCE_MAX_LENGTH = 40
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class PhotosInput(forms.FileInput):
    """Several photos in one input; the phone offers its camera."""

    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """The photos chosen (a list, possibly empty); their content is checked by the service."""

    widget = PhotosInput

    def to_python(self, data: Any) -> list[UploadedFile]:  # type: ignore[override]
        items = data if isinstance(data, (list, tuple)) else [data]
        return [item for item in items if isinstance(item, UploadedFile)]

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:  # type: ignore[override]
        photos = self.to_python(data)
        limit = settings.COMPLAINT_MAX_PHOTOS
        if len(photos) > limit:
            raise ValidationError(_("At most %(count)d photos.") % {"count": limit}, code="too_many")
        return photos


def category_choices(categories: Iterable[Category]) -> list[tuple[Any, Any]]:
    """Leaf categories for a <select>: sub-categories grouped under their parent's name, a top category without
    sub-categories as an option of its own."""
    choices: list[tuple[Any, Any]] = [("", _("— Choose —"))]
    groups: dict[int, list[tuple[str, str]]] = {}
    for category in categories:
        if category.parent_id is None:
            choices.append((str(category.pk), category.name))
            continue
        if category.parent_id not in groups:
            groups[category.parent_id] = []
            choices.append((category.parent.name, groups[category.parent_id]))
        groups[category.parent_id].append((str(category.pk), category.name))
    return choices


def question_fields(category: Category | None) -> dict[str, forms.Field]:
    """The category's extra questions as form fields named `q__<name>`, rendered as the catalogue renders a
    procedure's fields (the answers are validated by the service, through `questions.clean`)."""
    if category is None:
        return {}
    fields: dict[str, forms.Field] = {}
    for spec in category.questions or []:
        if isinstance(spec, Mapping) and isinstance(spec.get("name"), str) and spec.get("type"):
            try:
                fields[f"{QUESTION_PREFIX}{spec['name']}"] = formdef._form_field(spec, [])
            except (KeyError, TypeError, ValueError):
                continue  # a question the commune defined badly is left out rather than breaking the page
    return fields


class ComplaintForm(forms.Form):
    """One complaint: what, which category (and its questions), where (a report) or about which request (a
    grievance), and the photos (a report)."""

    # The server decides what is needed (a place is a pin or an address); required fields say so with
    # aria-required instead of blocking the browser's submission.
    use_required_attribute = False

    description = forms.CharField(
        label=_("Describe the problem"), strip=True,
        help_text=_("What is wrong, since when, and anything that helps to find it."),
        error_messages={"required": _("Describe the problem.")},
    )
    category = forms.ChoiceField(label=_("Category"), error_messages={
        "required": _("Choose a category from the list."), "invalid_choice": _("Choose a category from the list.")})
    lat = forms.CharField(required=False, widget=forms.HiddenInput)
    lon = forms.CharField(required=False, widget=forms.HiddenInput)
    location_source = forms.CharField(required=False, widget=forms.HiddenInput)
    address = forms.CharField(
        label=_("Address or description of the place"), required=False, strip=True, max_length=ADDRESS_MAX_LENGTH,
        help_text=_("Street and number, neighbourhood, a landmark nearby. Needed when the place is not pinned on the "
                    "map."),
        widget=forms.Textarea(attrs={"rows": 2, "autocomplete": "street-address", "dir": "auto",
                                     "maxlength": ADDRESS_MAX_LENGTH}),
        error_messages={"max_length": _("The address is too long: at most %(limit_value)d characters.")},
    )
    photos = PhotosField(label=_("Photos"), required=False)
    related_reference = forms.CharField(
        label=_("Reference of the request it is about"), required=False, strip=True,
        max_length=REFERENCE_MAX_LENGTH,
        help_text=_("Optional. As printed on the receipt, for example SAL-2026-000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "dir": "ltr",
                                      "spellcheck": "false", "maxlength": REFERENCE_MAX_LENGTH}),
        error_messages={"max_length": _("No request of the commune has this reference.")},
    )

    def __init__(self, *args: Any, kind: str, categories: Sequence[Category], question_category: Category | None,
                 own_cases: Sequence[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.categories = {str(c.pk): c for c in categories}
        self.question_category = question_category
        limit = settings.COMPLAINT_MAX_TEXT
        description = self.fields["description"]
        description.validators.append(_MaxLength(limit))
        description.widget = forms.Textarea(attrs={"rows": 5, "maxlength": limit, "dir": "auto",
                                                   "aria-required": "true"})
        self.fields["category"].choices = category_choices(categories)
        self.fields["category"].widget.attrs["aria-required"] = "true"
        self.fields["photos"].help_text = _(
            "Up to %(count)d photos, JPEG or PNG. Their hidden data (place, camera, date) is removed."
        ) % {"count": settings.COMPLAINT_MAX_PHOTOS}
        self.fields["photos"].widget.attrs.update(accept="image/jpeg,image/png")
        if kind == ComplaintKind.REPORT:
            del self.fields["related_reference"]
        else:
            for name in ("lat", "lon", "location_source", "address", "photos"):
                del self.fields[name]
            if own_cases:
                self.fields["related_reference"] = forms.ChoiceField(
                    label=_("The request it is about"), required=False,
                    choices=[("", _("— None of them —")), *own_cases],
                    help_text=_("Optional. One of your requests, if the grievance is about it."),
                    error_messages={"invalid_choice": _("Choose one of your requests.")},
                )
        self.fields.update(question_fields(question_category))

    @property
    def question_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith(QUESTION_PREFIX)]

    def chosen_category(self) -> Category | None:
        return self.categories.get(str(getattr(self, "cleaned_data", {}).get("category", "")))

    def answers(self) -> dict[str, Any]:
        cleaned = getattr(self, "cleaned_data", {})
        return {name[len(QUESTION_PREFIX):]: cleaned.get(name) for name in self.question_names
                if not formdef._is_empty(cleaned.get(name))}

    def point(self) -> tuple[float, float] | None:
        """The pin (degrees), or None when the place is not pinned (`clean` refused unreadable coordinates)."""
        return getattr(self, "_point", None)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self._point: tuple[float, float] | None = None
        if "lat" in self.fields:
            lat, lon = (cleaned.get("lat") or "").strip(), (cleaned.get("lon") or "").strip()
            if lat or lon:
                self._point = geo.valid_coordinates(lat, lon)
                if self._point is None:
                    self.add_error("address", _("These coordinates are not valid."))
        return cleaned

    def clean_related_reference(self) -> str:
        value = self.cleaned_data.get("related_reference") or ""
        return "".join(value.split()).translate(ARABIC_DIGITS).upper()


class _MaxLength:
    """The description's length with the service's own words (Django's default speaks of 'characters it has')."""

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __call__(self, value: str) -> None:
        if len(value) > self.limit:
            raise ValidationError(_("The description is too long: at most %(count)d characters.")
                                  % {"count": self.limit}, code="too_long")


class _NeededMixin:
    """A field shown as needed (no "optional" beside its label) whose need depends on the other answers: the view
    checks it, the field itself only checks a value that was given."""

    def validate(self, value: Any) -> None:
        if value in self.empty_values:  # type: ignore[attr-defined]
            return
        super().validate(value)  # type: ignore[misc]


class _NeededChoiceField(_NeededMixin, forms.ChoiceField):
    pass


class _NeededCharField(_NeededMixin, forms.CharField):
    pass


class ContactForm(forms.Form):
    """How someone without an account follows the complaint."""

    use_required_attribute = False

    FOLLOW_CONTACT = "contact"
    FOLLOW_ANONYMOUS = "anonymous"

    follow = _NeededChoiceField(
        label=_("How do you want to follow your complaint?"), widget=forms.RadioSelect,
        choices=[(FOLLOW_CONTACT, _("By SMS or e-mail: we tell you of each step")),
                 (FOLLOW_ANONYMOUS, _("Anonymously: no name, no number"))],
        error_messages={"invalid_choice": _("Choose how you want to follow your complaint.")},
    )
    contact = _NeededCharField(
        label=_("Mobile number or e-mail address"), strip=True, max_length=254,
        help_text=_("A Moroccan mobile number (06… or 07…) or an e-mail address. We send it a code to confirm it."),
        widget=forms.TextInput(attrs={"autocomplete": "email", "dir": "ltr", "spellcheck": "false",
                                      "inputmode": "email", "maxlength": 254}),
        error_messages={"max_length": _("This is not a valid e-mail address.")},
    )
    code = _NeededCharField(
        label=_("The 6-digit code"), strip=True, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "dir": "ltr",
                                      "class": "code-input", "maxlength": 20}),
        error_messages={"max_length": _("The code has 6 digits.")},
    )
    contact_token = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def clean_contact(self) -> Identifier | None:
        raw = self.cleaned_data.get("contact") or ""
        if not raw:
            return None
        return contact_checks.parse_contact(raw)

    def clean_code(self) -> str:
        return contact_checks.normalise_code(self.cleaned_data.get("code") or "")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("follow") and self.data.get("contact", "").strip():
            cleaned["follow"] = self.FOLLOW_CONTACT  # typed a number without ticking the choice
        return cleaned

    @property
    def identifier(self) -> Identifier | None:
        return getattr(self, "cleaned_data", {}).get("contact")

    @property
    def wants_contact(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("follow") == self.FOLLOW_CONTACT

    @property
    def wants_anonymous(self) -> bool:
        return getattr(self, "cleaned_data", {}).get("follow") == self.FOLLOW_ANONYMOUS
