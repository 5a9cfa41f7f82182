"""Back-office writes: two-factor enrolment and checks, staff invitations, roles, deactivation, departments.

Each service is keyword-only, runs in one transaction and writes its audit event in that transaction. Refusals
are `django.core.exceptions.ValidationError` with a message for the person at the screen.
"""

from __future__ import annotations

import datetime
import secrets
from base64 import b32encode
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from jamaa.core import audit
from jamaa.core.backoffice.selectors import ACTIVE_Q, token_hash
from jamaa.core.identifiers import Identifier
from jamaa.core.models import Commune, Department, Membership, Role, User
from jamaa.notifications.models import Channel
from jamaa.notifications.services import notify_user

# Wrong TOTP codes allowed in a row before the account's second factor is locked for a while.
TOTP_MAX_FAILURES = 5
TOTP_LOCKOUT = datetime.timedelta(minutes=10)

ROLES_NEEDING_A_DEPARTMENT = (Role.AGENT, Role.HEAD)


# --- two-factor authentication ---------------------------------------------------------------------------------


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


@transaction.atomic
def enrolment_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device the user is enrolling; the same one on every visit until it is confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=_("Authenticator application"), confirmed=False)
    return device


def device_secret(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an application by hand."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def lockout_until(device: TOTPDevice, now: datetime.datetime | None = None) -> datetime.datetime | None:
    if device.throttling_failure_count < TOTP_MAX_FAILURES or device.throttling_failure_timestamp is None:
        return None
    until = device.throttling_failure_timestamp + TOTP_LOCKOUT
    return until if until > (now or timezone.now()) else None


@dataclass(frozen=True)
class TwoFactorOutcome:
    device: TOTPDevice | None
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.device is not None and not self.error


def _locked_message(until: datetime.datetime) -> str:
    return _("Too many wrong codes. Try again after %(time)s.") % {
        "time": time_format(timezone.localtime(until), "H:i"),
    }


def two_factor_check(
    *, user: User, device_id: int, token: str, commune: Commune, request: HttpRequest | None = None
) -> TwoFactorOutcome:
    """Check a code against the user's device (confirming it during enrolment), with throttling.

    django-otp's own throttle doubles the wait after each wrong code; on top of it, TOTP_MAX_FAILURES wrong codes
    in a row lock the second factor for TOTP_LOCKOUT. Failures are committed: they are the throttle's memory."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=user).first()
        if device is None:
            return TwoFactorOutcome(None, _("This authenticator is no longer registered. Reload the page."))
        until = lockout_until(device)
        if until is not None:
            return TwoFactorOutcome(None, _locked_message(until))
        allowed, _info = device.verify_is_allowed()
        if not allowed:
            return TwoFactorOutcome(None, _("Wait a few seconds before trying another code."))
        enrolling = not device.confirmed
        if not device.verify_token(token):
            # verify_token has counted the failure on the device.
            audit.record(
                action="staff.two_factor_failed", commune=commune, actor=user, target=device,
                target_label=user.full_name, request=request,
                details={"failures": device.throttling_failure_count, "enrolment": enrolling},
            )
            until = lockout_until(device)
            if until is not None:
                return TwoFactorOutcome(None, _locked_message(until))
            return TwoFactorOutcome(None, _("This code is not correct. Check the time on your phone and try the "
                                            "new code."))
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).exclude(pk=device.pk).delete()
        audit.record(
            action="staff.two_factor_enrolled" if enrolling else "staff.two_factor_verified",
            commune=commune, actor=user, target=device, target_label=user.full_name, request=request,
        )
    return TwoFactorOutcome(device)


# --- invitations -----------------------------------------------------------------------------------------------


def _new_invitation_token(membership: Membership) -> str:
    token = secrets.token_urlsafe(32)
    membership.invitation_token_hash = token_hash(token)
    membership.invitation_expires_at = timezone.now() + datetime.timedelta(days=settings.STAFF_INVITATION_TTL_DAYS)
    return token


def _send_invitation(*, membership: Membership, token: str, inviter: User, channel: str) -> None:
    user = membership.user
    commune = membership.commune
    with translation.override(user.language):
        link = commune.absolute_url(reverse("backoffice:invitation_accept", args=[token]))
    notify_user(
        user, template="staff_invitation", commune=commune, channel=channel,
        context={
            "link": link,
            "inviter_name": inviter.full_name,
            "role": Role(membership.role).label,
            "days": settings.STAFF_INVITATION_TTL_DAYS,
            "expires_at": membership.invitation_expires_at,
        },
    )


def _channel_for(user: User, identifier_kind: str | None = None) -> str:
    if identifier_kind == "phone" and user.phone:
        return Channel.SMS
    if identifier_kind == "email" and user.email:
        return Channel.EMAIL
    return Channel.SMS if user.phone else Channel.EMAIL


def is_staff_only_account(user: User) -> bool:
    """An account that exists for staff work only: never signed up as a citizen, not a platform operator.

    Invited accounts are created without a sign-up commune; citizens' sign-up sets it."""
    return user.signup_commune_id is None and not user.is_staff and not user.is_superuser


def _check_department(*, role: str, department: Department | None, commune: Commune) -> None:
    if department is not None and department.commune_id != commune.pk:
        raise ValidationError(_("Choose one of this commune's departments."), code="foreign_department")
    if role in ROLES_NEEDING_A_DEPARTMENT and department is None:
        raise ValidationError(_("Agents and heads of department belong to a department: choose one."),
                              code="department_required")


def staff_invite(
    *,
    commune: Commune,
    actor: User,
    full_name: str,
    identifier: Identifier,
    role: str,
    department: Department | None,
    language: str,
    request: HttpRequest | None = None,
) -> Membership:
    """Invite someone to the commune's staff: a new account (no password yet) or an existing one."""
    _check_department(role=role, department=department, commune=commune)
    try:
        with transaction.atomic():
            user = User.objects.filter(
                Q(username=identifier.value) | Q(**{identifier.kind: identifier.value})
            ).first()
            new_account = user is None
            if user is None:
                user = User(username=identifier.value, full_name=full_name, language=language, contact_verified=False)
                setattr(user, identifier.kind, identifier.value)
                user.set_unusable_password()
                user.full_clean()
                user.save()
            else:
                existing = Membership.all_communes.filter(commune=commune, user=user).first()
                if existing is not None:
                    if existing.is_active:
                        raise ValidationError(_("This person is already on this commune's staff or invited."),
                                              code="already_member")
                    raise ValidationError(
                        _("This person's staff account here is deactivated: reactivate it from the staff list."),
                        code="deactivated_member",
                    )
                if not user.is_active:
                    if not is_staff_only_account(user):
                        raise ValidationError(
                            _("This account is closed. A platform operator must reopen it first."), code="closed",
                        )
                    # A former member of staff of another commune: the account was closed with its last membership.
                    user.is_active = True
                    user.save(update_fields=["is_active"])
            membership = Membership(
                commune=commune, user=user, role=role, department=department, invited_by=actor, is_active=True,
            )
            token = _new_invitation_token(membership)
            membership.full_clean()
            membership.save()
            _send_invitation(membership=membership, token=token, inviter=actor,
                             channel=_channel_for(user, identifier.kind))
            audit.record(
                action="staff.invited", commune=commune, actor=actor, target=membership,
                target_label=user.full_name, request=request,
                details={"role": role, "department": department.code if department else None,
                         "new_account": new_account, "channel": _channel_for(user, identifier.kind)},
            )
    except IntegrityError:
        # Two administrators invited the same person at the same moment: one invitation exists.
        raise ValidationError(_("This person is already on this commune's staff or invited."),
                              code="already_member") from None
    return membership


@transaction.atomic
def staff_invitation_resend(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    """A new link (the old one stops working) with a new expiry, sent again."""
    membership = Membership.objects.select_for_update(of=("self",)).select_related("user", "commune").get(
        pk=membership.pk
    )
    if membership.accepted_at is not None or not membership.is_active:
        raise ValidationError(_("Only a pending invitation can be sent again."), code="not_pending")
    token = _new_invitation_token(membership)
    membership.save(update_fields=["invitation_token_hash", "invitation_expires_at"])
    _send_invitation(membership=membership, token=token, inviter=actor, channel=_channel_for(membership.user))
    audit.record(
        action="staff.invitation_resent", commune=membership.commune, actor=actor, target=membership,
        target_label=membership.user.full_name, request=request,
    )
    return membership


def _accept(membership: Membership, user: User, request: HttpRequest | None, new_account: bool) -> Membership:
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if locked.accepted_at is not None or not locked.is_active or locked.user_id != user.pk:
        raise ValidationError(_("This invitation can no longer be used."), code="not_pending")
    if locked.invitation_expires_at is None or locked.invitation_expires_at <= timezone.now():
        raise ValidationError(_("This invitation has expired."), code="expired")
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_at"])
    audit.record(
        action="staff.invitation_accepted", commune=locked.commune, actor=user, target=locked,
        target_label=user.full_name, request=request, details={"new_account": new_account},
    )
    return locked


@transaction.atomic
def invitation_accept_with_password(
    *, membership: Membership, password: str, request: HttpRequest | None = None
) -> User:
    """A person without a password yet: the link proves they hold the phone or mailbox, so the account is verified."""
    user = User.objects.select_for_update().get(pk=membership.user_id)
    if user.has_usable_password():
        raise ValidationError(_("This account already has a password: log in to accept the invitation."),
                              code="has_password")
    user.set_password(password)
    user.contact_verified = True
    user.is_active = True
    user.save(update_fields=["password", "contact_verified", "is_active"])
    _accept(membership, user, request, new_account=True)
    return user


@transaction.atomic
def invitation_accept_as_user(*, membership: Membership, user: User, request: HttpRequest | None = None) -> Membership:
    """An existing account, logged in, accepts the invitation sent to it."""
    if not user.contact_verified:
        User.objects.filter(pk=user.pk).update(contact_verified=True)
        user.contact_verified = True
    return _accept(membership, user, request, new_account=False)


# --- staff management ------------------------------------------------------------------------------------------


def _lock(membership: Membership) -> Membership:
    # `of`: PostgreSQL cannot lock the nullable side of the outer join to the department.
    return Membership.objects.select_for_update(of=("self",)).select_related("user", "department", "commune").get(
        pk=membership.pk
    )


def _refuse_if_last_admin(membership: Membership) -> None:
    # Lock every active administrator row: two administrators demoting each other at once cannot both succeed.
    admins = list(Membership.objects.select_for_update().filter(ACTIVE_Q, role=Role.ADMIN).values_list("pk", flat=True))
    if membership.role == Role.ADMIN and membership.is_active and membership.accepted_at is not None \
            and not [pk for pk in admins if pk != membership.pk]:
        raise ValidationError(
            _("This is the commune's last active administrator. Make someone else an administrator first."),
            code="last_admin",
        )


@transaction.atomic
def staff_change_role(
    *, membership: Membership, actor: User, role: str, department: Department | None,
    request: HttpRequest | None = None,
) -> Membership:
    membership = _lock(membership)
    _check_department(role=role, department=department, commune=membership.commune)
    if membership.role == role and membership.department_id == (department.pk if department else None):
        return membership
    if role != Role.ADMIN:
        _refuse_if_last_admin(membership)
    before = {"role": membership.role, "department": membership.department.code if membership.department else None}
    membership.role = role
    membership.department = department
    membership.full_clean()
    membership.save(update_fields=["role", "department"])
    audit.record(
        action="staff.role_changed", commune=membership.commune, actor=actor, target=membership,
        target_label=membership.user.full_name, request=request,
        details={"before": before, "after": {"role": role, "department": department.code if department else None}},
    )
    return membership


@transaction.atomic
def staff_deactivate(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    """The member loses access here at once: every session of theirs ends (session_version).

    When the account has no other active membership and exists only for staff work (created by an invitation,
    never signed up as a citizen), the account itself is closed too (user.is_active False), so the login page
    can tell the person that their staff account is deactivated. A citizen's account stays open."""
    membership = _lock(membership)
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account. Ask another administrator."),
                              code="self")
    if not membership.is_active:
        raise ValidationError(_("This member of staff is already deactivated."), code="inactive")
    _refuse_if_last_admin(membership)
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])

    user = User.objects.select_for_update().get(pk=membership.user_id)
    other_memberships = Membership.all_communes.filter(user=user, is_active=True).exclude(pk=membership.pk).exists()
    close_account = not other_memberships and is_staff_only_account(user) and user.is_active
    User.objects.filter(pk=user.pk).update(
        session_version=F("session_version") + 1, **({"is_active": False} if close_account else {})
    )
    audit.record(
        action="staff.deactivated", commune=membership.commune, actor=actor, target=membership,
        target_label=user.full_name, request=request,
        details={"account_closed": close_account, "was_pending": membership.accepted_at is None},
    )
    return membership


