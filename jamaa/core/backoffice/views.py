"""The commune's back office: two-factor authentication, staff, departments, audit log, dashboard and overview."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import django_otp
import segno
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from jamaa.cases import stats as case_stats
from jamaa.core import audit
from jamaa.core.backoffice import selectors, services
from jamaa.core.backoffice.forms import (
    AuditFilterForm,
    DepartmentForm,
    InvitationPasswordForm,
    StaffFilterForm,
    StaffInviteForm,
    StaffRoleForm,
    TwoFactorForm,
)
from jamaa.core.models import Role
from jamaa.core.permissions import commune_required, forbidden, membership_for, staff_required

# The invited person's account is logged in right after choosing a password; the backend that loads users
# for sessions must be one of AUTHENTICATION_BACKENDS.
SESSION_BACKEND = "jamaa.core.auth.ModelBackend"

GET_POST = require_http_methods(["GET", "POST"])


def _form_errors_to(form: Any, error: ValidationError, field: str | None = None) -> None:
    for message in error.messages:
        form.add_error(field, message)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


# --- two-factor authentication ---------------------------------------------------------------------------------


def _qr_svg(data: str) -> str:
    # Inline SVG: no external image, no style attribute (CSP); a white quiet zone so phones read it on any theme.
    svg = segno.make(data, error="m").svg_inline(
        scale=4, dark="#000000", light="#ffffff", svgclass="qr-code", lineclass=None, omitsize=False,
        title=_("QR code to scan with your authenticator application"),
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


@never_cache
@GET_POST
@commune_required
def two_factor(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("accounts:login"))
    if membership_for(request) is None:
        return forbidden(request, _("This page is for the staff of this commune."))
    next_url = _safe_next(request, reverse("backoffice:dashboard"))
    if user.is_verified():  # type: ignore[union-attr]
        return redirect(next_url)

    device = services.confirmed_device(user)  # type: ignore[arg-type]
    enrolling = device is None
    if device is None:
        device = services.enrolment_device(user=user)  # type: ignore[arg-type]

    form = TwoFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.two_factor_check(
            user=user, device_id=device.pk, token=form.cleaned_data["token"],  # type: ignore[arg-type]
            commune=request.commune, request=request,  # type: ignore[attr-defined]
        )
        if outcome.ok:
            django_otp.login(request, outcome.device)
            request.session["jamaa_staff"] = True
            if enrolling:
                messages.success(request, _("Two-factor authentication is set up. Keep your phone with you."))
            return HttpResponseRedirect(next_url)
        form.add_error("token", outcome.error)

    context: dict[str, Any] = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        context["qr_svg"] = mark_safe(_qr_svg(device.config_url))  # noqa: S308 - segno's own SVG markup
        context["secret"] = services.device_secret(device)
    return render(request, "backoffice/two_factor.html", context)


# --- dashboard and overview -----------------------------------------------------------------------------------


@staff_required()
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/dashboard.html", {"member": request.membership})  # type: ignore[attr-defined]


@staff_required(Role.ADMIN, Role.LEADERSHIP)
def overview(request: HttpRequest) -> HttpResponse:
    figures = selectors.overview_figures(request.commune)  # type: ignore[attr-defined]
    figures["cases"] = case_stats.case_figures(request.commune)  # type: ignore[attr-defined]
    return render(request, "backoffice/overview.html", figures)


# --- invitations -----------------------------------------------------------------------------------------------


@staff_required(Role.ADMIN)
@GET_POST
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = services.staff_invite(
                commune=request.commune, actor=request.user,  # type: ignore[attr-defined, arg-type]
                full_name=data["full_name"], identifier=data["identifier"], role=data["role"],
                department=data["department"], language=data["language"], request=request,
            )
        except ValidationError as error:
            field = "department" if getattr(error, "code", "") in {"foreign_department", "department_required"} \
                else "identifier"
            _form_errors_to(form, error, field)
        else:
            messages.success(request, _("The invitation was sent to %(name)s.") % {"name": membership.user.full_name})
            return redirect("backoffice:staff_detail", pk=membership.pk)
    return render(request, "backoffice/staff_invite.html", {"form": form})


def _invitation_refused(request: HttpRequest, state: str) -> HttpResponse:
    titles = {
        "unknown": _("This invitation link is not valid"),
        "expired": _("This invitation has expired"),
        "used": _("This invitation was already used"),
        "withdrawn": _("This invitation was withdrawn"),
    }
    explanations = {
        "unknown": _("Check that you opened the whole link from the message. Links work only on the site of the "
                     "commune that sent them."),
        "expired": _("Ask the commune's administrator to send you a new invitation."),
        "used": _("Your staff account is already set up: log in to reach the back office."),
        "withdrawn": _("Contact the commune's administrator if you think this is a mistake."),
    }
    return render(
        request, "backoffice/invitation_invalid.html",
        {"title": titles[state], "explanation": explanations[state], "state": state},
        status=404 if state == "unknown" else 410,
    )


@never_cache
@GET_POST
@commune_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    lookup = selectors.invitation_for_token(token)
    if lookup.state != "valid" or lookup.membership is None:
        return _invitation_refused(request, lookup.state)
    membership = lookup.membership
    invited = membership.user
    two_factor_url = f"{reverse('backoffice:two_factor')}?{urlencode({'next': reverse('backoffice:dashboard')})}"
    context: dict[str, Any] = {"membership": membership, "invited": invited}

    if not invited.has_usable_password():
        form = InvitationPasswordForm(request.POST or None, user=invited)
        if request.method == "POST" and form.is_valid():
            try:
                user = services.invitation_accept_with_password(
                    membership=membership, password=form.cleaned_data["password1"], request=request,
                )
            except ValidationError as error:
                _form_errors_to(form, error)
            else:
                auth_login(request, user, backend=SESSION_BACKEND)
                messages.success(request, _("Welcome. Now set up two-factor authentication to reach the back office."))
                return HttpResponseRedirect(two_factor_url)
        context.update(form=form, mode="password")
        return render(request, "backoffice/invitation_accept.html", context)

    if not request.user.is_authenticated:
        login_url = f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}"
        context.update(mode="login", login_url=login_url)
        return render(request, "backoffice/invitation_accept.html", context)
    if request.user.pk != invited.pk:
        context.update(mode="other_account")
        return render(request, "backoffice/invitation_accept.html", context, status=403)
    if request.method == "POST":
        try:
            services.invitation_accept_as_user(membership=membership, user=request.user,  # type: ignore[arg-type]
                                               request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.get_full_path())
        messages.success(request, _("You joined the staff of this commune."))
        return HttpResponseRedirect(two_factor_url)
    context.update(mode="confirm")
    return render(request, "backoffice/invitation_accept.html", context)


# --- staff -----------------------------------------------------------------------------------------------------

STAFF_PAGE_SIZE = 50


@staff_required(Role.ADMIN)
def staff_list(request: HttpRequest) -> HttpResponse:
    form = StaffFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    memberships = selectors.staff_memberships(**filters)
    page = Paginator(memberships, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "backoffice/staff_list.html", {
        "form": form, "page": page, "filtered": bool(filters), "query": query.urlencode(),
    })


@staff_required(Role.ADMIN)
@GET_POST
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    member = selectors.get_membership(pk)
    role_form = StaffRoleForm(membership=member)
    if request.method == "POST":
        action = request.POST.get("action", "")
        actor = request.user
        try:
            if action == "role":
                role_form = StaffRoleForm(request.POST, membership=member)
                if role_form.is_valid():
                    services.staff_change_role(
                        membership=member, actor=actor,  # type: ignore[arg-type]
                        role=role_form.cleaned_data["role"], department=role_form.cleaned_data["department"],
                        request=request,
                    )
                    messages.success(request, _("The role and department were saved."))
                    return redirect("backoffice:staff_detail", pk=member.pk)
            elif action == "deactivate":
                services.staff_deactivate(membership=member, actor=actor, request=request)  # type: ignore[arg-type]
                messages.success(request, _("%(name)s was deactivated and logged out everywhere.")
                                 % {"name": member.user.full_name})
                return redirect("backoffice:staff_detail", pk=member.pk)
            elif action == "reactivate":
                services.staff_reactivate(membership=member, actor=actor, request=request)  # type: ignore[arg-type]
                messages.success(request, _("%(name)s was reactivated.") % {"name": member.user.full_name})
                return redirect("backoffice:staff_detail", pk=member.pk)
            elif action == "reset_2fa":
                services.staff_reset_two_factor(membership=member, actor=actor,  # type: ignore[arg-type]
                                                request=request)
                messages.success(request, _("Two-factor authentication of %(name)s was reset: they set it up again "
                                            "at their next login.") % {"name": member.user.full_name})
                return redirect("backoffice:staff_detail", pk=member.pk)
            elif action == "resend":
                services.staff_invitation_resend(membership=member, actor=actor,  # type: ignore[arg-type]
                                                 request=request)
                messages.success(request, _("A new invitation link was sent. The previous link no longer works."))
                return redirect("backoffice:staff_detail", pk=member.pk)
            else:
                messages.error(request, _("Unknown action. Use one of the buttons on this page."))
                return redirect("backoffice:staff_detail", pk=member.pk)
        except ValidationError as error:
            if action == "role":
                _form_errors_to(role_form, error)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("backoffice:staff_detail", pk=member.pk)

    viewer = request.user
    if member.user_id != viewer.pk:
        audit.record_personal_data_access(
            actor=viewer, commune=request.commune, subject=member.user,  # type: ignore[attr-defined, arg-type]
            target=member, reason=_("Staff management: contact details of a member of staff"),
            request=request, fields=["phone", "email"],
        )
    return render(request, "backoffice/staff_detail.html", {
        "member": member,
        "role_form": role_form,
        "history": selectors.membership_history(member),
        "is_self": member.user_id == viewer.pk,
        "has_two_factor": services.confirmed_device(member.user) is not None,
    })


# --- departments -----------------------------------------------------------------------------------------------


@staff_required(Role.ADMIN)
def departments(request: HttpRequest) -> HttpResponse:
    return render(request, "backoffice/departments.html", {"departments": selectors.departments_with_counts()})


def _department_values(form: DepartmentForm) -> dict[str, Any]:
    return {field: form.cleaned_data[field] for field in services.DEPARTMENT_FIELDS}


@staff_required(Role.ADMIN)
@GET_POST
def department_create(request: HttpRequest) -> HttpResponse:
    form = DepartmentForm(request.POST or None, initial={"is_active": True})
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(
                commune=request.commune, actor=request.user,  # type: ignore[attr-defined, arg-type]
                request=request, **_department_values(form),
            )
        except ValidationError as error:
            _form_errors_to(form, error)
        else:
            messages.success(request, _("The department %(name)s was created.") % {"name": department.name})
            return redirect("backoffice:departments")
    return render(request, "backoffice/department_form.html", {"form": form, "department": None})


@staff_required(Role.ADMIN)
@GET_POST
def department_edit(request: HttpRequest, pk: int) -> HttpResponse:
    department = selectors.get_department(pk)
    heading_name = department.name  # the form changes the instance while validating
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_update(
                department=department, actor=request.user,  # type: ignore[arg-type]
                request=request, **_department_values(form),
            )
        except ValidationError as error:
            _form_errors_to(form, error)
        else:
            messages.success(request, _("The department %(name)s was saved.") % {"name": department.name})
            return redirect("backoffice:departments")
    return render(request, "backoffice/department_form.html",
                  {"form": form, "department": department, "heading_name": heading_name})


# --- audit log -------------------------------------------------------------------------------------------------


@staff_required(Role.ADMIN)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(
        request.GET or None, actions=selectors.audit_actions(), target_types=selectors.audit_target_types(),
    )
    filters: dict[str, Any] = {}
    if form.is_bound:
        form.is_valid()
        # An invalid field is shown with its error and ignored; the valid ones still filter.
        filters = {key: value for key, value in form.cleaned_data.items() if value}
    before_raw = request.GET.get("before", "")
    before = int(before_raw) if before_raw.isdigit() and len(before_raw) < 19 else None
    page = selectors.audit_page(before=before, **filters)

    query = request.GET.copy()
    query.pop("before", None)
    base_query = query.urlencode()
    next_query = None
    if page.next_before is not None:
        query["before"] = str(page.next_before)
        next_query = query.urlencode()
    return render(request, "backoffice/audit_log.html", {
        "form": form, "events": page.events, "next_query": next_query, "first_query": base_query,
        "is_first_page": before is None, "filtered": bool(filters),
    })

