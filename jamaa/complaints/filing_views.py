"""Filing a complaint: the start page (a report about public space, or a grievance about the administration), the
form, the small fragments the form asks for while the citizen types (category suggestions, the category's questions,
nearby reports of the same kind, the code that confirms a phone number), and the receipt shown right after filing.

HTML first: without JavaScript, the form posts and comes back with what was typed (files excepted: the page says to
choose them again) for each step the scripts would otherwise do in place: the category's questions, the reports
already filed nearby ("File mine anyway"), the code sent to a phone number. With JavaScript (htmx and pin.js), those
steps happen while the citizen types and taps, and the form is sent once.

Writes go through `jamaa.complaints.services` and `jamaa.complaints.contact`; their refusals come back next to the
fields they name, never as a 500. Every page serves the host's commune only (scoped managers): another commune's
category is not in the list, another commune's receipt is a 404.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from jamaa.cases.models import Case, CaseKind
from jamaa.cases.references import display_tracking_code
from jamaa.complaints import geo, limits, services
from jamaa.complaints.contact import ContactLimited, contact_check_confirm, contact_check_start, masked
from jamaa.complaints.filing_forms import QUESTION_PREFIX, ComplaintForm, ContactForm, question_fields
from jamaa.complaints.models import Area, Category, Complaint, ComplaintKind, ContactCheck, LocationSource
from jamaa.core.models import User
from jamaa.core.permissions import commune_required

logger = logging.getLogger(__name__)

GET_POST = require_http_methods(["GET", "POST"])
SUBMISSION_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
REFERENCE_RE = re.compile(r"^[A-Z0-9-]{1,24}$")
# The contact checks started in this session (their tokens): a token posted by the form counts only if it is here.
CONTACT_SESSION = "jamaa_complaints_contact_checks"
CONTACT_KEPT = 5
# The complaints filed in this session ("<commune id>:<reference>"), whose receipt it may see, and the tracking code
# of each, shown once on the receipt then forgotten.
FILED_SESSION = "jamaa_complaints_filed"
FILED_CODES_SESSION = "jamaa_complaints_codes"
FILED_KEPT = 20
OWN_CASES_LISTED = 50
SUGGEST_MIN_LENGTH = 6


# --- reads ----------------------------------------------------------------------------------------------------------


def _kind(value: str) -> str:
    if value not in ComplaintKind.values:
        raise Http404
    return value


def _citizen(request: HttpRequest) -> User | None:
    user = request.user
    return user if user.is_authenticated else None  # type: ignore[return-value]


def _leaf_categories(kind: str) -> list[Category]:
    return list(Category.objects.active().leaves().filter(kind=kind).select_related("parent")
                .order_by("position", "id"))


def _outline() -> Area | None:
    return Area.objects.filter(arrondissement__isnull=True).first()


def _own_cases(user: User | None) -> list[tuple[str, str]]:
    """The citizen's requests and complaints a grievance may be about, newest first, as (reference, label)."""
    if user is None:
        return []
    cases = (Case.objects.submitted().for_citizen(user).for_list().select_related("complaint__category")
             .order_by("-id")[:OWN_CASES_LISTED])
    rows = []
    for case in cases:
        if case.procedure is not None:
            label = case.procedure.procedure.name
        elif case.kind == CaseKind.COMPLAINT and hasattr(case, "complaint"):
            label = case.complaint.category.name
        else:
            label = str(CaseKind(case.kind).label) if case.kind in CaseKind.values else ""
        rows.append((case.reference, f"{case.reference} · {label}" if label else case.reference))
    return rows


def _nearby(request: HttpRequest, category: Category | None, point: tuple[float, float] | None
            ) -> list[tuple[Complaint, float]]:
    """Open public reports of the category near the point."""
    if category is None or category.kind != ComplaintKind.REPORT or point is None:
        return []
    return services.nearby_open(request.commune, category, *point, limit=5)  # type: ignore[attr-defined]


# --- session --------------------------------------------------------------------------------------------------------