@transaction.atomic
def staff_reactivate(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> Membership:
    membership = _lock(membership)
    if membership.is_active:
        raise ValidationError(_("This member of staff is already active."), code="active")
    if membership.department is not None and not membership.department.is_active \
            and membership.role in ROLES_NEEDING_A_DEPARTMENT:
        raise ValidationError(
            _("Their department is deactivated: reactivate the department first, or change their role or "
              "department."),
            code="inactive_department",
        )
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    user = membership.user
    reopened = not user.is_active and is_staff_only_account(user)
    if reopened:
        User.objects.filter(pk=user.pk).update(is_active=True)
    audit.record(
        action="staff.reactivated", commune=membership.commune, actor=actor, target=membership,
        target_label=user.full_name, request=request, details={"account_reopened": reopened},
    )
    return membership


@transaction.atomic
def staff_reset_two_factor(*, membership: Membership, actor: User, request: HttpRequest | None = None) -> int:
    """For a member who lost their phone: their authenticator devices are removed and their sessions end; at the
    next login they set up a new device. The devices belong to the person, so this holds in every commune."""
    membership = _lock(membership)
    if membership.user_id == actor.pk:
        raise ValidationError(_("You cannot reset your own two-factor authentication. Ask another administrator."),
                              code="self")
    deleted, _by_model = TOTPDevice.objects.filter(user_id=membership.user_id).delete()
    User.objects.filter(pk=membership.user_id).update(session_version=F("session_version") + 1)
    audit.record(
        action="staff.two_factor_reset", commune=membership.commune, actor=actor, target=membership,
        target_label=membership.user.full_name, request=request, details={"devices_removed": deleted},
    )
    return deleted


# --- departments -----------------------------------------------------------------------------------------------


DEPARTMENT_FIELDS = ("code", "name_ar", "name_fr", "name_zgh", "email", "phone", "is_active")


@transaction.atomic
def department_create(
    *, commune: Commune, actor: User, code: str, name_ar: str, name_fr: str, name_zgh: str = "",
    email: str = "", phone: str = "", is_active: bool = True, request: HttpRequest | None = None,
) -> Department:
    department = Department(commune=commune, code=code, name_ar=name_ar, name_fr=name_fr, name_zgh=name_zgh,
                            email=email, phone=phone, is_active=is_active)
    department.full_clean()
    department.save()
    audit.record(action="department.created", commune=commune, actor=actor, target=department,
                 target_label=department.name_fr, request=request, details={"code": code})
    return department


@transaction.atomic
def department_update(
    *, department: Department, actor: User, code: str, name_ar: str, name_fr: str, name_zgh: str = "",
    email: str = "", phone: str = "", is_active: bool = True, request: HttpRequest | None = None,
) -> Department:
    department = Department.objects.select_for_update().get(pk=department.pk)
    if department.is_active and not is_active and department.memberships.filter(is_active=True).exists():
        raise ValidationError(
            _("Staff still work in this department: move or deactivate them first, then deactivate it."),
            code="has_members",
        )
    values = {"code": code, "name_ar": name_ar, "name_fr": name_fr, "name_zgh": name_zgh, "email": email,
              "phone": phone, "is_active": is_active}
    changed = sorted(field for field, value in values.items() if getattr(department, field) != value)
    if not changed:
        return department
    for field, value in values.items():
        setattr(department, field, value)
    department.full_clean()
    department.save()
    audit.record(action="department.updated", commune=department.commune, actor=actor, target=department,
                 target_label=department.name_fr, request=request, details={"changed": changed})
    return department

