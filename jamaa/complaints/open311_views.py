"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) for each commune, under /open311/v2/ on its host.

What is served:
- services: the commune's active leaf categories of reports. Grievances about the administration are not services:
  GeoReport is about places in public space, its requests are public, and a grievance is never public (an application
  could file one and then never see it again). So a grievance's code is an unknown service_code here.
- requests (GET): public reports only (`Complaint.objects.public()`), never the person's name, phone or e-mail, nor
  any member of staff. Asked by id, a report merged into another is shown too (closed, pointing at the one that
  goes on), so that the application that filed it can tell its user where to follow.
- requests (POST): needs an `api_key` issued by the commune (`open311_keys`), limited in number per key and hour; an
  `Idempotency-Key` header makes a retried POST return the same request.

Answers are in the format of the extension (.json or .xml); errors follow the spec's error document with the HTTP
status as code. Texts (names, notices, errors) follow the `locale` parameter, else Accept-Language (Arabic default).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, SuspiciousOperation, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from jamaa.catalog.formdef import tr_label
from jamaa.complaints import geo, redact
from jamaa.complaints import open311_format as fmt_
from jamaa.complaints.models import (
    OPEN_STATES,
    Category,
    Complaint,
    ComplaintChannel,
    ComplaintKind,
    Open311Key,
    Photo,
)
from jamaa.complaints.open311_keys import open311_key_check
from jamaa.complaints.services import complaint_submit
from jamaa.core.identifiers import normalize_moroccan_mobile
from jamaa.core.models import Commune, CommuneHost

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When what this endpoint serves last changed in form (the discovery document's changeset).
CHANGESET = "2026-11-27T00:00:00Z"
# The spec's defaults for GET requests: the last 90 days, at most 1000 requests.
DEFAULT_SPAN = timedelta(days=90)
MAX_REQUESTS = 1000
# Dates a search may name (far enough from the calendar's ends for the 90 days and the time zones).
YEARS = (1900, 2999)
RATE_WINDOW_SECONDS = 60 * 60
MAX_ATTRIBUTE_NAME = 60
EMAIL_MAX = 254

View = Callable[..., HttpResponse]


# --- plumbing -------------------------------------------------------------------------------------------------------


def _language(request: HttpRequest) -> str:
    """The `locale` parameter ("fr", "fr_MA", "fr-MA"), else the best Accept-Language, else Arabic."""
    supported = [code for code, _name in settings.LANGUAGES]
    locale = request.GET.get("locale") or (request.POST.get("locale") if request.method == "POST" else "") or ""
    code = locale.replace("_", "-").split("-")[0].strip().lower()
    if code in supported:
        return code
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(request.headers.get("Accept-Language", "")[:500].split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.strip().split("-")[0].lower()
        if base in supported and quality > 0:
            ranked.append((-quality, position, base))
    return min(ranked)[2] if ranked else settings.LANGUAGE_CODE


def _without_nul(params: QueryDict) -> QueryDict:
    if not any("\x00" in k or any("\x00" in v for v in params.getlist(k)) for k in params):
        return params
    clean = QueryDict(mutable=True)
    for name in params:
        clean.setlist(name.replace("\x00", ""), [v.replace("\x00", "") for v in params.getlist(name)])
    clean._mutable = False
    return clean


def _read_parameters(request: HttpRequest) -> bool:
    """Parse the query and the body once, without NUL characters (PostgreSQL refuses them in text); True when the
    body cannot be parsed (broken multipart, too many fields, too big)."""
    request.GET = _without_nul(request.GET)
    if request.method != "POST":
        return False
    try:
        request.POST = _without_nul(request.POST)
        request.FILES  # noqa: B018 - parsed with POST; touched so a broken upload is caught here
    except (MultiPartParserError, SuspiciousOperation):
        return True
    return False


def _params(request: HttpRequest) -> QueryDict:
    return request.POST if request.method == "POST" else request.GET


def _is_our_jurisdiction(commune: Commune, value: str) -> bool:
    value = value.strip().lower()
    if value == commune.slug.lower():
        return True
    host = value.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
    return CommuneHost.objects.filter(commune=commune, host=host).exists()


def open311_view(*methods: str) -> Callable[[View], View]:
    """Answers on a commune's host only, in the asked language, for the allowed methods, with the spec's errors."""

    def decorator(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str = "json", **kwargs: Any) -> HttpResponse:
            unreadable = _read_parameters(request)
            language = _language(request)
            with translation.override(language):
                if unreadable:
                    response = fmt_.errors(fmt, 400, [_("The request body cannot be read: send the fields "
                                                        "form-encoded (or multipart with a photo).")])
                else:
                    response = _dispatch(view, methods, request, fmt, args, kwargs)
            return _headers(response, language)

        return wrapper

    return decorator


def _headers(response: HttpResponse, language: str) -> HttpResponse:
    # Public data, and POSTs authenticate with the api_key parameter, never a cookie: any origin may read.
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language",))
    return response


def _dispatch(view: View, methods: Iterable[str], request: HttpRequest, fmt: str, args: Any,
              kwargs: Any) -> HttpResponse:
    allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
    if request.method not in allowed:
        response = fmt_.errors(fmt, 405, [_("This address does not answer %(method)s requests.")
                                          % {"method": (request.method or "")[:10]}])
        response["Allow"] = ", ".join(sorted(allowed))
        return response
    commune: Commune | None = getattr(request, "commune", None)
    if commune is None:
        return fmt_.errors(fmt, 404, [_("No commune answers at this address.")])
    jurisdiction = _params(request).get("jurisdiction_id") or request.GET.get("jurisdiction_id", "")
    if jurisdiction and not _is_our_jurisdiction(commune, jurisdiction):
        return fmt_.errors(fmt, 400, [_("jurisdiction_id: this endpoint serves only the commune of %(commune)s "
                                        "(jurisdiction_id %(slug)s).") % {"commune": commune.name,
                                                                          "slug": commune.slug}])
    return view(request, commune, fmt, *args, **kwargs)


# --- discovery and services -----------------------------------------------------------------------------------------


@open311_view("GET")
def discovery(request: HttpRequest, commune: Commune, fmt: str) -> HttpResponse:
    contact = ", ".join(part for part in (commune.email, commune.phone) if part)
    url = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    return fmt_.render(fmt, "discovery", {
        "changeset": CHANGESET,
        "contact": _("Commune of %(commune)s: %(contact)s") % {"commune": commune.name, "contact": contact},
        "key_service": _("Applications that file reports need an API key: ask the commune's administrators "
                         "(%(contact)s).") % {"contact": contact},
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": url,
            "changeset": CHANGESET,
            "type": "production",
            "formats": fmt_.MEDIA_TYPES,
        }],
    })


