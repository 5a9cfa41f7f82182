"""The commune's working-day calendar in the back office.

Every member of staff may read it and use the deadline calculator (agents check deadlines); only the commune's
administrators add or remove closures. The national holiday corrections are read-only here: platform operators
edit them in the Django admin when the Ministry of Habous announces a date."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from jamaa.core import calendar as working_calendar
from jamaa.core.models import CommuneClosure, Role
from jamaa.core.permissions import forbidden, staff_required
from jamaa.core.views import bad_request


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _check_calendar_year(value: date) -> None:
    if not working_calendar.MIN_YEAR <= value.year <= working_calendar.MAX_YEAR:
        raise ValidationError(
            gettext_lazy("Choose a date between %(first)s and %(last)s."),
            params={"first": working_calendar.MIN_YEAR, "last": working_calendar.MAX_YEAR},
        )


class ClosureForm(forms.Form):
    start_date = forms.DateField(label=gettext_lazy("First day"), widget=DateInput(),
                                 validators=[_check_calendar_year])
    end_date = forms.DateField(label=gettext_lazy("Last day"), widget=DateInput(), validators=[_check_calendar_year],
                               help_text=gettext_lazy("The same as the first day for a one-day closure."))
    reason_ar = forms.CharField(label=gettext_lazy("Reason (Arabic)"), max_length=200,
                                widget=forms.TextInput(attrs={"dir": "rtl", "lang": "ar"}))
    reason_fr = forms.CharField(label=gettext_lazy("Reason (French)"), max_length=200,
                                widget=forms.TextInput(attrs={"dir": "ltr", "lang": "fr"}))
    reason_zgh = forms.CharField(label=gettext_lazy("Reason (Tamazight)"), max_length=200, required=False,
                                 widget=forms.TextInput(attrs={"dir": "ltr", "lang": "zgh"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start_date"), data.get("end_date")
        if start and end:
            if end < start:
                self.add_error("end_date", _("The last day cannot be before the first day."))
            elif (end - start).days >= working_calendar.MAX_CLOSURE_DAYS:
                self.add_error("end_date", _("A closure lasts at most %(days)s days.")
                               % {"days": working_calendar.MAX_CLOSURE_DAYS})
        return data


class CalculatorForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("Day of receipt"), widget=DateInput(),
                            validators=[_check_calendar_year],
                            help_text=gettext_lazy("Day 0: the deadline counts from the day after."))
    amount = forms.IntegerField(label=gettext_lazy("Number of days"), min_value=0,
                                max_value=working_calendar.MAX_DAYS)
    unit = forms.ChoiceField(
        label=gettext_lazy("Counted in"),
        choices=[(working_calendar.Unit.WORKING, gettext_lazy("working days")),
                 (working_calendar.Unit.CALENDAR, gettext_lazy("calendar days"))],
        initial=working_calendar.Unit.WORKING,
    )


def _requested_year(request: HttpRequest) -> int:
    """The year asked for in ?year=, or the current year in Morocco when it is missing or not a year we cover."""
    this_year = timezone.localdate(timezone=working_calendar.CASABLANCA).year
    raw = request.GET.get("year", "")
    if raw.isdigit() and len(raw) == 4:
        year = int(raw)
        if working_calendar.MIN_YEAR <= year <= working_calendar.MAX_YEAR:
            return year
    return this_year


def _page_url(year: int) -> str:
    return f"{reverse('backoffice:calendar')}?year={year}"


def get_closure_for_admin(request: HttpRequest, raw_id: str | None) -> CommuneClosure:
    """The request commune's closure with this id; 404 for a malformed id or another commune's closure."""
    if not raw_id or not raw_id.isdigit():
        raise Http404
    closure = CommuneClosure.objects.filter(pk=int(raw_id)).first()
    if closure is None:
        raise Http404
    return closure


def _add_closure(request: HttpRequest, form: ClosureForm) -> HttpResponse | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        closure = working_calendar.closure_create(
            commune=request.commune, actor=request.user,  # type: ignore[attr-defined]
            start_date=data["start_date"], end_date=data["end_date"], reason_ar=data["reason_ar"],
            reason_fr=data["reason_fr"], reason_zgh=data["reason_zgh"], request=request,
        )
    except ValidationError as exc:
        for field_name, errors in exc.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
        return None
    messages.success(request, _("The closure was added: deadlines now skip these days."))
    return HttpResponseRedirect(_page_url(closure.start_date.year))


@require_http_methods(["GET", "HEAD", "POST"])
@staff_required()
def calendar(request: HttpRequest) -> HttpResponse:
    commune = request.commune  # type: ignore[attr-defined]
    can_edit = request.membership.role == Role.ADMIN  # type: ignore[attr-defined]
    year = _requested_year(request)
    closure_form = ClosureForm(prefix="closure")

    if request.method == "POST":
        if not can_edit:
            return forbidden(request, _("Only the commune's administrators change its closures."))
        action = request.POST.get("action")
        if action == "add_closure":
            closure_form = ClosureForm(request.POST, prefix="closure")
            response = _add_closure(request, closure_form)
            if response is not None:
                return response
        elif action == "delete_closure":
            closure = get_closure_for_admin(request, request.POST.get("closure"))
            closure_year = closure.start_date.year
            working_calendar.closure_delete(commune=commune, actor=request.user,  # type: ignore[arg-type]
                                            closure=closure, request=request)
            messages.success(request, _("The closure was removed."))
            return HttpResponseRedirect(_page_url(closure_year))
        else:
            return bad_request(request)

    calculator = CalculatorForm(request.GET, prefix="calc") if "calc-start" in request.GET else \
        CalculatorForm(prefix="calc", initial={"start": timezone.localdate(timezone=working_calendar.CASABLANCA)})
    due: date | None = None
    if calculator.is_bound and calculator.is_valid():
        data = calculator.cleaned_data
        try:
            due = working_calendar.due_date(commune, data["start"], data["amount"], data["unit"])
        except ValueError:
            calculator.add_error(None, _("This deadline is outside the calendar. Choose a shorter one."))

    start, end = date(year, 1, 1), date(year, 12, 31)
    context = {
        "year": year,
        "previous_year": year - 1 if year > working_calendar.MIN_YEAR else None,
        "next_year": year + 1 if year < working_calendar.MAX_YEAR else None,
        "holidays": working_calendar.holiday_entries(year),
        "closures": working_calendar.closures_between(commune, start, end),
        "can_edit": can_edit,
        "closure_form": closure_form,
        "calculator": calculator,
        "due": due,
        "due_label": date_format(due, "l j F Y") if due else "",
    }
    return render(request, "backoffice/calendar.html", context)
