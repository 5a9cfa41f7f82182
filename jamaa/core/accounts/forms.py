"""Account forms: they validate and normalise what citizens type; services change state."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from jamaa.core.identifiers import Identifier, normalize_cin, parse_identifier
from jamaa.core.models import User

# Phones in Morocco often type Arabic-Indic (٠١٢…) or Eastern Arabic-Indic (۰۱۲…) digits.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)

PASSWORD_HELP = _("At least 10 characters. Avoid a common password, digits only, or anything close to your name.")


def ascii_digits(text: str) -> str:
    return text.translate(_DIGITS)


def language_choices() -> list[tuple[str, str]]:
    # Each language in its own script, as language pickers usually show them.
    return [(code, get_language_info(code)["name_local"]) for code, _name in settings.LANGUAGES]


def current_language() -> str:
    code = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


class IdentifierField(forms.CharField):
    """A Moroccan mobile number or an e-mail address; cleans to an Identifier (E.164 for numbers)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Mobile number or e-mail address"))
        kwargs.setdefault("max_length", 254)
        kwargs.setdefault("widget", forms.TextInput(attrs={"autocomplete": "username", "dir": "ltr",
                                                           "spellcheck": "false", "autocapitalize": "none"}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Identifier:  # type: ignore[override]
        text = super().clean(value)
        return parse_identifier(ascii_digits(text))


class CodeField(forms.CharField):
    """The 6 digits of a confirmation code; spaces and Arabic-Indic digits are accepted."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("6-digit code"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "class": "code-input", "dir": "ltr",
        }))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:  # type: ignore[override]
        text = super().clean(value)
        code = re.sub(r"[\s\-.]", "", ascii_digits(text))
        if not re.fullmatch(r"[0-9]{6}", code):
            raise ValidationError(_("Enter the 6 digits of the code you received."), code="code_format")
        return code


def _password_fields(label1: str, label2: str) -> tuple[forms.CharField, forms.CharField]:
    first = forms.CharField(label=label1, strip=False, help_text=PASSWORD_HELP,
                            widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    second = forms.CharField(label=label2, strip=False,
                             widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    return first, second


class NewPasswordMixin:
    """Two password fields that must match and pass Django's validators (mixed into a forms.Form)."""

    password_fields = ("password1", "password2")

    def check_new_password(self: Any, user: User | None) -> None:
        first_name, second_name = self.password_fields
        first = self.cleaned_data.get(first_name)
        second = self.cleaned_data.get(second_name)
        if first and second and first != second:
            self.add_error(second_name, ValidationError(_("The two passwords are not the same."),
                                                        code="password_mismatch"))
            return
        if first:
            try:
                password_validation.validate_password(first, user)
            except ValidationError as error:
                self.add_error(first_name, error)


class SignupForm(NewPasswordMixin, forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    identifier = IdentifierField(help_text=_("A Moroccan mobile number (06… or 07…) or an e-mail address. "
                                             "We send a 6-digit code to confirm it."))
    password1, password2 = _password_fields(_("Password"), _("Password again"))
    language = forms.ChoiceField(label=_("Language for our messages"), choices=language_choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = current_language()

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Enter your full name."), code="required")
        return name

    def clean_identifier(self) -> Identifier:
        identifier: Identifier = self.cleaned_data["identifier"]
        value = identifier.value
        if User.objects.filter(Q(username=value) | Q(phone=value) | Q(email=value)).exists():
            raise ValidationError(self.taken_message(identifier), code="taken")
        return identifier

    @staticmethod
    def taken_message(identifier: Identifier) -> str:
        if identifier.kind == "phone":
            return str(_("This mobile number already has an account: log in or reset your password."))
        return str(_("This e-mail address already has an account: log in or reset your password."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        identifier = cleaned.get("identifier")
        candidate = User(full_name=cleaned.get("full_name", ""))
        if isinstance(identifier, Identifier):
            setattr(candidate, identifier.kind, identifier.value)
        self.check_new_password(candidate)
        return cleaned


class VerifyCodeForm(forms.Form):
    code = CodeField()


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form (django-axes counts its failures) with the identifier normalised like at sign-up."""

    username = forms.CharField(
        label=_("Mobile number or e-mail address"), max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "dir": "ltr",
                                      "spellcheck": "false", "autocapitalize": "none"}),
    )
    password = forms.CharField(label=_("Password"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    error_messages = {
        "invalid_login": _("The mobile number or e-mail address, or the password, is not right. "
                           "Check them and try again."),
        "inactive": _("This account has been deactivated. Contact the commune if you think this is a mistake."),
    }

    def clean_username(self) -> str:
        return parse_identifier(ascii_digits(self.cleaned_data["username"])).value

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class PasswordResetRequestForm(forms.Form):
    identifier = IdentifierField(help_text=_("The mobile number or e-mail address of your account."))


class PasswordResetConfirmForm(NewPasswordMixin, forms.Form):
    password_fields = ("new_password1", "new_password2")

    code = CodeField()
    new_password1, new_password2 = _password_fields(_("New password"), _("New password again"))

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.check_new_password(self.user)
        return cleaned


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150,
                                widget=forms.TextInput(attrs={"autocomplete": "name"}))
    language = forms.ChoiceField(
        label=_("Language"), choices=language_choices,
        help_text=_("Used for these pages and for the messages we send you."),
    )
    cin = forms.CharField(
        label=_("CIN number"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "dir": "ltr", "spellcheck": "false",
                                      "autocapitalize": "characters"}),
    )
    remove_cin = forms.BooleanField(label=_("Remove my CIN number"), required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"full_name": user.full_name, "language": user.language})
        super().__init__(*args, **kwargs)
        if user.cin:
            self.fields["cin"].help_text = _(
                "Saved: %(masked)s. Type a number only to replace it. It is stored encrypted and shown masked."
            ) % {"masked": user.masked_cin}
        else:
            self.fields["cin"].help_text = _(
                "Only needed for procedures that ask for it. It is stored encrypted and shown masked."
            )
            del self.fields["remove_cin"]

    def clean_full_name(self) -> str:
        name = " ".join(self.cleaned_data["full_name"].split())
        if not name:
            raise ValidationError(_("Enter your full name."), code="required")
        return name

    def clean_cin(self) -> str:
        raw = self.cleaned_data.get("cin", "")
        if not raw.strip():
            return ""
        return normalize_cin(ascii_digits(raw))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("remove_cin") and cleaned.get("cin"):
            self.add_error("cin", ValidationError(
                _("Either type a new CIN number or tick “Remove my CIN number”, not both."), code="cin_conflict"))
        return cleaned


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    error_messages = {
        **auth_forms.PasswordChangeForm.error_messages,
        "password_mismatch": _("The two passwords are not the same."),
        "password_incorrect": _("Your current password is not right. Type it again."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = _("Current password")
        self.fields["old_password"].widget.attrs.pop("autofocus", None)
        self.fields["new_password1"].help_text = PASSWORD_HELP
        self.fields["new_password2"].label = _("New password again")
        self.fields["new_password2"].help_text = ""