def _service_categories() -> list[Category]:
    """The commune's categories a report can be filed in (the request's scope), grouped under their parents."""
    categories = list(Category.objects.active().leaves().filter(kind=ComplaintKind.REPORT).select_related("parent"))

    def order(c: Category) -> tuple[int, int, int, int]:
        top = c.parent if c.parent is not None else c
        return (top.position, top.pk, c.position if c.parent is not None else -1, c.pk)

    return sorted(categories, key=order)


def _keywords(category: Category) -> str:
    seen: dict[str, None] = {}
    for word in category.keywords.replace(",", " ").split():
        seen.setdefault(word, None)
    return ", ".join(seen)


@open311_view("GET")
def services(request: HttpRequest, commune: Commune, fmt: str) -> HttpResponse:
    return fmt_.render(fmt, "services", [{
        "service_code": c.code,
        "service_name": c.name,
        "description": c.tr("description"),
        "metadata": bool(c.questions),
        "type": "realtime",
        "keywords": _keywords(c),
        "group": c.parent.name if c.parent is not None else c.name,
    } for c in _service_categories()])


def _service(code: str) -> Category | None:
    return (Category.objects.active().leaves().filter(kind=ComplaintKind.REPORT, code=code)
            .select_related("department", "parent").first())


def _attribute(spec: Mapping[str, Any], order: int, language: str) -> dict[str, Any]:
    kind = spec.get("type")
    attribute: dict[str, Any] = {
        "variable": True,
        "code": spec["name"],
        "datatype": {"text": "string", "textarea": "text", "number": "number"}.get(kind, "singlevaluelist"),
        "required": bool(spec.get("required")),
        "datatype_description": tr_label(spec.get("help"), language) or None,
        "order": order,
        "description": tr_label(spec.get("label"), language),
    }
    if kind == "choice":
        attribute["values"] = [{"key": choice["value"], "name": tr_label(choice.get("label"), language)}
                               for choice in spec.get("choices", [])]
    elif kind == "yesno":
        attribute["values"] = [{"key": "yes", "name": _("Yes")}, {"key": "no", "name": _("No")}]
    return attribute