def _new_submission_key() -> str:
    import secrets

    return secrets.token_urlsafe(24)


def _submission_key(value: str | None) -> str:
    return value if value and SUBMISSION_KEY_RE.match(value) else _new_submission_key()


def _entry(request: HttpRequest, reference: str) -> str:
    return f"{request.commune.pk}:{reference}"  # type: ignore[attr-defined]


def _remember_filed(request: HttpRequest, complaint: Complaint) -> None:
    entry = _entry(request, complaint.case.reference)
    entries = [e for e in request.session.get(FILED_SESSION, []) if isinstance(e, str) and e != entry]
    request.session[FILED_SESSION] = [*entries, entry][-FILED_KEPT:]
    codes = {k: v for k, v in request.session.get(FILED_CODES_SESSION, {}).items() if k in entries}
    codes[entry] = display_tracking_code(complaint.case.tracking_code)
    request.session[FILED_CODES_SESSION] = codes


def _filed_with_key(request: HttpRequest, key: str, user: User | None) -> Complaint | None:
    """The complaint this very form already filed (a double click, the back button): the same key from the same
    account, or from nobody's account in this commune."""
    cases = Case.objects.filter(kind=CaseKind.COMPLAINT, submission_key=key)
    cases = cases.filter(citizen=user) if user is not None else cases.filter(citizen__isnull=True)
    case = cases.select_related("complaint").first()
    complaint = getattr(case, "complaint", None) if case is not None else None
    if complaint is not None and _entry(request, case.reference) not in request.session.get(FILED_SESSION, []):
        _remember_filed(request, complaint)  # the first click's session may not be saved yet: the key proves it
    return complaint


def _session_tokens(request: HttpRequest) -> list[str]:
    return [t for t in request.session.get(CONTACT_SESSION, []) if isinstance(t, str)]


def _remember_check(request: HttpRequest, check: ContactCheck) -> None:
    request.session[CONTACT_SESSION] = [*_session_tokens(request), check.token][-CONTACT_KEPT:]


def _forget_check(request: HttpRequest, check: ContactCheck) -> None:
    request.session[CONTACT_SESSION] = [t for t in _session_tokens(request) if t != check.token]


def _current_check(request: HttpRequest, cform: ContactForm) -> ContactCheck | None:
    """The check the form carries, if this session started it, it is unused, and it is for the number or address
    typed now (a changed number needs a new code)."""
    token = str(cform.data.get("contact_token", "")).strip()
    if not token or token not in _session_tokens(request):
        return None
    check = ContactCheck.objects.filter(token=token, used_at__isnull=True).first()
    identifier = cform.identifier
    if check is None or identifier is None or identifier.value != check.recipient:
        return None
    return check


# --- the page -------------------------------------------------------------------------------------------------------


@dataclass
class Step:
    """What the page says besides the form's own errors."""

    status: int = 200
    check: ContactCheck | None = None
    contact_notice: str = ""
    notice: str = ""
    nearby: list[tuple[Complaint, float]] = field(default_factory=list)
    files_lost: bool = False


def _map_context(kind: str) -> dict[str, Any]:
    if kind != ComplaintKind.REPORT:
        return {}
    outline = _outline()
    return {
        "outline": outline.geometry if outline is not None else None,
        "map_centre": (outline.centre_lat, outline.centre_lon) if outline is not None
        and outline.centre_lat is not None and outline.centre_lon is not None else None,
        "map_zoom": outline.zoom if outline is not None else 13,
        "map_tiles": settings.COMPLAINT_MAP_TILE_URL,
        "map_attribution": settings.COMPLAINT_MAP_ATTRIBUTION,
    }


