"""The public side of complaints and the citizen's follow-up.

- A report's public page (`detail`): what the problem is, where, its state and dates, the public timeline, the
  answer, its supporters and public photos; never a name, a phone number, an e-mail address or a member of staff.
  A grievance (or a report in a hidden category) is shown only to the person who filed it: their account, or a
  session that proved the reference and the secret code (`track`). Staff work in the back office.
- The filer, on the same page: a rating of the answer, and "the problem is not solved" (reopen).
- The public map (`map_page`, HTML first: the list of the latest reports works without JavaScript) and its data
  (`map_data`: grid counts at low zoom, points at high zoom), and the commune's figures (`stats`, `stats_csv`).

Every page serves the request's commune only: another commune's reference is a 404.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import math
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.formats import date_format
from django.utils.http import content_disposition_header, http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jamaa.cases import selectors as case_selectors
from jamaa.cases.forms import RatingForm, TrackForm
from jamaa.cases.models import CaseKind
from jamaa.catalog import formdef
from jamaa.complaints import followup, redact, selectors, services, workflow
from jamaa.complaints.models import Complaint, ComplaintState, Photo, Support
from jamaa.complaints.selectors import STATE_ICONS, STATE_TONES, ComplaintView, ReportFilters
from jamaa.core import calendar
from jamaa.core.audit import client_ip
from jamaa.core.permissions import commune_required, forbidden, membership_for

GET_POST = require_http_methods(["GET", "POST"])

MAX_ID = 2**63 - 1
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")
THUMB_SIZE = 640
THUMB_CACHE_SECONDS = 24 * 3600
MAP_DATA_MAX_AGE = 60
STATS_CACHE_SECONDS = 10 * 60
STATS_YEAR_CACHE_SECONDS = 60 * 60
REOPEN_SOURCES = next(m.sources for m in workflow.MOVES if m.name == "reopen")
PERIOD_DAYS = {"30": 30, "90": 90, "365": 365}


# --- forms --------------------------------------------------------------------------------------------------------


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("What is still wrong?"), max_length=2000, strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("The commune reads it and answers again."),
        error_messages={"required": gettext_lazy("Say why the problem is not solved.")},
    )


class MapFilterForm(forms.Form):
    """The filters of the map and of the list of reports (GET)."""

    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    state = forms.ChoiceField(label=gettext_lazy("State"), required=False)
    period = forms.ChoiceField(label=gettext_lazy("Received"), required=False, choices=[
        ("", gettext_lazy("At any time")), ("30", gettext_lazy("In the last 30 days")),
        ("90", gettext_lazy("In the last 3 months")), ("365", gettext_lazy("In the last 12 months")),
    ])

    def __init__(self, *args: Any, categories: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.categories = categories
        self.fields["category"].choices = [("", _("All categories"))] + [
            (c.code, f"– {c.name}" if c.parent_id else c.name) for c in categories]
        self.fields["state"].choices = [("", _("All states")), *ComplaintState.choices]

    def filters(self) -> ReportFilters:
        """The filters from the fields that are valid (a wrong one is reported and ignored)."""
        data = getattr(self, "cleaned_data", {})
        code = data.get("category") or ""
        days = PERIOD_DAYS.get(data.get("period") or "")
        return ReportFilters(
            category_ids=selectors.category_ids(self.categories, code) if code else None,
            state=data.get("state") or "",
            since=calendar.local_date(timezone.now()) - datetime.timedelta(days=days) if days else None,
        )


# --- helpers ------------------------------------------------------------------------------------------------------


def _cursor(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 and int(value) <= MAX_ID else None


def _backoffice_url(complaint: Complaint) -> str | None:
    try:
        return reverse("complaints_staff:detail", kwargs={"reference": complaint.reference})
    except NoReverseMatch:
        return None


def _visible_or_404(request: HttpRequest, reference: str) -> ComplaintView:
    view = selectors.complaint_view(request, reference)
    if not view.visible:
        raise Http404
    return view


def _detail_url(complaint: Complaint, anchor: str = "") -> str:
    return reverse("reports:detail", kwargs={"reference": complaint.reference}) + (f"#{anchor}" if anchor else "")


def _extra_answers(complaint: Complaint) -> list[tuple[str, str]]:
    """The answers to the category's extra questions, in words (they describe the problem, not the person)."""
    rows = []
    for spec in complaint.category.questions or []:
        if not isinstance(spec, dict) or "name" not in spec:
            continue
        value = (complaint.answers or {}).get(spec["name"])
        if value in (None, "", []):
            continue
        try:
            shown = formdef._display_value(spec, value, {}, mask=True)
        except (KeyError, TypeError, ValueError):
            shown = str(value)
        rows.append((formdef.tr_label(spec.get("label")), shown))
    return rows