@open311_view("GET")
def service_definition(request: HttpRequest, commune: Commune, fmt: str, service_code: str) -> HttpResponse:
    category = _service(service_code)
    if category is None:
        return _unknown_service(fmt, service_code)
    language = translation.get_language() or settings.LANGUAGE_CODE
    return fmt_.render(fmt, "service_definition", {
        "service_code": category.code,
        "attributes": [_attribute(spec, i, language) for i, spec in enumerate(category.questions or [], start=1)],
    })


def _unknown_service(fmt: str, code: str) -> HttpResponse:
    return fmt_.errors(fmt, 404, [_("service_code %(code)s: this commune has no such service.")
                                  % {"code": code[:60]}])


# --- reading requests -----------------------------------------------------------------------------------------------


def _photo_url_maker(request: HttpRequest) -> Callable[[Complaint, str], str] | None:
    """Absolute URL of a public photo (the public pages' `reports:photo`), or None when those pages do not serve
    photos: then no media_url is given rather than a broken one."""

    def path(reference: str, token: str) -> str:
        with translation.override(settings.LANGUAGE_CODE):  # the unprefixed address, whatever the API's language
            return reverse("reports:photo", kwargs={"reference": reference, "token": token})

    try:
        path("SAL-2026-000001", "0" * 32)  # the shape of a reference and of an attachment token
    except NoReverseMatch:
        return None
    return lambda complaint, token: request.build_absolute_uri(path(complaint.reference, token))


def _status(complaint: Complaint) -> str:
    return "open" if complaint.is_open else "closed"


def _request_item(complaint: Complaint, photo_url: Callable[[Complaint, str], str] | None) -> dict[str, Any]:
    case = complaint.case
    if complaint.merged_into_id is not None:
        notes = _("This complaint reports the same problem as %(reference)s; it is followed there.") \
            % {"reference": complaint.merged_into.reference if complaint.merged_into else ""}
    else:
        notes = redact.public(complaint.answer)
    photos: list[Photo] = getattr(complaint, "public_photos", [])
    return {
        "service_request_id": case.reference,
        "status": _status(complaint),
        "status_notes": notes or None,
        "service_name": complaint.category.name,
        "service_code": complaint.category.code,
        "description": redact.public(complaint.description),
        "agency_responsible": case.department.name if case.department is not None else None,
        "service_notice": _service_notice(complaint) if complaint.is_open else None,
        "requested_datetime": fmt_.w3c_datetime(complaint.received_at),
        "updated_datetime": fmt_.w3c_datetime(complaint.updated_at),
        "expected_datetime": fmt_.end_of_day(complaint.legal_due) if complaint.is_open else None,
        "address": complaint.address or None,
        "lat": complaint.lat,
        "long": complaint.lon,
        "media_url": photo_url(complaint, photos[0].attachment.token) if photo_url and photos else None,
    }


def _service_notice(complaint: Complaint) -> str:
    return _("The commune answers by %(date)s.") % {"date": complaint.legal_due.isoformat()}


class BadParameter(Exception):
    pass


def _moment(name: str, raw: str) -> datetime:
    """A W3C datetime (an offset or Z; a date alone is its midnight in Moroccan time)."""
    text = raw.strip().replace(" ", "+") if "T" in raw else raw.strip()  # "+01:00" arrives as " 01:00" unquoted
    try:
        moment = parse_datetime(text)
        if moment is None:
            day = parse_date(text)
            if day is not None:
                moment = datetime(day.year, day.month, day.day)
    except ValueError:
        moment = None
    if moment is None:
        raise BadParameter(_("%(name)s: give a date and time in the W3C format, for example "
                             "2026-01-31T08:00:00Z.") % {"name": name})
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=fmt_.LOCAL_TIME)
    return moment


def _split(raw: str) -> list[str]:
    return [part.strip() for part in raw.split(",") if part.strip()]


