"""Communes (tenants), users, staff memberships, the audit log and the working-day calendar's tables."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jamaa.core.fields import EncryptedCharField
from jamaa.core.tenancy import AllCommunesManager, CommuneQuerySet, CommuneScopedManager

colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #RRGGBB."))


class Language(models.TextChoices):
    ARABIC = "ar", _("Arabic")
    FRENCH = "fr", _("French")
    TAMAZIGHT = "zgh", _("Tamazight")


class Translated(models.Model):
    """Content stored in the three languages as `<field>_ar`, `<field>_fr`, `<field>_zgh`."""

    class Meta:
        abstract = True

    def tr(self, field: str, language: str | None = None) -> str:
        language = (language or get_language() or "ar").split("-")[0]
        order = [language, "ar", "fr", "zgh"]
        for code in order:
            value = getattr(self, f"{field}_{code}", "")
            if value:
                return value
        return ""


class Commune(Translated):
    slug = models.SlugField(_("slug"), unique=True, help_text=_("Short code, also the reference prefix."))
    code = models.CharField(_("reference prefix"), max_length=5, unique=True, help_text=_("For example SAL."))
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=120, blank=True)
    address_ar = models.CharField(_("address (Arabic)"), max_length=250, blank=True)
    address_fr = models.CharField(_("address (French)"), max_length=250, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    website = models.URLField(_("website"), blank=True)
    logo = models.FileField(_("logo"), upload_to="communes/", blank=True)
    primary_colour = models.CharField(_("primary colour"), max_length=7, default="#0b5d3b",
                                      validators=[colour_validator])
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#b8860b",
                                     validators=[colour_validator])
    is_active = models.BooleanField(_("on the platform"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("commune")
        verbose_name_plural = _("communes")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.tr("name")

    @property
    def address(self) -> str:
        return self.tr("address")

    @property
    def primary_host(self) -> str | None:
        hosts = list(self.hosts.all())  # uses prefetch_related("hosts") when the caller did it
        primary = next((h for h in hosts if h.is_primary), hosts[0] if hosts else None)
        return primary.host if primary else None

    def absolute_url(self, path: str = "/") -> str:
        host = self.primary_host or settings.PLATFORM_HOST
        port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
        return f"{settings.SITE_SCHEME}://{host}{port}{path}"


class CommuneHost(models.Model):
    """A host name (without port) that serves a commune's site."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="hosts")
    host = models.CharField(_("host name"), max_length=253, unique=True)
    is_primary = models.BooleanField(_("primary"), default=False)

    class Meta:
        verbose_name = _("host name")
        verbose_name_plural = _("host names")

    def __str__(self) -> str:
        return self.host

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.host = self.host.strip().lower()
        super().save(*args, **kwargs)


