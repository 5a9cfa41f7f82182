"""The Django admin, for platform operators only (commune administrators use the back office).

The admin works across communes: CommuneMiddleware runs /admin/ unscoped, and the querysets here use the
explicit `all_communes` managers anyway. Operators log in with a password and a TOTP code (OTPAdminSite).
Every change made here is also an audit event, in the same transaction as the change. CIN numbers never
appear in clear: the user pages show them masked and the form has no CIN field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, QuerySet
from django.forms.models import BaseInlineFormSet, ModelChoiceField
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.models import Device

from jamaa.core import audit
from jamaa.core import calendar_admin as calendar_admin  # registers HolidayOverride
from jamaa.core.identifiers import mask_email, mask_phone, parse_identifier
from jamaa.core.models import (
    Arrondissement,
    AuditEvent,
    Commune,
    CommuneClosure,
    CommuneHost,
    Department,
    Membership,
    User,
)


class OperatorLoginForm(OTPAdminAuthenticationForm):
    """Password and TOTP code on one form: with a single authenticator, the device need not be chosen."""

    def _chosen_device(self, user: User) -> Device | None:
        device = super()._chosen_device(user)
        if device is None:
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                return devices[0]
        return device


class OperatorAdminSite(OTPAdminSite):
    login_form = OperatorLoginForm


# Operators confirm their login with a TOTP code, like commune staff.
admin.site.__class__ = OperatorAdminSite
admin.site.site_header = _("Jamaa platform administration")
admin.site.site_title = _("Jamaa administration")
admin.site.index_title = _("Platform operators")


def _commune_of(obj: models.Model) -> Commune | None:
    if isinstance(obj, Commune):
        return obj
    commune = getattr(obj, "commune", None)
    return commune if isinstance(commune, Commune) else None


class AuditedAdmin(admin.ModelAdmin):
    """Writes an audit event next to each admin LogEntry (field names only, never values)."""

    def _audit(self, request: HttpRequest, obj: models.Model, verb: str, message: Any = None) -> None:
        audit.record(
            action=f"admin.{obj._meta.model_name}_{verb}", commune=_commune_of(obj),
            actor=request.user,  # type: ignore[arg-type]
            target=obj, request=request, details={"changes": message} if message else {},
        )

    def log_addition(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, obj, "added", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request: HttpRequest, obj: models.Model, message: Any) -> Any:
        self._audit(request, obj, "changed", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            self._audit(request, obj, "deleted")
        return super().log_deletions(request, queryset)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # The "delete selected" action is not wrapped in a transaction by the admin; the audit events must not
        # outlive a failed deletion.
        with transaction.atomic():
            super().delete_queryset(request, queryset)


class AllCommunesAdmin(AuditedAdmin):
    """For commune-owned models: every commune's rows, whatever scope is active."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = self.model.all_communes.get_queryset()  # type: ignore[attr-defined]
        ordering = self.get_ordering(request)
        return qs.order_by(*ordering) if ordering else qs


# --- communes ---------------------------------------------------------------------------------------------------


class CommuneHostInline(admin.TabularInline):
    model = CommuneHost
    extra = 0
    fields = ("host", "is_primary")


class ArrondissementFormSet(BaseInlineFormSet):
    @classmethod
    def get_default_prefix(cls) -> str:
        # The foreign key has no reverse accessor (related_name="+"), from which Django would derive the prefix.
        return "arrondissements"


class ArrondissementInline(admin.TabularInline):
    model = Arrondissement
    formset = ArrondissementFormSet
    extra = 0
    fields = ("position", "slug", "name_ar", "name_fr", "name_zgh")
    ordering = ("position", "name_fr")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Arrondissement]:
        qs = Arrondissement.all_communes.order_by("position", "name_fr")
        return qs if self.has_view_or_change_permission(request) else qs.none()


