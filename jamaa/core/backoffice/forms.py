"""Back-office forms: they validate what staff type; services change state."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jamaa.core.identifiers import Identifier, parse_identifier
from jamaa.core.models import Department, Membership, Role, User

ROLES_NEEDING_A_DEPARTMENT = (Role.AGENT, Role.HEAD)
ARABIC_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class DepartmentChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:  # type: ignore[override]
        return obj.name  # in the page's language


def _department_field(required: bool = False) -> forms.ModelChoiceField:
    # The queryset is set per form instance: Department's manager is scoped to the request's commune, so it
    # must not be evaluated at import time, and another commune's department is then simply an invalid choice.
    return DepartmentChoiceField(
        label=_("Department"), queryset=Department.all_communes.none(), required=required,
        empty_label=_("No department"),
        help_text=_("Required for agents and heads of department."),
        error_messages={"invalid_choice": _("Choose one of this commune's departments.")},
    )


class TwoFactorForm(forms.Form):
    token = forms.CharField(
        label=_("6-digit code"), max_length=12, strip=True,
        help_text=_("The code shown now in your authenticator application."),
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "class": "code-input", "autofocus": True,
        }),
    )

    def clean_token(self) -> str:
        # Phones with an Arabic keyboard type Arabic-Indic digits.
        token = "".join(self.cleaned_data["token"].split()).translate(ARABIC_DIGITS)
        if not token.isascii() or not token.isdigit() or len(token) != 6:
            raise ValidationError(_("Enter the 6 digits shown in your application."), code="format")
        return token


class RoleDepartmentMixin(forms.Form):
    """A role and, for agents and heads of department, one of this commune's departments."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        role = cleaned.get("role")
        if role in ROLES_NEEDING_A_DEPARTMENT and not cleaned.get("department") and "department" not in self.errors:
            self.add_error("department", ValidationError(
                _("Agents and heads of department belong to a department: choose one."), code="required",
            ))
        return cleaned


class StaffInviteForm(RoleDepartmentMixin):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    identifier = forms.CharField(
        label=_("Mobile number or e-mail address"), max_length=254,
        help_text=_("The invitation link is sent there."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "dir": "ltr"}),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    department = _department_field()
    language = forms.ChoiceField(
        label=_("Language of the invitation"), choices=settings.LANGUAGES,
        help_text=_("Used for a new account; an existing account keeps its own language."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(is_active=True)  # type: ignore[attr-defined]
        current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        self.fields["language"].initial = current if current in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Enter the person's full name."), code="required")
        return name

    def clean_identifier(self) -> Identifier:
        return parse_identifier(self.cleaned_data["identifier"])


class StaffRoleForm(RoleDepartmentMixin):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    department = _department_field()

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"role": membership.role, "department": membership.department_id})
        super().__init__(*args, **kwargs)
        # A member may stay in a department that was deactivated since; new choices are active departments.
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            Q(is_active=True) | Q(pk=membership.department_id)
        )


STATUS_CHOICES = [
    ("", _("Any status")),
    ("active", _("Active")),
    ("invited", _("Invited")),
    ("deactivated", _("Deactivated")),
]


class StaffFilterForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), required=False, choices=[("", _("Any role")), *Role.choices])
    department = DepartmentChoiceField(
        label=_("Department"), queryset=Department.objects.none(), required=False, empty_label=_("Any department"),
        error_messages={"invalid_choice": _("Choose one of this commune's departments.")},
    )
    status = forms.ChoiceField(label=_("Status"), required=False, choices=STATUS_CHOICES)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.all()  # type: ignore[attr-defined]


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["code", "name_ar", "name_fr", "name_zgh", "email", "phone", "is_active"]
        help_texts = {
            "code": _("Short unique code in this commune: lower-case letters, digits and hyphens."),
        }
        widgets = {
            "code": forms.TextInput(attrs={"dir": "ltr"}),
            "name_fr": forms.TextInput(attrs={"lang": "fr", "dir": "ltr"}),
            "name_ar": forms.TextInput(attrs={"lang": "ar", "dir": "rtl"}),
            "name_zgh": forms.TextInput(attrs={"lang": "zgh", "dir": "ltr"}),
            "phone": forms.TextInput(attrs={"type": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._was_active = bool(self.instance.pk and self.instance.is_active)

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip().lower()
        duplicates = Department.objects.filter(code=code)
        if self.instance.pk:
            duplicates = duplicates.exclude(pk=self.instance.pk)
        if duplicates.exists():
            raise ValidationError(_("Another department of this commune already uses this code."), code="duplicate")
        return code

    def clean_is_active(self) -> bool:
        is_active = bool(self.cleaned_data.get("is_active"))
        if self._was_active and not is_active and self.instance.memberships.filter(is_active=True).exists():
            raise ValidationError(
                _("Staff still work in this department: move or deactivate them first, then deactivate it."),
                code="has_members",
            )
        return is_active


class InvitationPasswordForm(forms.Form):
    """The invited person chooses a password (Django's validators, at least 10 characters)."""

    password1 = forms.CharField(
        label=_("Password"), strip=False,
        help_text=_("At least 10 characters; not a common password, not only digits, not close to your name."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        password1, password2 = cleaned.get("password1"), cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", ValidationError(_("The two passwords are different."), code="mismatch"))
        elif password1:
            try:
                password_validation.validate_password(password1, self.user)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Done by"), required=False, max_length=100,
                            help_text=_("Part of a name, phone number or e-mail address."))
    target_type = forms.ChoiceField(label=_("Object type"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, actions: list[str], target_types: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *((a, a) for a in actions)]  # type: ignore[attr-defined]
        self.fields["target_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any type")), *((t, t) for t in target_types)
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start: datetime.date | None = cleaned.get("date_from")
        end: datetime.date | None = cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", ValidationError(_("The end date is before the start date."), code="order"))
        return cleaned
