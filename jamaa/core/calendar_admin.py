"""Django admin for the national holiday corrections (platform operators). Imported by jamaa/core/admin.py.

Every change is an audit event (national: no commune), written in the admin's own transaction."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from jamaa.core import audit
from jamaa.core.calendar import package_holidays
from jamaa.core.models import HolidayOverride


@admin.register(HolidayOverride)
class HolidayOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_holiday", "name_ar", "name_fr", "estimate", "note")
    list_filter = ("is_holiday",)
    date_hierarchy = "date"
    search_fields = ("name_ar", "name_fr", "note")
    ordering = ("-date",)

    @admin.display(description=_("estimate of the holidays package"))
    def estimate(self, obj: HolidayOverride) -> str:
        try:
            entry = package_holidays(obj.date.year).get(obj.date)
        except ValueError:
            return ""
        return entry.name() if entry else "—"

    @staticmethod
    def _details(obj: HolidayOverride) -> dict[str, Any]:
        return {"date": obj.date.isoformat(), "is_holiday": obj.is_holiday, "name_fr": obj.name_fr,
                "name_ar": obj.name_ar, "note": obj.note}

    def save_model(self, request: HttpRequest, obj: HolidayOverride, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit.record(action="calendar.override_changed" if change else "calendar.override_added", commune=None,
                     actor=request.user, target=obj, request=request, details=self._details(obj))  # type: ignore[arg-type]

    def delete_model(self, request: HttpRequest, obj: HolidayOverride) -> None:
        audit.record(action="calendar.override_removed", commune=None, actor=request.user, target=obj,  # type: ignore[arg-type]
                     request=request, details=self._details(obj))
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[HolidayOverride]) -> None:
        # The "delete selected" action does not run in a transaction of its own.
        with transaction.atomic():
            for obj in queryset:
                audit.record(action="calendar.override_removed", commune=None,
                             actor=request.user, target=obj,  # type: ignore[arg-type]
                             request=request, details=self._details(obj))
            super().delete_queryset(request, queryset)