def _enhance(form: ComplaintForm, kind: str) -> None:
    """htmx attributes: suggestions while the description is typed, the questions of the category chosen."""
    form.fields["description"].widget.attrs.update({
        "hx-get": reverse("complaints:suggest"), "hx-trigger": "input changed delay:800ms",
        "hx-target": "#suggestions", "hx-swap": "innerHTML", "hx-sync": "this:replace",
        "hx-vals": json.dumps({"kind": kind}),
    })
    form.fields["category"].widget.attrs.update({
        "hx-get": reverse("complaints:questions"), "hx-trigger": "change", "hx-target": "#questions",
        "hx-swap": "innerHTML", "hx-sync": "this:replace",
    })


def _render_form(request: HttpRequest, *, kind: str, form: ComplaintForm, cform: ContactForm | None, key: str,
                 step: Step) -> HttpResponse:
    check = step.check
    _enhance(form, kind)
    question_category = form.question_category
    return render(request, "complaints/filing/new.html", {
        "kind": kind,
        "is_report": kind == ComplaintKind.REPORT,
        "form": form,
        "cform": cform,
        "question_fields": [form[name] for name in form.question_names],
        "questions_for": question_category.pk if question_category is not None else "",
        "submission_key": key,
        "check": check,
        "check_masked": masked(check) if check is not None else "",
        "contact_notice": step.contact_notice,
        "notice": step.notice,
        "nearby": step.nearby,
        "nearby_seen": " ".join(c.reference for c, _d in step.nearby),
        "files_lost": step.files_lost,
        "max_photos": settings.COMPLAINT_MAX_PHOTOS,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}",
        **_map_context(kind),
    }, status=step.status)


def _as_initial(form: ComplaintForm) -> dict[str, Any]:
    """What was typed, to show again in an unbound form (a step that is not an error shows no error)."""
    data = form.data
    return {name: data.get(name) for name in form.fields if name != "photos" and data.get(name) is not None}


def _limit_message(reason: str) -> str:
    if reason == "account":
        return _("You filed many complaints in the last hour. Wait a little before filing another one, or call "
                 "the commune.")
    if reason == "contact":
        return _("Too many complaints were filed with this phone number or e-mail address in the last hour. Wait "
                 "an hour, then try again.")
    return _("Too many complaints were sent from this connection in the last hour. Wait an hour, then try again, "
             "or call the commune.")


def _limited(request: HttpRequest, reason: str) -> HttpResponse:
    response = render(request, "complaints/filing/limited.html", {"message": _limit_message(reason)}, status=429)
    response["Retry-After"] = str(limits.WINDOW_SECONDS)
    return response