def _requests_query(params: Mapping[str, str], now: datetime) -> Any:
    base = (Complaint.objects.filter(kind=ComplaintKind.REPORT, is_public=True, category__is_public=True)
            .select_related("case__department", "category", "merged_into__case"))
    ids = _split(params.get("service_request_id", ""))
    if ids:
        # Asked by id, every other filter is ignored (the spec), and a merged report is shown too.
        return base.filter(case__reference__in=[i.upper()[:24] for i in ids[:MAX_REQUESTS]])
    query = base.filter(merged_into__isnull=True)
    codes = _split(params.get("service_code", ""))
    if codes:
        query = query.filter(category__code__in=codes[:200])
    statuses = {s.lower() for s in _split(params.get("status", ""))}
    if statuses - {"open", "closed"}:
        raise BadParameter(_("status: use open, closed, or both separated by a comma."))
    if statuses == {"open"}:
        query = query.open()
    elif statuses == {"closed"}:
        query = query.exclude(state__in=OPEN_STATES)
    start_raw, end_raw = params.get("start_date", ""), params.get("end_date", "")
    start = _moment("start_date", start_raw) if start_raw else None
    end = _moment("end_date", end_raw) if end_raw else None
    if any(m is not None and not (YEARS[0] <= m.year <= YEARS[1]) for m in (start, end)):
        raise BadParameter(_("start_date, end_date: give dates between the years %(first)d and %(last)d.")
                           % {"first": YEARS[0], "last": YEARS[1]})
    if start is None:
        end = end or now
        start = end - DEFAULT_SPAN
    elif end is None:
        end = start + DEFAULT_SPAN
    if end < start:
        raise BadParameter(_("end_date: it comes before start_date."))
    if end - start > DEFAULT_SPAN:
        raise BadParameter(_("start_date, end_date: the range may not span more than 90 days."))
    return query.filter(received_at__gte=start, received_at__lte=end)


def _list(request: HttpRequest, fmt: str, query: Any) -> HttpResponse:
    photo_url = _photo_url_maker(request)
    if photo_url is not None:
        query = query.prefetch_related(Prefetch(
            "photos", queryset=Photo.objects.filter(is_public=True).select_related("attachment"),
            to_attr="public_photos"))
    items = [_request_item(c, photo_url) for c in query.order_by("-received_at", "-id")[:MAX_REQUESTS]]
    return fmt_.render(fmt, "service_requests", items)


def _list_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    try:
        query = _requests_query(request.GET, timezone.now())
    except BadParameter as exc:
        return fmt_.errors(fmt, 400, [str(exc)])
    return _list(request, fmt, query)


@open311_view("GET")
def request_detail(request: HttpRequest, commune: Commune, fmt: str, service_request_id: str) -> HttpResponse:
    query = _requests_query({"service_request_id": service_request_id}, timezone.now())
    if not query.exists():
        return fmt_.errors(fmt, 404, [_("service_request_id %(id)s: no public request has this id.")
                                      % {"id": service_request_id[:24]}])
    return _list(request, fmt, query)


@open311_view("GET")
def token(request: HttpRequest, commune: Commune, fmt: str, token_id: str) -> HttpResponse:
    complaint = (Complaint.objects.filter(open311_token=token_id.lower()[:32]).exclude(open311_token="")
                 .select_related("case").first())
    if complaint is None:
        return fmt_.errors(fmt, 404, [_("token %(token)s: no request has this token.") % {"token": token_id[:32]}])
    return fmt_.render(fmt, "service_requests", [{"service_request_id": complaint.reference,
                                                  "token": complaint.open311_token}])


# --- filing a request -----------------------------------------------------------------------------------------------