def _supporter_fingerprint(request: HttpRequest) -> str:
    citizen = request.user if request.user.is_authenticated else None
    return services.fingerprint(citizen=citizen, ip=client_ip(request))  # type: ignore[arg-type]


def _map_config(request: HttpRequest, categories: list[Any] | None = None) -> dict[str, Any]:
    """What map.js needs, in the page's language (the data itself carries only codes)."""
    commune = request.commune  # type: ignore[attr-defined]
    centre = selectors.map_centre(commune)
    placeholder = "__REF__"
    return {
        "dataUrl": reverse("reports:map_data"),
        "detailUrl": reverse("reports:detail", kwargs={"reference": placeholder}),
        "placeholder": placeholder,
        "tiles": settings.COMPLAINT_MAP_TILE_URL,
        "attribution": settings.COMPLAINT_MAP_ATTRIBUTION,
        "centre": list(centre) if centre else None,
        "pointsFromZoom": selectors.POINTS_FROM_ZOOM,
        "states": {value: {"label": str(label), "icon": STATE_ICONS.get(value, "")}
                   for value, label in ComplaintState.choices},
        "categories": {c.code: c.name for c in categories or []},
        "texts": {
            "loading": _("Loading the reports…"),
            "error": _("The map could not load the reports. The list below still works."),
            "count": _("Reports in this part of the map: %(count)s."),
            "clusters": _("Numbers are reports grouped by area: zoom in or select a number to see them one by one."),
            "truncated": _("Only the latest %(count)s reports are shown here: zoom in to see the others."),
            "cluster": _("%(count)s reports, %(open)s waiting for an answer"),
            "open": _("See the report"),
            "map": _("Map of the reports"),
        },
    }


# --- one complaint ------------------------------------------------------------------------------------------------


@never_cache
@require_GET
@commune_required
def detail(request: HttpRequest, reference: str) -> HttpResponse:
    view = selectors.complaint_view(request, reference)
    if not view.visible:
        # Staff read grievances in the back office; anyone else learns nothing, not even that it exists.
        url = _backoffice_url(view.complaint) if membership_for(request) is not None else None
        if url is None:
            raise Http404
        return HttpResponseRedirect(url)
    return _render_detail(request, view)