def _add_service_errors(form: ComplaintForm, cform: ContactForm | None, error: ValidationError) -> None:
    """A service's refusal next to the field it names: the place next to the address, an answer next to its
    question, the contact next to the contact."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, errors in error.error_dict.items():
        if name == "location" and "address" in form.fields:
            form.add_error("address", errors)
        elif f"{QUESTION_PREFIX}{name}" in form.fields:
            form.add_error(f"{QUESTION_PREFIX}{name}", errors)
        elif name in ("contact", "code") and cform is not None:
            cform.add_error(name, errors)
        elif name in form.fields:
            form.add_error(name, errors)
        else:
            form.add_error(None, errors)


def _send_code(request: HttpRequest, cform: ContactForm, step: Step) -> None:
    """Send a code to the number or address typed (the form is valid); errors on the contact field."""
    identifier = cform.identifier
    if identifier is None:
        cform.add_error("contact", _("Enter a mobile number or an e-mail address."))
        step.status = 400
        return
    if not limits.code_send_allowed(request):
        cform.add_error("contact", _("Too many codes were asked for from this connection. Wait an hour, or file "
                                     "anonymously."))
        step.status = 429
        return
    try:
        check = contact_check_start(commune=request.commune, raw=identifier.value,  # type: ignore[attr-defined]
                                    language=get_language())
    except ContactLimited as exc:
        cform.add_error("contact", exc.message)
        step.status = 429
        return
    except ValidationError as exc:
        cform.add_error("contact", exc.messages)
        step.status = 400
        return
    _remember_check(request, check)
    step.check = check
    if check.channel == "sms":
        step.contact_notice = _("We sent a 6-digit code by SMS to %(recipient)s. It works for 10 minutes.") \
            % {"recipient": masked(check)}
    else:
        step.contact_notice = _("We sent a 6-digit code by e-mail to %(recipient)s. It works for 10 minutes.") \
            % {"recipient": masked(check)}


def _check_code(cform: ContactForm, check: ContactCheck, step: Step) -> bool:
    code = cform.cleaned_data.get("code") or ""
    if not code:
        cform.add_error("code", _("Type the code we sent to %(recipient)s.") % {"recipient": masked(check)})
        step.status = 400
        return False
    try:
        contact_check_confirm(check=check, code=code)
    except ValidationError as exc:
        cform.add_error("code", exc.message_dict.get("code", exc.messages))
        step.status = 400
        return False
    return True


def _contact_action(request: HttpRequest, cform: ContactForm, action: str) -> Step:
    """"Send me a code" and "Check the code" (buttons of the contact box, with or without JavaScript)."""
    step = Step()
    if not cform.is_valid():
        step.status = 400
        step.check = None
        return step
    current = _current_check(request, cform)
    step.check = current
    if action == "send_code":
        _send_code(request, cform, step)
        if step.check is None:
            step.check = current
    elif current is None:
        cform.add_error("code", _("Ask for a code first: type your number or address, then “Send me a code”."))
        step.status = 400
    elif current.confirmed_at is None and _check_code(cform, current, step):
        current.refresh_from_db()
        step.check = current
    return step


@never_cache
@commune_required
def start(request: HttpRequest) -> HttpResponse:
    categories = list(Category.objects.active().order_by("position", "id"))
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    sections = []
    for kind in (ComplaintKind.REPORT, ComplaintKind.GRIEVANCE):
        tops = [{"category": c, "children": [x for x in children.get(c.pk, []) if x.kind == kind]}
                for c in categories if c.parent_id is None and c.kind == kind]
        sections.append({"kind": kind, "tops": tops})
    return render(request, "complaints/filing/start.html", {"sections": sections})


@never_cache
@GET_POST
@commune_required
def new(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind(kind)
    user = _citizen(request)
    categories = _leaf_categories(kind)
    by_pk = {str(c.pk): c for c in categories}
    own_cases = _own_cases(user) if kind == ComplaintKind.GRIEVANCE else None
    options = {"kind": kind, "categories": categories, "own_cases": own_cases}

    if request.method == "GET":
        chosen = by_pk.get(request.GET.get("category", ""))
        form = ComplaintForm(question_category=chosen, initial={"category": str(chosen.pk)} if chosen else None,
                             **options)
        return _render_form(request, kind=kind, form=form, cform=ContactForm() if user is None else None,
                            key=_new_submission_key(), step=Step())

    if user is None and not limits.post_allowed(request):
        return _limited(request, "address")
    key = _submission_key(request.POST.get("submission_key"))
    done = _filed_with_key(request, key, user)
    if done is not None:
        return redirect("complaints:filed", reference=done.case.reference)

    posted_category = by_pk.get(request.POST.get("category", ""))
    form = ComplaintForm(data=request.POST, files=request.FILES, question_category=posted_category, **options)
    cform = ContactForm(data=request.POST) if user is None else None
    action = request.POST.get("action", "submit")
    files_lost = bool(request.FILES)

    if action in ("send_code", "check_code") and cform is not None:
        step = _contact_action(request, cform, action)
        step.files_lost = files_lost
        unbound = ComplaintForm(initial=_as_initial(form), question_category=posted_category, **options)
        return _render_form(request, kind=kind, form=unbound, cform=cform, key=key, step=step)

    form_ok = form.is_valid()
    contact_ok = cform.is_valid() if cform is not None else True
    step = Step(status=400, files_lost=files_lost, check=_current_check(request, cform) if cform else None)
    if not (form_ok and contact_ok):
        return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
    category = form.chosen_category()
    assert category is not None  # the field's choices are these categories

    # Without JavaScript the questions of a category chosen in the list are shown once it is sent.
    if category.questions and request.POST.get("questions_for") != str(category.pk):
        step.status = 200
        step.notice = _("This category has a few more questions. Answer them, then send your complaint.")
        return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)

    recipient = ""
    if cform is not None:
        if cform.wants_contact:
            if cform.identifier is None:
                cform.add_error("contact", _("Enter a mobile number or an e-mail address."))
                return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
            recipient = cform.identifier.value
        elif not cform.wants_anonymous:
            cform.add_error("follow", _("Give a phone number or an e-mail address for follow-up, or file "
                                        "anonymously."))
            return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)

    refused = limits.filing_refused(request, recipient)
    if refused:
        form.add_error(None, _limit_message(refused))
        step.status = 429
        response = _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
        response["Retry-After"] = str(limits.WINDOW_SECONDS)
        return response

    if kind == ComplaintKind.REPORT and request.POST.get("confirm_new") != "1":
        nearby = _nearby(request, category, form.point())
        seen = set(request.POST.get("nearby_seen", "").split())
        if nearby and not {c.reference for c, _d in nearby} <= seen:
            step.status = 200
            step.nearby = nearby
            step.notice = _("The same problem may already be reported near this place: see below, under “Where is "
                            "it?”. Support that report, or file yours anyway.")
            return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)

    check: ContactCheck | None = None
    if cform is not None and cform.wants_contact:
        check = step.check
        if check is None:
            step.status = 200
            _send_code(request, cform, step)
            if step.check is not None:
                step.contact_notice = f"{step.contact_notice} {_('Type it below, then send your complaint again.')}"
            return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
        if check.confirmed_at is None:
            if not _check_code(cform, check, step):
                return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
            check.refresh_from_db()

    point = form.point()
    source = form.cleaned_data.get("location_source") or ""
    try:
        complaint = services.complaint_submit(
            commune=request.commune,  # type: ignore[attr-defined]
            category=category,
            description=form.cleaned_data["description"],
            lat=point[0] if point else None,
            lon=point[1] if point else None,
            location_source=source if source in (LocationSource.PIN, LocationSource.GPS) else "",
            address=form.cleaned_data.get("address") or "",
            answers=form.answers(),
            photos=form.cleaned_data.get("photos") or [],
            related_reference=form.cleaned_data.get("related_reference") or "",
            citizen=user,
            contact=check,
            anonymous=cform is not None and cform.wants_anonymous,
            language=get_language(),
            submission_key=key,
        )
    except ValidationError as exc:
        _add_service_errors(form, cform, exc)
        return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
    except PermissionDenied:
        form.add_error("category", _("Choose a category from the list."))
        return _render_form(request, kind=kind, form=form, cform=cform, key=key, step=step)
    except IntegrityError:
        # The same form sent twice at the same moment: the other request filed it.
        done = _filed_with_key(request, key, user)
        if done is None:
            raise
        return redirect("complaints:filed", reference=done.case.reference)
    limits.count_filing(request, recipient)
    _remember_filed(request, complaint)
    if check is not None:
        _forget_check(request, check)
    return redirect("complaints:filed", reference=complaint.case.reference)


@never_cache
@commune_required
def filed(request: HttpRequest, reference: str) -> HttpResponse:
    reference = "".join(reference.split()).upper()
    if not REFERENCE_RE.match(reference):
        raise Http404
    complaint = (Complaint.objects.select_related("case__citizen", "case__department", "category")
                 .filter(case__reference=reference).first())
    if complaint is None:
        raise Http404
    entry = _entry(request, reference)
    user = _citizen(request)
    own = user is not None and complaint.case.citizen_id == user.pk
    if entry not in request.session.get(FILED_SESSION, []) and not own:
        raise Http404
    codes = dict(request.session.get(FILED_CODES_SESSION, {}))
    tracking_code = codes.pop(entry, "")
    if tracking_code:
        request.session[FILED_CODES_SESSION] = codes  # shown once
    case = complaint.case
    return render(request, "complaints/filing/filed.html", {
        "complaint": complaint,
        "case": case,
        "tracking_code": tracking_code,
        "followed_by": "account" if case.citizen_id else "contact" if (case.applicant_phone or case.applicant_email)
        else "nobody",
        "contact_masked": _masked_applicant(case),
        "has_page": complaint.is_public or case.citizen_id is not None,
    })


def _masked_applicant(case: Case) -> str:
    from jamaa.core.identifiers import mask_email, mask_phone

    if case.applicant_phone:
        return mask_phone(case.applicant_phone)
    if case.applicant_email:
        return mask_email(case.applicant_email)
    return ""


# --- fragments (htmx) -----------------------------------------------------------------------------------------------


def _fragment(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    return render(request, template, context)


@never_cache
@require_GET
@commune_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Up to 3 categories the description points to (the classifier), for the citizen to pick."""
    if not limits.fragment_allowed(request):
        return HttpResponse(status=204)
    text = (request.GET.get("text") or request.GET.get("description") or "")[:settings.COMPLAINT_MAX_TEXT]
    kind = request.GET.get("kind", "")
    suggestions: list[Any] = []
    if len(text.strip()) >= SUGGEST_MIN_LENGTH and kind in ComplaintKind.values:
        try:
            from jamaa.complaints import classifier

            suggestions = list(classifier.suggest(request.commune, text, kind=kind, limit=3))  # type: ignore[attr-defined]
        except Exception:  # a suggestion is a help, never a reason for the form to fail
            logger.exception("complaint category suggestion failed")
            suggestions = []
    return _fragment(request, "complaints/filing/_suggestions.html", {"suggestions": suggestions[:3]})