def _rate_allows(key: Open311Key) -> bool:
    """Count this POST for the key; False past the hourly limit (an application gone wrong, a leaked key)."""
    counter = f"jamaa:complaints:open311:posts:{key.pk}"
    cache.add(counter, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(counter)
    except ValueError:  # expired between add and incr
        cache.set(counter, 1, RATE_WINDOW_SECONDS)
        count = 1
    return count <= settings.COMPLAINT_OPEN311_POSTS_PER_HOUR


def _submission_key(key: Open311Key, raw: str) -> str:
    """The Idempotency-Key, made the key's own (two applications may pick the same value) and of bounded size."""
    raw = raw.strip()
    if not raw:
        return ""
    return f"open311:{key.pk}:{hashlib.sha256(raw.encode('utf-8', 'surrogatepass')).hexdigest()[:40]}"


def _attributes(params: QueryDict) -> dict[str, Any]:
    """`attribute[code]=value` (and `attribute[code][]=…` for lists) as answers by question name."""
    answers: dict[str, Any] = {}
    for name in params:
        if not (name.startswith("attribute[") and name.endswith("]")):
            continue
        inner = name[len("attribute["):-1]
        if inner.endswith("[]") or inner.endswith("]["):
            code = inner.removesuffix("[]").removesuffix("][")
            values = params.getlist(name)
            answers[code[:MAX_ATTRIBUTE_NAME]] = values if len(values) != 1 else values[0]
        else:
            answers[inner[:MAX_ATTRIBUTE_NAME]] = params.get(name)
    return answers


# Where a service's refusal is shown: the name of the parameter the client sent.
PARAMETERS = {"category": "service_code", "description": "description", "location": "lat/long",
              "photos": "media", "contact": "email/phone"}


def _field_errors(exc: ValidationError, attributes: Iterable[str]) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return [str(m) for m in exc.messages]
    known = set(attributes)
    lines: list[str] = []
    for field, messages in exc.message_dict.items():
        name = f"attribute[{field}]" if field in known else PARAMETERS.get(field, field)
        lines.extend(f"{name}: {message}" for message in messages)
    return lines


def _created(fmt: str, complaint: Complaint) -> HttpResponse:
    return fmt_.render(fmt, "service_requests", [{
        "service_request_id": complaint.reference,
        "token": complaint.open311_token or None,
        "service_notice": _("Complaint received. The commune answers by %(date)s.")
        % {"date": complaint.legal_due.isoformat()},
        "account_id": None,
    }])


def _post_request(request: HttpRequest, commune: Commune, fmt: str) -> HttpResponse:
    params = request.POST
    key = open311_key_check(commune, params.get("api_key") or request.GET.get("api_key", ""))
    if key is None:
        return fmt_.errors(fmt, 403, [_("api_key: missing, unknown or revoked. Ask the commune for a key.")])
    if not _rate_allows(key):
        response = fmt_.errors(fmt, 429, [_("Too many requests with this api_key: try again in an hour.")])
        response["Retry-After"] = str(RATE_WINDOW_SECONDS)
        return response
    code = params.get("service_code", "").strip()
    if not code:
        return fmt_.errors(fmt, 400, [_("service_code: this parameter is required.")])
    category = _service(code)
    if category is None:
        return _unknown_service(fmt, code)

    problems: list[str] = []
    lat_raw, lon_raw = params.get("lat", "").strip(), params.get("long", "").strip()
    lat = lon = None
    if lat_raw or lon_raw:
        point = geo.valid_coordinates(lat_raw, lon_raw)
        if point is None:
            problems.append(f"lat/long: {_('These coordinates are not valid.')}")
        else:
            lat, lon = point
    email = params.get("email", "").strip()
    if email:
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(email)
            local, _sep, domain = email.rpartition("@")
            email = f"{local}@{domain.lower()}"
        except ValidationError:
            problems.append(f"email: {_('This is not a valid e-mail address.')}")
    phone = params.get("phone", "").strip()
    if phone:
        try:
            phone = normalize_moroccan_mobile(phone[:40])
        except ValidationError as exc:
            problems.extend(f"phone: {message}" for message in exc.messages)
    if problems:
        return fmt_.errors(fmt, 400, problems)

    answers = _attributes(params)
    name = " ".join(f"{params.get('first_name', '')} {params.get('last_name', '')}".split())
    submission_key = _submission_key(key, request.headers.get("Idempotency-Key", ""))
    media = request.FILES.getlist("media")
    try:
        complaint = complaint_submit(
            commune=commune, category=category, description=params.get("description", ""), lat=lat, lon=lon,
            address=params.get("address_string", ""), answers=answers, photos=media, applicant_name=name,
            language=translation.get_language(), channel=ComplaintChannel.OPEN311, api_key=key,
            open311_phone=phone, open311_email=email, submission_key=submission_key,
        )
    except ValidationError as exc:
        return fmt_.errors(fmt, 400, _field_errors(exc, (spec["name"] for spec in category.questions or [])))
    except PermissionDenied as exc:
        return fmt_.errors(fmt, 403, [str(exc)])
    except IntegrityError:
        # The same Idempotency-Key sent twice at once: the other request filed it; answer with that one.
        complaint = (Complaint.objects.filter(case__submission_key=submission_key, case__citizen__isnull=True)
                     .select_related("case").first()) if submission_key else None
        if complaint is None:
            raise
    return _created(fmt, complaint)


@open311_view("GET", "POST")
def requests(request: HttpRequest, commune: Commune, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, commune, fmt)
    return _list_requests(request, fmt)


@csrf_exempt
def not_found(request: HttpRequest, path: str = "") -> HttpResponse:
    """Any other address under /open311/v2/ (a format other than .json and .xml, a resource the spec has not)."""
    _read_parameters(request)
    language = _language(request)
    with translation.override(language):
        response = fmt_.errors("xml" if path.endswith(".xml") else "json", 404,
                               [_("No such Open311 resource. Start from discovery.json.")])
    return _headers(response, language)