class Arrondissement(Translated):
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    slug = models.SlugField(_("slug"))
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    objects: ClassVar[CommuneScopedManager[Arrondissement]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Arrondissement]] = AllCommunesManager()

    class Meta:
        ordering = ["position", "name_fr"]
        constraints = [models.UniqueConstraint(fields=["commune", "slug"], name="arrondissement_slug_per_commune")]
        verbose_name = _("arrondissement")
        verbose_name_plural = _("arrondissements")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.tr("name")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> User:
        from jamaa.core.identifiers import parse_identifier

        identifier = parse_identifier(username)
        extra.setdefault(identifier.kind, identifier.value)
        user = self.model(username=identifier.value, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> User:
        extra.update(is_staff=True, is_superuser=True, contact_verified=True)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person: a citizen, a member of staff, or both. Accounts are national; staff rights are per commune."""

    username = models.CharField(
        _("phone or e-mail"), max_length=254, unique=True,
        help_text=_("The identifier used to log in: a mobile number in E.164 form or an e-mail address."),
    )
    phone = models.CharField(_("mobile number"), max_length=16, unique=True, null=True, blank=True)
    email = models.EmailField(_("e-mail"), unique=True, null=True, blank=True)
    full_name = models.CharField(_("full name"), max_length=150)
    language = models.CharField(_("language"), max_length=3, choices=Language.choices, default=Language.ARABIC)
    cin = EncryptedCharField(_("CIN number"), blank=True, default="")
    contact_verified = models.BooleanField(_("contact confirmed"), default=False,
                                      help_text=_("The phone number or e-mail address was confirmed with a code."))
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform operator"), default=False,
                                   help_text=_("May use the platform administration (Django admin)."))
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    signup_commune = models.ForeignKey(Commune, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Bumped to end every session of the user at once (deactivation, password change).
    session_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username

    def __repr__(self) -> str:
        # Never include personal data such as the CIN in a representation that may reach a log.
        return f"<User {self.pk}>"

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.username

    def get_session_auth_hash(self) -> str:
        return salted_hmac(
            "jamaa.core.User.session", f"{self.password}:{self.session_version}", algorithm="sha256"
        ).hexdigest()

    @property
    def contact_channel(self) -> str:
        return "sms" if self.phone else "email"

    @property
    def contact_address(self) -> str:
        return self.phone or self.email or ""

    @property
    def masked_cin(self) -> str:
        from jamaa.core.identifiers import mask_cin

        return mask_cin(self.cin) if self.cin else ""


class Department(Translated):
    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    code = models.SlugField(_("code"), max_length=40)
    name_ar = models.CharField(_("name (Arabic)"), max_length=150)
    name_fr = models.CharField(_("name (French)"), max_length=150)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=150, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[CommuneScopedManager[Department]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Department]] = AllCommunesManager()

    class Meta:
        ordering = ["name_fr"]
        constraints = [models.UniqueConstraint(fields=["commune", "code"], name="department_code_per_commune")]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.tr("name")


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    HEAD = "head", _("Head of department")
    ADMIN = "admin", _("Commune administrator")
    LEADERSHIP = "leadership", _("Leadership (read-only)")


class Membership(models.Model):
    """A member of staff of one commune, with a role and (for agents and heads) a department."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="memberships", verbose_name=_("department"))
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.AGENT)
    is_active = models.BooleanField(_("active"), default=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    invitation_token_hash = models.CharField(max_length=64, blank=True)
    invitation_expires_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(_("joined"), null=True, blank=True)
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[CommuneScopedManager[Membership]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Membership]] = AllCommunesManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "user"], name="one_membership_per_commune")]
        verbose_name = _("staff membership")
        verbose_name_plural = _("staff memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.commune_id} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None


class VerificationPurpose(models.TextChoices):
    SIGNUP = "signup", _("Account confirmation")
    PASSWORD_RESET = "reset", _("Password reset")


class VerificationCode(models.Model):
    """A 6-digit code sent through the outbox; only its HMAC is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="verification_codes")
    purpose = models.CharField(max_length=10, choices=VerificationPurpose.choices)
    channel = models.CharField(max_length=5)
    destination = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    consumed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["user", "purpose", "-created_at"], name="verif_user_purpose")]

    def __str__(self) -> str:
        # Never the code: only its purpose and age.
        return f"{self.purpose} code for user {self.user_id} ({self.created_at:%Y-%m-%d %H:%M})"


class AuditEventQuerySet(CommuneQuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("The audit log is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")

    def personal_data_accesses(self, user: User) -> AuditEventQuerySet:
        return self.filter(subject=user).exclude(actor=user)


ScopedAuditManager = CommuneScopedManager.from_queryset(AuditEventQuerySet)
AllAuditManager = AllCommunesManager.from_queryset(AuditEventQuerySet)


class AuditEvent(models.Model):
    """Append-only: who did what to which object, in which commune, when and from where."""

    commune = models.ForeignKey(Commune, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=200, blank=True)
    # The person whose personal data the event touched: it appears on that person's "my data" page.
    subject = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    reason = models.CharField(max_length=300, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects: ClassVar[Any] = ScopedAuditManager()
    all_communes: ClassVar[Any] = AllAuditManager()

    class Meta:
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["commune", "-id"], name="audit_commune_recent"),
            models.Index(fields=["subject", "-id"], name="audit_subject_recent"),
        ]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError("The audit log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("The audit log is append-only.")


class HolidayOverride(models.Model):
    """A national correction to the estimated holiday calendar, e.g. when the Ministry of Habous announces
    that Eid al-Adha falls a day later than the Umm al-Qura estimate."""

    date = models.DateField(_("date"), unique=True)
    is_holiday = models.BooleanField(
        _("is a public holiday"), default=True,
        help_text=_("Tick to add a holiday on this date; untick to remove an estimated holiday."),
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=120, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=120, blank=True)
    note = models.CharField(_("note"), max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday override")
        verbose_name_plural = _("holiday overrides")

    def __str__(self) -> str:
        return f"{self.date} {'+' if self.is_holiday else '-'} {self.name_fr}"


class CommuneClosure(Translated):
    """Days the commune's offices are closed (beyond public holidays): they are not working days there."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    reason_ar = models.CharField(_("reason (Arabic)"), max_length=200)
    reason_fr = models.CharField(_("reason (French)"), max_length=200)
    reason_zgh = models.CharField(_("reason (Tamazight)"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[CommuneScopedManager[CommuneClosure]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[CommuneClosure]] = AllCommunesManager()

    class Meta:
        ordering = ["start_date"]
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")),
                                   name="closure_end_after_start"),
        ]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")

    def __str__(self) -> str:
        return f"{self.start_date}–{self.end_date}"

    @property
    def reason(self) -> str:
        return self.tr("reason")


class Heartbeat(models.Model):
    """Last time a background component proved it was alive (the task worker, the scheduler)."""

    name = models.CharField(max_length=40, primary_key=True)
    seen_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} seen {self.seen_at.isoformat()}"