def _render_detail(request: HttpRequest, view: ComplaintView, *, rating_form: RatingForm | None = None,
                   reopen_form: ReopenForm | None = None, status: int = 200) -> HttpResponse:
    complaint = view.complaint
    case = complaint.case
    merged_into = complaint.merged_into
    can_support = (view.is_public and complaint.is_open and complaint.merged_into_id is None and not view.is_filer)
    supported = can_support and Support.objects.filter(
        complaint=complaint, fingerprint=_supporter_fingerprint(request)).exists()
    can_rate = view.is_filer and followup.can_rate(complaint)
    can_reopen = view.is_filer and complaint.state in REOPEN_SOURCES and complaint.merged_into_id is None
    unsatisfied = bool(case.rating is not None and case.rating <= 2)
    context = {
        "view": view,
        "complaint": complaint,
        "case": case,
        "category": complaint.category,
        "state_label": ComplaintState(complaint.state).label,
        "tone": STATE_TONES.get(complaint.state, "neutral"),
        "icon": STATE_ICONS.get(complaint.state, ""),
        # Identifiers typed in the texts are masked for the public; the filer reads them as written.
        "events": selectors.public_timeline(complaint, masked=not view.is_filer),
        "description": complaint.description if view.is_filer else redact.public(complaint.description),
        "answer": complaint.answer if view.is_filer else redact.public(complaint.answer),
        "photos": selectors.photos_for(complaint, include_hidden=view.is_filer),
        "extra_answers": _extra_answers(complaint),
        "merged_into": merged_into,
        "merged_into_public": merged_into is not None and selectors.is_publicly_visible(merged_into),
        "can_support": can_support,
        # A closed report nobody supported has nothing to say about support.
        "show_support": view.is_public and (can_support or complaint.supporters > 0),
        "supported": supported,
        "can_rate": can_rate,
        "can_reopen": can_reopen,
        "reopen_open": can_reopen and (unsatisfied or reopen_form is not None),
        "rating_form": rating_form or RatingForm(),
        "reopen_form": reopen_form or ReopenForm(),
        "next_step": selectors.complaint_next_step(complaint),
        "backoffice_url": _backoffice_url(complaint) if membership_for(request) is not None else None,
        "map_config": _map_config(request) if complaint.lat is not None else None,
    }
    return render(request, "complaints/public/detail.html", context, status=status)


@never_cache
@require_POST
@commune_required
def support(request: HttpRequest, reference: str) -> HttpResponse:
    view = selectors.complaint_view(request, reference)
    if not view.is_public:
        raise Http404
    complaint = view.complaint
    if view.is_filer:
        messages.info(request, _("You filed this report: it already counts."))
        return redirect(_detail_url(complaint, "support"))
    citizen = request.user if request.user.is_authenticated else None
    try:
        created = services.complaint_support(complaint=complaint, citizen=citizen,  # type: ignore[arg-type]
                                             fingerprint_value=_supporter_fingerprint(request))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if created:
            messages.success(request, _("Thank you: your support is counted."))
        else:
            messages.info(request, _("You already support this report."))
    return redirect(_detail_url(complaint, "support"))


def _filer_or_refuse(request: HttpRequest, reference: str) -> ComplaintView | HttpResponse:
    view = _visible_or_404(request, reference)
    if not view.is_filer:
        return forbidden(request, _("Only the person who filed the complaint can do this."))
    return view


@never_cache
@require_POST
@commune_required
def rate(request: HttpRequest, reference: str) -> HttpResponse:
    found = _filer_or_refuse(request, reference)
    if isinstance(found, HttpResponse):
        return found
    view = found
    complaint = view.complaint
    form = RatingForm(request.POST)
    if form.is_valid():
        rating = form.cleaned_data["rating"]
        owner = None if view.by_tracking else request.user
        try:
            followup.complaint_rate(complaint=complaint, citizen=owner,  # type: ignore[arg-type]
                                    by_tracking=view.by_tracking, rating=rating,
                                    comment=form.cleaned_data["comment"])
        except PermissionDenied as error:
            return forbidden(request, str(error))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for name, errors in error.error_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect(_detail_url(complaint))
        else:
            if rating <= 2 and complaint.state in REOPEN_SOURCES:
                messages.warning(request, _("Thank you. If the problem is not solved, say so below: the complaint "
                                            "is reopened and the commune answers again."))
                return redirect(_detail_url(complaint, "reopen"))
            messages.success(request, _("Thank you for rating the answer."))
            return redirect(_detail_url(complaint))
    return _render_detail(request, view, rating_form=form, status=400)