@admin.register(Commune)
class CommuneAdmin(AuditedAdmin):
    list_display = ("name_fr", "name_ar", "slug", "code", "host_names", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name_fr", "name_ar", "slug", "code", "hosts__host")
    prepopulated_fields = {"slug": ("name_fr",)}
    inlines = (CommuneHostInline, ArrondissementInline)
    fieldsets = (
        (None, {"fields": ("slug", "code", "is_active")}),
        (_("Names"), {"fields": ("name_ar", "name_fr", "name_zgh")}),
        (_("Contact details"), {"fields": ("address_ar", "address_fr", "phone", "email", "website")}),
        (_("Identity"), {"fields": ("logo", "primary_colour", "accent_colour")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Commune]:
        return super().get_queryset(request).prefetch_related("hosts")

    @admin.display(description=_("host names"))
    def host_names(self, obj: Commune) -> str:
        return ", ".join(h.host for h in obj.hosts.all())


@admin.register(Department)
class DepartmentAdmin(AllCommunesAdmin):
    list_display = ("name_fr", "name_ar", "commune", "code", "is_active")
    list_filter = ("commune", "is_active")
    search_fields = ("name_fr", "name_ar", "code")
    list_select_related = ("commune",)
    ordering = ("commune__name_fr", "name_fr")
    fields = ("commune", "code", "name_ar", "name_fr", "name_zgh", "email", "phone", "is_active")


# --- staff memberships ------------------------------------------------------------------------------------------


class DepartmentChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Department) -> str:  # type: ignore[override]
        return f"{obj.commune.name_fr} · {obj.name_fr}"


class MembershipForm(forms.ModelForm):
    # Declared (not generated from the model field) so that no scoped query runs when the module is imported.
    department = DepartmentChoiceField(
        label=_("department"), required=False,
        queryset=Department.all_communes.select_related("commune").order_by("commune__name_fr", "name_fr"),
    )

    class Meta:
        model = Membership
        fields = ("commune", "user", "role", "department", "is_active", "accepted_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        commune, department = data.get("commune"), data.get("department")
        if commune is not None and department is not None and department.commune_id != commune.pk:
            raise ValidationError({"department": _("This department belongs to another commune.")})
        return data


@admin.register(Membership)
class MembershipAdmin(AllCommunesAdmin):
    form = MembershipForm
    list_display = ("user", "commune", "role", "department", "is_active", "accepted_at")
    list_filter = ("commune", "role", "is_active")
    search_fields = ("user__full_name", "user__username")
    list_select_related = ("user", "commune", "department")
    autocomplete_fields = ("user",)
    readonly_fields = ("invited_by", "invitation_expires_at", "deactivated_at", "created_at")
    fields = ("commune", "user", "role", "department", "is_active", "accepted_at", *readonly_fields)

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        # A membership an operator creates (a new commune's first administrator) is in effect at once.
        return {"accepted_at": timezone.now(), **super().get_changeform_initial_data(request)}

    def save_model(self, request: HttpRequest, obj: Membership, form: forms.ModelForm, change: bool) -> None:
        if change and "is_active" in form.changed_data:
            obj.deactivated_at = None if obj.is_active else timezone.now()
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Deactivation ends every session of the person at once.
            User.objects.filter(pk=obj.user_id).update(session_version=F("session_version") + 1)


# --- users --------------------------------------------------------------------------------------------------------


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("username", "full_name")

    def clean_username(self) -> str:
        raw = self.cleaned_data.get("username", "")
        value = parse_identifier(raw).value
        if User.objects.filter(username__iexact=value).exists():
            raise ValidationError(_("An account with this phone number or e-mail address already exists."))
        return value

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)
        identifier = parse_identifier(user.username)
        setattr(user, identifier.kind, identifier.value)
        if commit:
            user.save()
            self.save_m2m()
        return user


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        # No `cin`: an operator has no reason to read or write a citizen's CIN number.
        fields = ("username", "password", "full_name", "phone", "email", "language", "contact_verified", "is_active",
                  "signup_commune", "is_staff", "is_superuser", "groups", "user_permissions", "last_login",
                  "date_joined")


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("username", "full_name", "contact", "cin_masked", "contact_verified", "is_active", "is_staff",
                    "date_joined")
    list_filter = ("contact_verified", "is_active", "is_staff", "is_superuser", "language")
    search_fields = ("username", "full_name", "phone", "email")
    ordering = ("-date_joined",)
    readonly_fields = ("cin_masked", "session_version", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "email", "language", "cin_masked")}),
        (_("Status"), {"fields": ("contact_verified", "is_active", "signup_commune", "session_version")}),
        (_("Platform operator"), {"fields": ("is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("username", "full_name", "usable_password", "password1", "password2")}),
    )

    @admin.display(description=_("contact"))
    def contact(self, obj: User) -> str:
        return mask_phone(obj.phone) if obj.phone else mask_email(obj.email or "")

    @admin.display(description=_("CIN number"))
    def cin_masked(self, obj: User) -> str:
        return obj.masked_cin or "—"

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool) -> None:
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Django's login backend here lets inactive accounts keep their session: end it explicitly.
            obj.session_version += 1
        super().save_model(request, obj, form, change)


# --- audit log and closures --------------------------------------------------------------------------------------


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is append-only (the ORM and a database trigger refuse changes)."""

    list_display = ("created_at", "commune", "actor_label", "action", "target_label", "subject", "ip")
    list_filter = ("commune", "action")
    search_fields = ("action", "actor_label", "target_label", "target_id")
    list_select_related = ("commune", "subject")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = ("created_at", "commune", "actor", "actor_label", "action", "target_type", "target_id", "target_label",
              "subject", "reason", "ip", "details")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[AuditEvent]:
        return AuditEvent.all_communes.all()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False


@admin.register(CommuneClosure)
class CommuneClosureAdmin(AllCommunesAdmin):
    list_display = ("commune", "start_date", "end_date", "reason_fr", "reason_ar")
    list_filter = ("commune",)
    search_fields = ("reason_fr", "reason_ar")
    list_select_related = ("commune",)
    date_hierarchy = "start_date"
    ordering = ("-start_date",)
    fields = ("commune", "start_date", "end_date", "reason_ar", "reason_fr", "reason_zgh")
