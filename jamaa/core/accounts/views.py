"""Citizen account pages: sign-up, confirmation code, login and logout, password reset, profile, "my data"."""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.core import signing
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from jamaa.core.accounts import services
from jamaa.core.accounts.forms import (
    LoginForm,
    PasswordChangeForm,
    PasswordResetConfirmForm,
    PasswordResetRequestForm,
    ProfileForm,
    SignupForm,
    VerifyCodeForm,
)
from jamaa.core.accounts.services import CodeCheck, CodeOutcome, SendLimited
from jamaa.core.identifiers import mask_email, mask_phone
from jamaa.core.models import AuditEvent, User, VerificationPurpose
from jamaa.core.permissions import commune_required, login_required, membership_for

# The account waiting for its confirmation code, and the password reset in progress. The values are signed
# so that anything else found under these keys (tampering, an old format) restarts the flow cleanly.
PENDING_KEY = "jamaa_pending_verification"
PENDING_SALT = "jamaa.accounts.pending"
RESET_KEY = "jamaa_password_reset"
RESET_SALT = "jamaa.accounts.reset"
RESET_MISSES_KEY = "jamaa_password_reset_misses"
FLOW_MAX_AGE = 24 * 60 * 60

ACCESS_PAGE_SIZE = 25
LOGIN_BACKEND = "jamaa.core.auth.ModelBackend"

ACCESS_ACTIONS = {
    "personal_data.viewed": gettext_lazy("Consulted your personal data"),
}
DATA_FIELDS = {
    "full_name": gettext_lazy("full name"),
    "phone": gettext_lazy("mobile number"),
    "email": gettext_lazy("e-mail address"),
    "cin": gettext_lazy("CIN number"),
    "language": gettext_lazy("language"),
    "address": gettext_lazy("address"),
}


class FlowLost(Exception):
    """The signed value under a flow's session key could not be read."""


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def mask_contact(value: str) -> str:
    return mask_email(value) if "@" in value else mask_phone(value)


def _url_in(language: str, name: str) -> str:
    with translation.override(language):
        return reverse(name)


def _remember_language(response: HttpResponse, language: str) -> HttpResponse:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def _redirect_in_language(language: str, name: str) -> HttpResponse:
    return _remember_language(HttpResponseRedirect(_url_in(language, name)), language)


def _safe_next(request: HttpRequest) -> str | None:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                                require_https=request.is_secure()):
        return url
    return None


def _read_signed(request: HttpRequest, key: str, salt: str) -> dict[str, Any] | None:
    """The flow's data, None when there is none; FlowLost (and the key dropped) when it cannot be read."""
    raw = request.session.get(key)
    if raw is None:
        return None
    try:
        data = signing.loads(raw, salt=salt, max_age=FLOW_MAX_AGE)
    except (signing.BadSignature, TypeError, ValueError, UnicodeError):
        request.session.pop(key, None)
        raise FlowLost from None
    if not isinstance(data, dict):
        request.session.pop(key, None)
        raise FlowLost
    return data


def _user_by_pk(value: object) -> User | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    return User.objects.filter(pk=value, is_active=True).first()


def _start_pending(request: HttpRequest, user: User) -> None:
    request.session[PENDING_KEY] = signing.dumps({"u": user.pk}, salt=PENDING_SALT)


def _pending_user(request: HttpRequest) -> User | HttpResponse:
    """The account waiting for its code, or the redirect that restarts the flow with a message."""
    try:
        data = _read_signed(request, PENDING_KEY, PENDING_SALT)
    except FlowLost:
        data, lost = None, True
    else:
        lost = False
    user = _user_by_pk(data.get("u")) if data else None
    if user is None:
        request.session.pop(PENDING_KEY, None)
        if lost or data:
            messages.error(request, _("We could not find the account you were confirming. Log in to receive a new "
                                      "code, or create an account."))
        else:
            messages.info(request, _("No account is waiting for a confirmation code here. Log in to receive a new "
                                     "code, or create an account."))
        return redirect("accounts:login")
    if user.contact_verified:
        request.session.pop(PENDING_KEY, None)
        messages.info(request, _("This account is already confirmed. You can log in."))
        return redirect("accounts:login")
    return user


