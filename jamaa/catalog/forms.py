"""Catalogue forms: the public search, and the administrator's adoption of a procedure. Forms validate what people
type; the services (services.py) check again and change state."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from jamaa.catalog import search, selectors
from jamaa.catalog.models import Category, CommuneProcedure, Procedure, deadline_label
from jamaa.core.models import Commune, Department


class CatalogFilterForm(forms.Form):
    """The public catalogue's search box and category filter (GET)."""

    q = forms.CharField(
        label=_("Search a procedure"), required=False, strip=True,
        help_text=_("A few words of its name, a document or a life event, in Arabic, French or Tamazight."),
        widget=forms.TextInput(attrs={"type": "search", "maxlength": search.MAX_QUERY_LENGTH, "dir": "auto",
                                      "autocomplete": "off", "enterkeyhint": "search"}),
    )
    category = forms.ChoiceField(
        label=_("Category"), required=False,
        error_messages={"invalid_choice": _("This category has no procedure on this site: all categories are "
                                            "shown.")},
    )

    def __init__(self, *args: Any, categories: Sequence[Category] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", _("All categories"))] + [(c.slug, c.name) for c in categories]


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:  # type: ignore[override]
        return obj.name  # in the page's language


class FeesField(forms.DecimalField):
    """Amounts typed with a decimal comma (French, Arabic keyboards) are read too."""

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            value = value.strip().replace("\u066b", ".").replace(",", ".").replace(" ", "")
        return super().to_python(value)


def _mad(amount: Decimal) -> str:
    return f"{amount.normalize():f}" if amount == amount.to_integral() else f"{amount:.2f}"


class AdoptionForm(forms.Form):
    """The commune's values for a procedure it adopts (or adopted): department, deadline, fees, instructions."""

    department = DepartmentChoiceField(
        label=_("Delivering department"), queryset=Department.all_communes.none(), empty_label=None,
        error_messages={"invalid_choice": _("Choose one of this commune's active departments."),
                        "required": _("Choose the department that delivers this procedure.")},
    )
    deadline_amount = forms.IntegerField(
        label=_("Deadline in this commune"), required=False, min_value=1,
        error_messages={"min_value": _("The deadline is at least one day. Leave it empty to apply the legal "
                                       "deadline."),
                        "invalid": _("Enter a whole number of days, or leave it empty.")},
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1}),
    )
    fees_mad = FeesField(
        label=_("Fees in this commune (MAD)"), required=False, min_value=Decimal("0"), max_digits=9,
        decimal_places=2,
        error_messages={"min_value": _("Fees cannot be negative. Enter 0 for a free procedure."),
                        "invalid": _("Enter an amount in dirhams, for example 20 or 12.50."),
                        "max_digits": _("This amount is too large."),
                        "max_decimal_places": _("Enter at most two decimals (centimes)."),
                        "max_whole_digits": _("This amount is too large.")},
        widget=forms.TextInput(attrs={"inputmode": "decimal", "dir": "ltr"}),
    )
    instructions_ar = forms.CharField(
        label=_("Instructions (Arabic)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"lang": "ar", "dir": "rtl", "rows": 3}))
    instructions_fr = forms.CharField(
        label=_("Instructions (French)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"lang": "fr", "dir": "ltr", "rows": 3}))
    instructions_zgh = forms.CharField(
        label=_("Instructions (Tamazight)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"lang": "zgh", "dir": "ltr", "rows": 3}))
    is_published = forms.BooleanField(
        label=_("Published on the commune's site"), required=False,
        help_text=_("Unpublished, the procedure disappears from the site; requests already filed go on."))

    def __init__(self, *args: Any, commune: Commune, procedure: Procedure,
                 adoption: CommuneProcedure | None = None, **kwargs: Any) -> None:
        if adoption is not None:
            kwargs.setdefault("initial", {
                "department": adoption.department_id, "deadline_amount": adoption.deadline_amount,
                "fees_mad": adoption.fees_mad, "instructions_ar": adoption.instructions_ar,
                "instructions_fr": adoption.instructions_fr, "instructions_zgh": adoption.instructions_zgh,
                "is_published": adoption.is_published,
            })
        else:
            default = selectors.default_department(commune, procedure)
            kwargs.setdefault("initial", {"department": default.pk if default else None, "is_published": True})
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.fields["department"].queryset = selectors.department_choices(  # type: ignore[attr-defined]
            commune, keep=adoption.department if adoption is not None else None)
        if not self.fields["department"].queryset.exists():  # type: ignore[attr-defined]
            self.fields["department"].help_text = _(
                "This commune has no active department yet: create one in Departments first.")
        self.fields["deadline_amount"].help_text = _(
            "Leave empty to apply the legal deadline: %(deadline)s. The commune may only shorten it."
        ) % {"deadline": deadline_label(procedure.deadline_amount, procedure.deadline_unit)}
        self.fields["deadline_amount"].widget.attrs["max"] = procedure.deadline_amount
        if procedure.fees_mad:
            self.fields["fees_mad"].help_text = _(
                "Leave empty to apply the catalogue's fees: %(amount)s MAD. Enter 0 for a free procedure."
            ) % {"amount": _mad(procedure.fees_mad)}
        else:
            self.fields["fees_mad"].help_text = _("Leave empty to keep it free, as in the catalogue.")

    def clean_deadline_amount(self) -> int | None:
        amount = self.cleaned_data.get("deadline_amount")
        if amount is not None and amount > self.procedure.deadline_amount:
            raise ValidationError(
                _("The commune may shorten the deadline, not lengthen it: the legal deadline is %(deadline)s.")
                % {"deadline": deadline_label(self.procedure.deadline_amount, self.procedure.deadline_unit)},
                code="longer_than_legal",
            )
        return amount

    def values(self) -> dict[str, Any]:
        """Keyword arguments for procedure_adopt / adoption_update."""
        return {name: self.cleaned_data[name] for name in (
            "department", "deadline_amount", "fees_mad", "instructions_ar", "instructions_fr", "instructions_zgh",
            "is_published")}