@never_cache
@require_POST
@commune_required
def reopen(request: HttpRequest, reference: str) -> HttpResponse:
    found = _filer_or_refuse(request, reference)
    if isinstance(found, HttpResponse):
        return found
    view = found
    complaint = view.complaint
    if complaint.merged_into_id is not None:
        messages.error(request, _("This report was merged into another one: follow that one instead."))
        return redirect(_detail_url(complaint))
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_transition(
                complaint=complaint, name="reopen", actor=None if view.by_tracking else request.user,  # type: ignore[arg-type]
                text=form.cleaned_data["reason"], by_tracking=view.by_tracking,
            )
        except workflow.TransitionNotAllowed as error:
            messages.error(request, error.message)
            return redirect(_detail_url(complaint))
        except PermissionDenied as error:
            return forbidden(request, str(error))
        except ValidationError as error:
            form.add_error("reason" if hasattr(error, "error_dict") else None, list(error.messages))
        else:
            messages.success(request, _("Your complaint is reopened. The commune answers again by %(date)s.")
                             % {"date": date_format(complaint.legal_due, "DATE_FORMAT")})
            return redirect(_detail_url(complaint))
    return _render_detail(request, view, reopen_form=form, status=400)


@require_GET
@commune_required
def photo(request: HttpRequest, reference: str, token: str) -> HttpResponse:
    from jamaa.cases.attachments import attachment_response

    view = _visible_or_404(request, reference)
    if not TOKEN_RE.match(token):
        raise Http404
    found = (Photo.objects.filter(complaint=view.complaint, attachment__token=token)
             .select_related("attachment").first())
    if found is None or not (found.is_public or view.is_filer):
        raise Http404
    attachment = found.attachment
    try:
        if request.GET.get("size") == "small":
            return _thumbnail_response(attachment)
        return attachment_response(attachment, inline=True)
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc


def _thumbnail_response(attachment: Any) -> HttpResponse:
    """A small JPEG of the photo for the page (the full photo is a link away), made once and kept in the cache."""
    from PIL import Image, UnidentifiedImageError

    from jamaa.cases.attachments import attachment_response, private_storage

    key = f"jamaa:complaints:thumb:{attachment.sha256}:{THUMB_SIZE}"
    content = cache.get(key)
    if content is None:
        try:
            with private_storage.open(attachment.file.name, "rb") as handle, Image.open(handle) as image:
                image.thumbnail((THUMB_SIZE, THUMB_SIZE))
                out = io.BytesIO()
                image.convert("RGB").save(out, format="JPEG", quality=75, optimize=True)
        except (UnidentifiedImageError, Image.DecompressionBombError, ValueError):
            return attachment_response(attachment, inline=True)
        content = out.getvalue()
        cache.set(key, content, THUMB_CACHE_SECONDS)
    response = HttpResponse(content, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


# --- following with the receipt's code ----------------------------------------------------------------------------


@never_cache
@GET_POST
@commune_required
def track(request: HttpRequest) -> HttpResponse:
    """The reference and the secret code printed on the receipt: the complaint's page, with what only its filer
    may do. Wrong attempts are counted with those of the requests' tracking page (same limits, same counters)."""
    from jamaa.cases.views import TRACKED_KEPT, _track_blocked, _track_failed

    status = 200
    if request.method == "POST":
        form = TrackForm(request.POST)
        if _track_blocked(request):
            form.is_valid()
            form.add_error(None, _("Too many wrong attempts. Wait 15 minutes, then try again with the reference "
                                   "and the code printed on your receipt."))
            status = 429
        elif form.is_valid():
            case = case_selectors.get_case_by_tracking_code(form.cleaned_data["reference"], form.cleaned_data["code"])
            if case is not None:
                entry = selectors.tracked_entry(request.commune, case.reference)  # type: ignore[attr-defined]
                entries = [e for e in request.session.get(selectors.TRACKED_SESSION, []) if isinstance(e, str)]
                request.session[selectors.TRACKED_SESSION] = [*[e for e in entries if e != entry],
                                                              entry][-TRACKED_KEPT:]
                if case.kind == CaseKind.COMPLAINT:
                    return redirect("reports:detail", reference=case.reference)
                return redirect("cases:tracked", reference=case.reference)
            _track_failed(request)
            form.add_error(None, _("No complaint matches this reference and code. Check both on your receipt."))
            status = 400
        else:
            status = 400
    else:
        form = TrackForm()
    return render(request, "complaints/public/track.html", {"form": form}, status=status)


# --- the map ------------------------------------------------------------------------------------------------------


@require_GET
@commune_required
def map_page(request: HttpRequest) -> HttpResponse:
    commune = request.commune  # type: ignore[attr-defined]
    categories = selectors.public_categories(commune)
    filter_keys = ("category", "state", "period")
    bound = any(request.GET.get(k) for k in filter_keys)
    form = MapFilterForm({k: request.GET.get(k, "") for k in filter_keys} if bound else None,
                         categories=categories)
    status = 200
    if bound and not form.is_valid():
        status = 400
    filters = form.filters() if bound else ReportFilters()
    before = _cursor(request.GET.get("before"))
    reports, older = selectors.latest_reports(commune, filters, before=before)
    names = {c.pk: c for c in categories}
    rows = [{"complaint": r, "category": names.get(r.category_id, r.category).name,
             "state_label": ComplaintState(r.state).label, "tone": STATE_TONES.get(r.state, "neutral"),
             "icon": STATE_ICONS.get(r.state, "")} for r in reports]
    legend = [{"value": value, "label": label, "icon": STATE_ICONS[value]} for value, label in ComplaintState.choices]
    return render(request, "complaints/public/map.html", {
        "form": form,
        "rows": rows,
        "older": older,
        "newest": before is not None,
        "legend": legend,
        "map_config": _map_config(request, categories),
    }, status=status)


def _bad_request(message: str, field: str) -> JsonResponse:
    return JsonResponse({"error": "bad_request", "field": field, "message": message}, status=400)


def _parse_box(raw: str) -> selectors.Box | None:
    parts = raw.split(",")
    if len(parts) != 4:
        return None
    try:
        min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
    except ValueError:
        return None
    values = (min_lon, min_lat, max_lon, max_lat)
    if not all(math.isfinite(v) for v in values):
        return None
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        return None
    return selectors.Box(min_lon=min_lon, min_lat=min_lat, max_lon=max_lon, max_lat=max_lat)


@require_GET
@commune_required
def map_data(request: HttpRequest) -> HttpResponse:
    """GET bbox=minLon,minLat,maxLon,maxLat&zoom=Z[&category=code][&state=s][&since=YYYY-MM-DD]: public reports
    only, without personal data; cacheable for a minute, with an ETag and the last change as Last-Modified."""
    commune = request.commune  # type: ignore[attr-defined]
    box = _parse_box(request.GET.get("bbox", ""))
    if box is None:
        return _bad_request(_("bbox must be four numbers: west,south,east,north in degrees (WGS 84)."), "bbox")
    zoom_raw = request.GET.get("zoom", "")
    if not (zoom_raw.isdigit() and len(zoom_raw) <= 2 and int(zoom_raw) <= selectors.MAX_ZOOM):
        return _bad_request(_("zoom must be a whole number from 0 to %(max)d.") % {"max": selectors.MAX_ZOOM},
                            "zoom")
    zoom = int(zoom_raw)
    filters_kwargs: dict[str, Any] = {}
    code = request.GET.get("category", "")
    if code:
        ids = selectors.category_ids(selectors.public_categories(commune), code)
        if ids is None:
            return _bad_request(_("No public category has this code."), "category")
        filters_kwargs["category_ids"] = ids
    state = request.GET.get("state", "")
    if state:
        if state not in ComplaintState.values:
            return _bad_request(_("Unknown state."), "state")
        filters_kwargs["state"] = state
    since = request.GET.get("since", "")
    if since:
        try:
            day = datetime.date.fromisoformat(since) if len(since) == 10 else None
        except ValueError:
            day = None
        if day is None or day.year < 2000:
            return _bad_request(_("since must be a date written YYYY-MM-DD."), "since")
        filters_kwargs["since"] = day
    data = selectors.map_data(commune, ReportFilters(**filters_kwargs), box, zoom)
    body = json.dumps(data.as_json(), separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    last_modified = int(data.last_modified.timestamp()) if data.last_modified is not None else None
    response: HttpResponse = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={MAP_DATA_MAX_AGE}"
    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
    if conditional is not response:
        conditional["Cache-Control"] = response["Cache-Control"]
    return conditional


# --- figures ------------------------------------------------------------------------------------------------------


def _figures(request: HttpRequest, period: selectors.Period) -> selectors.Figures:
    """The figures of the period, the same for every visitor and every language: kept ten minutes for the last 12
    months, an hour for a year (a past year hardly changes)."""
    commune = request.commune  # type: ignore[attr-defined]
    key = f"jamaa:complaints:figures:{commune.pk}:{period.key}"
    found = cache.get(key)
    if isinstance(found, selectors.Figures):
        return found
    computed = selectors.figures(commune, period)
    cache.set(key, computed, STATS_CACHE_SECONDS if period.key == "12m" else STATS_YEAR_CACHE_SECONDS)
    return computed


def _period(request: HttpRequest) -> tuple[selectors.Period, bool]:
    raw = request.GET.get("period", "")
    period = selectors.period_for(raw[:8])
    if period is None:
        return selectors.period_for("12m"), False  # type: ignore[return-value]
    return period, True


@require_GET
@commune_required
def stats(request: HttpRequest) -> HttpResponse:
    period, valid = _period(request)
    years = selectors.years_with_complaints(request.commune)  # type: ignore[attr-defined]
    return render(request, "complaints/public/stats.html", {
        "figures": _figures(request, period),
        "period": period,
        "period_error": not valid,
        "years": years,
    }, status=200 if valid else 400)


@require_GET
@commune_required
def stats_csv(request: HttpRequest) -> HttpResponse:
    period, valid = _period(request)
    if not valid:
        return HttpResponse(_("The period is a year (for example 2025) or 12m for the last 12 months."),
                            status=400, content_type="text/plain; charset=utf-8")
    figures = _figures(request, period)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "code", "name", "period_start", "period_end", "received", "answered",
                     "answered_within_target", "due_by_target", "within_target_percent", "answered_within_legal",
                     "due_by_legal", "within_legal_percent", "median_answer_days"])
    start = calendar.local_date(period.start).isoformat()
    end = (calendar.local_date(period.end) - datetime.timedelta(days=1 if period.key != "12m" else 0)).isoformat()

    def line(group: str, row: selectors.FigureRow) -> list[Any]:
        return [group, row.key, row.name, start, end, row.received, row.answered, row.within_target,
                row.target_due, _blank(row.within_target_share), row.within_legal, row.legal_due,
                _blank(row.within_legal_share), _blank(row.median_days)]

    writer.writerow(line("commune", selectors.FigureRow(
        key=request.commune.slug, label=request.commune.name,  # type: ignore[attr-defined]
        **{k: getattr(figures.total, k) for k in ("received", "answered", "within_target", "target_due",
                                                  "within_legal", "legal_due", "median_days")})))
    for row in figures.by_category:
        writer.writerow(line("category", row))
    for row in figures.by_arrondissement:
        writer.writerow(line("arrondissement", row))
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    filename = f"complaints-{request.commune.slug}-{period.key}.csv"  # type: ignore[attr-defined]
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "public, max-age=300"
    return response


def _blank(value: Any) -> Any:
    return "" if value is None else value