@never_cache
@require_GET
@commune_required
def questions(request: HttpRequest) -> HttpResponse:
    """The extra questions of the category chosen in the list."""
    if not limits.fragment_allowed(request):
        return HttpResponse(status=204)
    value = request.GET.get("category", "")
    category = Category.objects.active().filter(pk=int(value)).first() \
        if value.isdigit() and len(value) < 19 else None
    form = forms.Form()
    form.fields.update(question_fields(category))
    form.use_required_attribute = False
    return _fragment(request, "complaints/filing/_questions.html", {
        "question_fields": [form[name] for name in form.fields],
        "questions_for": category.pk if category is not None else "",
    })


@never_cache
@require_GET
@commune_required
def nearby(request: HttpRequest) -> HttpResponse:
    """Open reports of the chosen category near the pin, each with a way to support it instead."""
    if not limits.fragment_allowed(request):
        return HttpResponse(status=204)
    value = request.GET.get("category", "")
    category = Category.objects.active().filter(pk=int(value), kind=ComplaintKind.REPORT).first() \
        if value.isdigit() and len(value) < 19 else None
    found = _nearby(request, category, geo.valid_coordinates(request.GET.get("lat"), request.GET.get("lon")))
    return _fragment(request, "complaints/filing/_nearby.html", {
        "nearby": found, "nearby_seen": " ".join(c.reference for c, _d in found), "live": True,
    })


@never_cache
@require_POST
@commune_required
def contact(request: HttpRequest) -> HttpResponse:
    """The contact box's buttons, in place (htmx): send a code, check the code."""
    if _citizen(request) is not None:
        return HttpResponse(status=204)  # an account needs no code
    cform = ContactForm(data=request.POST)
    if not limits.post_allowed(request):
        cform.is_valid()
        cform.add_error(None, _limit_message("address"))
        step = Step(status=200)
    else:
        action = request.POST.get("action", "")
        step = _contact_action(request, cform, action if action in ("send_code", "check_code") else "check_code")
    check = step.check
    # htmx swaps only successful answers: the errors are in the fragment, the status stays 200.
    return _fragment(request, "complaints/filing/_contact.html", {
        "cform": cform, "check": check, "check_masked": masked(check) if check is not None else "",
        "contact_notice": step.contact_notice,
    })
