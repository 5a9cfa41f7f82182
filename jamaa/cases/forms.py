"""The citizen's small forms around a case: a message, a withdrawal, a rating, the note sent with a completion, and
following a case with its reference and secret code. The procedure's own form is built by `jamaa.catalog.formdef`."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
REFERENCE_RE = re.compile(r"^[A-Z0-9]{1,10}-[0-9]{4}-[0-9]{1,10}$")
TRACKING_CODE_RE = re.compile(r"^[A-Z0-9]{10}$")


class VersionField(forms.IntegerField):
    """The case version the page was opened on: a form sent on an older version is refused as stale."""

    widget = forms.HiddenInput

    def __init__(self) -> None:
        super().__init__(min_value=1, error_messages={
            "required": _("This page is out of date. Open the request again."),
            "invalid": _("This page is out of date. Open the request again."),
            "min_value": _("This page is out of date. Open the request again."),
        })


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"), max_length=4000, strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write your message.")},
    )
    file = forms.FileField(
        label=_("Attach a file"), required=False,
        help_text=_("PDF, JPEG or PNG, up to 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class WithdrawForm(forms.Form):
    expected_version = VersionField()
    reason = forms.CharField(
        label=_("Why do you withdraw your request?"), max_length=500, required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. The commune reads it."),
    )


class CompletionForm(forms.Form):
    """What goes with the completed answers: the version the page was opened on and an optional note."""

    expected_version = VersionField()
    note = forms.CharField(
        label=_("A note for the commune"), max_length=1000, required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional: explain what you added or changed."),
    )


RATING_CHOICES = [
    (5, _("5 – Very satisfied")),
    (4, _("4 – Satisfied")),
    (3, _("3 – Neither satisfied nor dissatisfied")),
    (2, _("2 – Dissatisfied")),
    (1, _("1 – Very dissatisfied")),
]


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"), choices=RATING_CHOICES, coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5."),
                        "invalid_choice": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Comment"), max_length=500, required=False, strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Optional. What went well, what could be better?"),
    )


def normalise_reference(value: str) -> str:
    return "".join(value.split()).translate(ARABIC_DIGITS).upper()


def normalise_tracking_code(value: str) -> str:
    return "".join(value.split()).replace("-", "").translate(ARABIC_DIGITS).upper()


class TrackForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference number"), max_length=40, strip=True,
        help_text=_("As printed on your receipt, for example SAL-2026-000123."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "dir": "ltr",
                                      "spellcheck": "false"}),
        error_messages={"required": _("Enter the reference number of the request.")},
    )
    code = forms.CharField(
        label=_("Secret code"), max_length=40, strip=True,
        help_text=_("The 10 characters printed on your receipt, for example ABCDE-FGHJK."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "dir": "ltr",
                                      "spellcheck": "false"}),
        error_messages={"required": _("Enter the secret code from the receipt.")},
    )

    def clean_reference(self) -> str:
        reference = normalise_reference(self.cleaned_data["reference"])
        if not REFERENCE_RE.match(reference):
            raise ValidationError(_("A reference number looks like SAL-2026-000123."), code="format")
        return reference

    def clean_code(self) -> str:
        code = normalise_tracking_code(self.cleaned_data["code"])
        if not TRACKING_CODE_RE.match(code):
            raise ValidationError(_("The secret code has 10 letters and digits, for example ABCDE-FGHJK."),
                                  code="format")
        return code
