"""Cases in the Django admin: read-only, for platform operators who investigate a problem. No answers, CIN, tracking
code or applicant contact are shown here (the commune's staff see them in the back office, where reads are logged);
changes go through the services, never through the admin."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from jamaa.cases.models import Case, CaseEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ("created_at", "kind", "from_state", "to_state", "by_staff", "is_public")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseEvent]:
        return CaseEvent.all_communes.all()

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("reference", "commune", "procedure", "state", "channel", "submitted_at", "due_date", "version")
    list_filter = ("commune", "state", "channel")
    search_fields = ("reference",)
    list_select_related = ("commune", "procedure__procedure")
    fields = ("reference", "commune", "kind", "procedure", "department", "state", "channel", "language",
              "deadline_amount", "deadline_unit", "silence_means_approval", "submitted_at", "due_date", "returned_at",
              "completed_at", "decided_at", "approved_by_silence", "act_issued_at", "closed_at", "version",
              "created_at", "updated_at")
    readonly_fields = fields
    inlines = (CaseEventInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Case]:
        return Case.all_communes.all()
