from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

LIFETIMES = {"30": dt.timedelta(days=30), "90": dt.timedelta(days=90), "365": dt.timedelta(days=365)}


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80,
        help_text=_("To recognise the token later, for example the name of the application that uses it."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    lifetime = forms.ChoiceField(
        label=_("Valid for"), initial="90", widget=forms.RadioSelect,
        choices=[("30", _("30 days")), ("90", _("90 days")), ("365", _("One year"))],
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if "\x00" in name:
            raise forms.ValidationError(_("This name contains a character that is not allowed."))
        return name

    @property
    def lifetime_delta(self) -> dt.timedelta:
        return LIFETIMES[self.cleaned_data["lifetime"]]