def code_error_message(result: CodeCheck) -> str:
    if result.outcome is CodeOutcome.WRONG:
        return ngettext(
            "This code is not right. You have %(count)d try left.",
            "This code is not right. You have %(count)d tries left.",
            result.attempts_left,
        ) % {"count": result.attempts_left}
    if result.outcome is CodeOutcome.EXPIRED:
        return _("This code has expired. Ask for a new code.")
    if result.outcome is CodeOutcome.EXHAUSTED:
        return _("Too many wrong tries: this code no longer works. Ask for a new code.")
    return _("This code can no longer be used. Ask for a new code.")


def send_limited_message(limit: SendLimited) -> str:
    if limit.reason == "cooldown":
        return ngettext(
            "A code was sent a moment ago. Wait %(count)d second before asking for a new one.",
            "A code was sent a moment ago. Wait %(count)d seconds before asking for a new one.",
            limit.retry_after,
        ) % {"count": limit.retry_after}
    minutes = math.ceil(limit.retry_after / 60)
    return ngettext(
        "You have asked for too many codes. Try again in %(count)d minute.",
        "You have asked for too many codes. Try again in %(count)d minutes.",
        minutes,
    ) % {"count": minutes}


def _after_login(request: HttpRequest, user: User, next_url: str | None) -> HttpResponse:
    """Where a user lands after logging in, in the language saved on the account."""
    if hasattr(request, "_jamaa_membership"):
        del request._jamaa_membership  # the cache was filled while the visitor was anonymous
    language = user.language
    if next_url:
        # Resolve `next` in the language its own prefix says, then reverse it in the account's language.
        source = translation.get_language_from_path(urlsplit(next_url).path) or settings.LANGUAGE_CODE
        with translation.override(source):
            target = translate_url(next_url, language)
    elif membership_for(request) is not None:
        # The back office asks for the TOTP code before anything else.
        target = _url_in(language, "backoffice:dashboard")
    else:
        target = _url_in(language, "accounts:profile")
    return _remember_language(HttpResponseRedirect(target), language)


def _log_in(request: HttpRequest, user: User) -> None:
    auth_login(request, user, backend=LOGIN_BACKEND)  # rotates the session key
    translation.activate(user.language)
    services.record_login(user=user, commune=request.commune, request=request)  # type: ignore[attr-defined]


# ---------------------------------------------------------------------------------------------------------------
# Sign-up and confirmation


@sensitive_post_parameters("password1", "password2")
@commune_required
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("accounts:profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.signup_citizen(
                full_name=data["full_name"], identifier=data["identifier"], password=data["password1"],
                language=data["language"], commune=request.commune, request=request,  # type: ignore[attr-defined]
            )
        except IntegrityError:
            # Someone registered the same identifier between the check and the insert.
            form.add_error("identifier", SignupForm.taken_message(data["identifier"]))
        else:
            _start_pending(request, user)
            with translation.override(user.language):
                messages.success(request, _("Your account is created. Enter the code we sent to %(contact)s to "
                                            "confirm it.") % {"contact": mask_contact(user.contact_address)})
            return _redirect_in_language(user.language, "accounts:verify")
    return render(request, "accounts/signup.html", {"form": form})


