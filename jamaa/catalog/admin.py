"""The national catalogue in the Django admin, for platform operators only (communes adopt procedures in the back
office). The admin site is the OTP-protected one set up in `jamaa.core.admin`, and every change is audited there.

A procedure's form definition is edited as JSON and checked with `formdef.validate_definition` (through the model's
`clean()`), so an operator cannot save a form that citizens could not fill in.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from jamaa.catalog.formdef import tr_label
from jamaa.catalog.models import Category, LifeEvent, Procedure, RequiredDocument
from jamaa.core.admin import AuditedAdmin


class DefinitionField(forms.JSONField):
    """JSON shown indented and with Arabic readable (not \\u escapes), so an operator can edit it."""

    def prepare_value(self, value: Any) -> str:
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2)


class ProcedureAdminForm(forms.ModelForm):
    form_definition = DefinitionField(
        label=_("form definition"), required=False, initial=list,
        widget=forms.Textarea(attrs={"rows": 24, "cols": 100, "dir": "ltr", "spellcheck": "false"}),
        help_text=_("A JSON list of fields: name, type (text, textarea, number, date, choice, yesno, arrondissement, "
                    "address, cin, file), label in Arabic and French, required, and the rules of the type. The "
                    "documents below are added to the form as files."))

    class Meta:
        model = Procedure
        fields = ("slug", "category", "life_events", "is_active", "is_demo", "name_ar", "name_fr", "name_zgh",
                  "description_ar", "description_fr", "description_zgh", "legal_basis_ar", "legal_basis_fr",
                  "legal_basis_zgh", "deadline_amount", "deadline_unit", "silence_means_approval",
                  "is_investment_related", "fees_mad", "department_code", "channel", "act_kind", "form_definition")

    def clean_form_definition(self) -> Any:
        value = self.cleaned_data.get("form_definition")
        return [] if value is None else value


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ("position", "code", "name_ar", "name_fr", "name_zgh", "help_ar", "help_fr", "help_zgh", "is_required")
    ordering = ("position", "code")


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ("name_fr", "name_ar", "slug", "position", "procedure_count")
    search_fields = ("name_fr", "name_ar", "slug")
    prepopulated_fields = {"slug": ("name_fr",)}
    fields = ("slug", "position", "name_ar", "name_fr", "name_zgh")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Category]:
        return super().get_queryset(request).annotate(procedure_total=Count("procedures"))

    @admin.display(description=_("procedures"), ordering="procedure_total")
    def procedure_count(self, obj: Category) -> int:
        return obj.procedure_total  # type: ignore[attr-defined]


@admin.register(LifeEvent)
class LifeEventAdmin(AuditedAdmin):
    list_display = ("name_fr", "name_ar", "slug", "position")
    search_fields = ("name_fr", "name_ar", "slug")
    prepopulated_fields = {"slug": ("name_fr",)}
    fields = ("slug", "position", "name_ar", "name_fr", "name_zgh")


@admin.register(Procedure)
class ProcedureAdmin(AuditedAdmin):
    form = ProcedureAdminForm
    inlines = (RequiredDocumentInline,)
    list_display = ("name_fr", "name_ar", "category", "deadline", "fees_mad", "silence_means_approval", "act_kind",
                    "adoption_count", "is_active", "is_demo")
    list_filter = ("category", "life_events", "is_active", "is_demo", "silence_means_approval",
                   "is_investment_related", "channel", "act_kind")
    search_fields = ("name_fr", "name_ar", "slug", "legal_basis_fr")
    list_select_related = ("category",)
    prepopulated_fields = {"slug": ("name_fr",)}
    filter_horizontal = ("life_events",)
    readonly_fields = ("form_preview", "created_at", "updated_at")
    fieldsets = (
        (None, {"fields": ("slug", "category", "life_events", "is_active", "is_demo")}),
        (_("Names and description"), {"fields": ("name_ar", "name_fr", "name_zgh", "description_ar",
                                                 "description_fr", "description_zgh")}),
        (_("Legal framework"), {"fields": ("legal_basis_ar", "legal_basis_fr", "legal_basis_zgh", "deadline_amount",
                                           "deadline_unit", "silence_means_approval", "is_investment_related",
                                           "fees_mad")}),
        (_("Delivery"), {"fields": ("department_code", "channel", "act_kind")}),
        (_("Request form"), {"fields": ("form_definition", "form_preview")}),
        (_("Dates"), {"fields": ("created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Procedure]:
        return super().get_queryset(request).annotate(adoption_total=Count("adoptions"))

    @admin.display(description=_("deadline"))
    def deadline(self, obj: Procedure) -> str:
        return f"{obj.deadline_amount} {obj.get_deadline_unit_display()}"

    @admin.display(description=_("adopted by"), ordering="adoption_total")
    def adoption_count(self, obj: Procedure) -> int:
        return getattr(obj, "adoption_total", 0)

    @admin.display(description=_("form fields"))
    def form_preview(self, obj: Procedure) -> SafeString | str:
        definition = obj.form_definition if isinstance(obj.form_definition, list) else []
        rows = [(spec.get("name", "?"), spec.get("type", "?"), tr_label(spec.get("label")),
                 _("required") if spec.get("required") else _("optional"))
                for spec in definition if isinstance(spec, dict)]
        if not rows:
            return "—"
        return format_html_join("", "<div><code>{}</code> · {} · {} ({})</div>", rows)