@commune_required
@never_cache
def verify(request: HttpRequest) -> HttpResponse:
    pending = _pending_user(request)
    if isinstance(pending, HttpResponse):
        return pending
    user = pending
    form = VerifyCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = services.confirm_signup(user=user, code=form.cleaned_data["code"],
                                         commune=request.commune, request=request)  # type: ignore[attr-defined]
        if result.ok:
            request.session.pop(PENDING_KEY, None)
            auth_login(request, user, backend=LOGIN_BACKEND)
            translation.activate(user.language)
            messages.success(request, _("Your account is confirmed. Welcome!"))
            return _after_login(request, user, None)
        form.add_error("code", code_error_message(result))
    return render(request, "accounts/verify.html", {
        "form": form, "contact": mask_contact(user.contact_address), "channel": user.contact_channel,
        "minutes": max(1, settings.VERIFICATION_CODE_TTL_SECONDS // 60),
    })


@require_POST
@commune_required
def resend_code(request: HttpRequest) -> HttpResponse:
    pending = _pending_user(request)
    if isinstance(pending, HttpResponse):
        return pending
    user = pending
    try:
        services.send_code(user=user, purpose=VerificationPurpose.SIGNUP,
                           commune=request.commune)  # type: ignore[attr-defined]
    except SendLimited as limit:
        messages.error(request, send_limited_message(limit))
    else:
        messages.success(request, _("We sent a new code to %(contact)s. Earlier codes no longer work.")
                         % {"contact": mask_contact(user.contact_address)})
    return redirect("accounts:verify")


# ---------------------------------------------------------------------------------------------------------------
# Login and logout


@sensitive_post_parameters("password")
@commune_required
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request)
    if request.method != "POST" and request.user.is_authenticated:
        return redirect(next_url or reverse("accounts:profile"))
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user: User = form.get_user()
        if not user.contact_verified:
            _start_pending(request, user)
            try:
                services.send_code(user=user, purpose=VerificationPurpose.SIGNUP,
                                   commune=request.commune)  # type: ignore[attr-defined]
            except SendLimited:
                messages.info(request, _("Your account is not confirmed yet. Enter the code we sent you, or ask "
                                         "for a new one."))
            else:
                messages.info(request, _("Your account is not confirmed yet. We sent a new code to %(contact)s.")
                              % {"contact": mask_contact(user.contact_address)})
            return redirect("accounts:verify")
        _log_in(request, user)
        return _after_login(request, user, next_url)
    return render(request, "accounts/login.html", {"form": form, "next": next_url or ""})


@commune_required
def logout(request: HttpRequest) -> HttpResponse:
    """Logging out changes state, so it takes a POST; a GET shows the button."""
    if request.method == "POST":
        if request.user.is_authenticated:
            auth_logout(request)
            messages.success(request, _("You are logged out."))
        return redirect("home")
    if not request.user.is_authenticated:
        return redirect("home")
    return render(request, "accounts/logout.html")


# ---------------------------------------------------------------------------------------------------------------
# Password reset by code


@commune_required
@never_cache
def password_reset(request: HttpRequest) -> HttpResponse:
    """Answers the same way whether or not an account exists; only an existing account receives a code."""
    initial: dict[str, str] = {}
    try:
        previous = _read_signed(request, RESET_KEY, RESET_SALT)
    except FlowLost:
        previous = None
    if previous and isinstance(previous.get("i"), str):
        initial["identifier"] = previous["i"]
    form = PasswordResetRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"]
        user = User.objects.filter(username=identifier.value, is_active=True).first()
        if user is not None:
            try:
                services.send_code(user=user, purpose=VerificationPurpose.PASSWORD_RESET,
                                   commune=request.commune)  # type: ignore[attr-defined]
            except SendLimited:
                # Saying so would tell a stranger that the account exists; the last code still works.
                pass
        request.session[RESET_KEY] = signing.dumps(
            {"i": identifier.value, "u": user.pk if user else None, "t": int(time.time())}, salt=RESET_SALT)
        request.session[RESET_MISSES_KEY] = 0
        messages.info(request, _("If an account uses %(contact)s, we have sent it a 6-digit code.")
                      % {"contact": identifier.value})
        return redirect("accounts:password_reset_confirm")
    return render(request, "accounts/password_reset.html", {"form": form})


def _unknown_account_check(request: HttpRequest, issued_at: int) -> CodeCheck:
    """No account behind the identifier: answer exactly as a real code would (wrong, then too many tries)."""
    misses = request.session.get(RESET_MISSES_KEY, 0)
    misses = misses if isinstance(misses, int) else 0
    if misses >= settings.VERIFICATION_CODE_MAX_ATTEMPTS:
        return CodeCheck(CodeOutcome.EXHAUSTED)
    if time.time() - issued_at > settings.VERIFICATION_CODE_TTL_SECONDS:
        return CodeCheck(CodeOutcome.EXPIRED)
    misses += 1
    request.session[RESET_MISSES_KEY] = misses
    left = settings.VERIFICATION_CODE_MAX_ATTEMPTS - misses
    return CodeCheck(CodeOutcome.WRONG, attempts_left=left) if left > 0 else CodeCheck(CodeOutcome.EXHAUSTED)


@sensitive_post_parameters("new_password1", "new_password2")
@commune_required
@never_cache
def password_reset_confirm(request: HttpRequest) -> HttpResponse:
    try:
        data = _read_signed(request, RESET_KEY, RESET_SALT)
    except FlowLost:
        messages.error(request, _("We could not read your password reset request. Please start again."))
        return redirect("accounts:password_reset")
    if not data or not isinstance(data.get("i"), str) or not isinstance(data.get("t"), int):
        request.session.pop(RESET_KEY, None)
        messages.info(request, _("First tell us the mobile number or e-mail address of your account."))
        return redirect("accounts:password_reset")
    user = _user_by_pk(data.get("u"))
    form = PasswordResetConfirmForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        if user is not None:
            result = services.reset_password_with_code(
                user=user, code=form.cleaned_data["code"], new_password=form.cleaned_data["new_password1"],
                commune=request.commune, request=request,  # type: ignore[attr-defined]
            )
        else:
            result = _unknown_account_check(request, data["t"])
        if result.ok and user is not None:
            request.session.pop(RESET_KEY, None)
            request.session.pop(RESET_MISSES_KEY, None)
            _log_in(request, user)
            messages.success(request, _("Your password has been changed and you are logged in. Any other device "
                                        "using your account has been logged out."))
            return _after_login(request, user, None)
        form.add_error("code", code_error_message(result))
    return render(request, "accounts/password_reset_confirm.html", {"form": form, "contact": data["i"]})


# ---------------------------------------------------------------------------------------------------------------
# Profile and "my data"


@sensitive_post_parameters("cin", "old_password", "new_password1", "new_password2")
@login_required
@never_cache
def profile(request: HttpRequest) -> HttpResponse:
    user = User.objects.get(pk=request.user.pk)
    action = request.POST.get("action") if request.method == "POST" else None
    profile_form = ProfileForm(request.POST if action == "profile" else None, user=user)
    password_form = PasswordChangeForm(user, request.POST if action == "password" else None)
    commune = request.commune  # type: ignore[attr-defined]
    if action == "profile" and profile_form.is_valid():
        data = profile_form.cleaned_data
        changed = services.update_profile(
            user=user, full_name=data["full_name"], language=data["language"], cin=data["cin"] or None,
            remove_cin=bool(data.get("remove_cin")), commune=commune, request=request,
        )
        translation.activate(user.language)
        if changed:
            messages.success(request, _("Your details have been saved."))
        else:
            messages.info(request, _("Nothing was changed."))
        return _redirect_in_language(user.language, "accounts:profile")
    if action == "password" and password_form.is_valid():
        services.change_password(user=user, new_password=password_form.cleaned_data["new_password1"],
                                 commune=commune, request=request)
        update_session_auth_hash(request, user)  # this session stays; the others end
        messages.success(request, _("Your password has been changed. Other devices using your account have been "
                                    "logged out."))
        return redirect("accounts:profile")
    if request.method == "POST" and action not in ("profile", "password"):
        messages.error(request, _("This form could not be read. Please try again."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {
        "account": user,
        "contact": mask_contact(user.contact_address),
        "profile_form": profile_form,
        "password_form": password_form,
    })


def _parse_before(raw: str | None) -> int | None:
    if raw and raw.isascii() and raw.isdigit() and len(raw) <= 18:
        return int(raw)
    return None


@login_required
@never_cache
def my_data(request: HttpRequest) -> HttpResponse:
    user = User.objects.select_related("signup_commune").get(pk=request.user.pk)
    before = _parse_before(request.GET.get("before"))
    accesses = AuditEvent.all_communes.all().personal_data_accesses(user).select_related("commune").order_by("-id")
    if before is not None:
        accesses = accesses.filter(id__lt=before)
    page = list(accesses[: ACCESS_PAGE_SIZE + 1])
    older = page[ACCESS_PAGE_SIZE - 1].pk if len(page) > ACCESS_PAGE_SIZE else None
    rows = [
        {
            "event": event,
            "what": ACCESS_ACTIONS.get(event.action, event.action),
            "fields": [DATA_FIELDS.get(f, f) for f in (event.details or {}).get("fields", [])
                       if isinstance(f, str)] if isinstance(event.details, dict) else [],
        }
        for event in page[:ACCESS_PAGE_SIZE]
    ]
    return render(request, "accounts/my_data.html", {
        "account": user,
        "contact": mask_contact(user.contact_address),
        "rows": rows,
        "older": older,
        "is_first_page": before is None,
    })
