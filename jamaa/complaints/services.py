"""Writes on complaints: filing, routing, deadlines, the moves of `workflow.MOVES`, support and merging.

A complaint is a case (kind "complaint"): the case gives it its reference, receipt, timeline and messages; the
complaint keeps its own finer states and deadlines (Decree 2-17-265: a receipt with a reference, an acknowledgement,
an answer within 60 days) and mirrors its state on the case (`workflow.CASE_STATE`).
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from PIL import Image

from jamaa.cases.attachments import CheckedUpload, check_upload
from jamaa.cases.models import Attachment, Case, CaseChannel, CaseEvent, CaseKind, CaseState, EventKind
from jamaa.cases.references import allocate_reference, display_tracking_code, new_tracking_code
from jamaa.complaints import geo, questions, workflow
from jamaa.complaints.models import (
    Area,
    Category,
    Complaint,
    ComplaintChannel,
    ComplaintKind,
    ComplaintState,
    ContactCheck,
    LocationSource,
    Open311Key,
    Photo,
    RoutingRule,
    Support,
)
from jamaa.core import audit, calendar
from jamaa.core.models import Arrondissement, Commune, Department, Language, Membership, Role, User
from jamaa.notifications.models import Channel as MessageChannel
from jamaa.notifications.services import notify_applicant

PHOTO_TYPES = frozenset({"image/jpeg", "image/png"})


# --- places and routing ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    inside: bool
    arrondissement: Arrondissement | None


def locate(commune: Commune, lat: float, lon: float) -> Place:
    """Whether the point is in the commune (its outline; a commune without an outline accepts every point) and in
    which arrondissement."""
    areas = list(Area.all_communes.filter(commune=commune).select_related("arrondissement"))
    outline = next((a for a in areas if a.arrondissement_id is None), None)
    if outline is not None and not (
        outline.min_lat <= lat <= outline.max_lat and outline.min_lon <= lon <= outline.max_lon
        and geo.contains(outline.geometry, lat, lon)
    ):
        return Place(False, None)
    for area in areas:
        if area.arrondissement_id is not None and area.min_lat <= lat <= area.max_lat \
                and area.min_lon <= lon <= area.max_lon and geo.contains(area.geometry, lat, lon):
            return Place(True, area.arrondissement)
    return Place(True, None)


def route(category: Category, arrondissement: Arrondissement | None) -> Department:
    """The department that handles a complaint: the arrondissement's rule for the category (or for its parent
    category) when there is one, else the category's department."""
    if arrondissement is not None:
        rules = {r.category_id: r for r in RoutingRule.all_communes.filter(
            arrondissement=arrondissement, category_id__in=[category.pk, category.parent_id or 0]
        ).select_related("department")}
        rule = rules.get(category.pk) or rules.get(category.parent_id or 0)
        if rule is not None:
            return rule.department
    return category.department


# --- deadlines ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadlines:
    ack_due: date
    target_due: date
    legal_due: date


def deadlines(commune: Commune, received_at: datetime, category: Category) -> Deadlines:
    """Acknowledgement and legal answer in calendar days (Decree 2-17-265; a date on a non-working day moves to the
    next working day); the category's internal target in working days, never later than the legal date."""
    legal = calendar.due_date(commune, received_at, settings.COMPLAINT_ANSWER_DAYS, "calendar")
    ack = calendar.due_date(commune, received_at, settings.COMPLAINT_ACK_DAYS, "calendar")
    target = min(calendar.due_date(commune, received_at, max(1, category.target_days), "working"), legal)
    return Deadlines(ack_due=min(ack, legal), target_due=target, legal_due=legal)


# --- who may act ----------------------------------------------------------------------------------------------------


def staff_membership(commune_id: int, user: User | None) -> Membership | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return (Membership.all_communes.select_related("department")
            .filter(commune_id=commune_id, user=user, is_active=True, accepted_at__isnull=False).first())


def acts_on(membership: Membership | None, department_id: int | None) -> bool:
    """Administrators act on every complaint of their commune; agents and heads on their department's; leadership
    reads only."""
    if membership is None:
        return False
    if membership.role == Role.ADMIN:
        return True
    return (membership.role in (Role.AGENT, Role.HEAD) and membership.department_id is not None
            and membership.department_id == department_id)


def require_staff(complaint: Complaint, actor: User | None) -> Membership:
    membership = staff_membership(complaint.commune_id, actor)
    if not acts_on(membership, complaint.case.department_id):
        raise PermissionDenied(_("Your role does not allow you to act on this complaint."))
    assert membership is not None
    return membership


# --- helpers --------------------------------------------------------------------------------------------------------


def _language(value: str | None) -> str:
    code = (value or "").split("-")[0].lower()
    return code if code in Language.values else Language.ARABIC


def _clean_text(text: str | None, *, limit: int | None = None) -> str:
    text = "\n".join(" ".join(line.split()) for line in (text or "").replace("\r\n", "\n").split("\n")).strip()
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return text[:limit] if limit else text


def _in_language(case: Case, text: Any) -> str:
    with translation.override(case.language):
        return str(text)


def _event(case: Case, *, kind: str, actor: User | None, by_staff: bool, public_text: str = "",
           internal_note: str = "", from_state: str = "", to_state: str = "", is_public: bool = True,
           at: datetime | None = None) -> CaseEvent:
    return CaseEvent.all_communes.create(
        commune_id=case.commune_id, case=case, kind=kind, from_state=from_state, to_state=to_state, actor=actor,
        by_staff=by_staff, public_text=public_text, internal_note=internal_note if by_staff else "",
        is_public=is_public, created_at=at or timezone.now(),
    )


def follow_link(complaint: Complaint, language: str) -> str:
    """Where the person who filed follows the complaint: its page for an account holder, else the public tracking
    page (reference + code)."""
    with translation.override(language):
        try:
            if complaint.case.citizen_id is not None:
                path = reverse("reports:detail", kwargs={"reference": complaint.case.reference})
            else:
                path = reverse("reports:track")
        except NoReverseMatch:
            path = "/"
    return complaint.commune.absolute_url(path)


def notify(complaint: Complaint, template: str, **extra: Any) -> None:
    """Tell the person who filed (account, or the confirmed phone number or e-mail); anonymous: nobody."""
    case = complaint.case
    citizen = case.citizen
    language = _language(citizen.language if citizen is not None else case.language)
    context: dict[str, Any] = {
        "complaint": complaint, "case": case, "reference": case.reference,
        "category": complaint.category.tr("name", language), "legal_due": complaint.legal_due,
        "link": follow_link(complaint, language), **extra,
    }
    notify_applicant(citizen=citizen, phone=case.applicant_phone, email=case.applicant_email, language=language,
                     template=template, context=context, commune=complaint.commune)


def _audit(complaint: Complaint, action: str, actor: User | None, **details: Any) -> None:
    case = complaint.case
    audit.record(action=action, commune=complaint.commune, actor=actor, target=case, target_label=case.reference,
                 subject=case.citizen, details={"reference": case.reference, **details})


def _lock(complaint: Complaint) -> Complaint:
    return (Complaint.all_communes.select_for_update(of=("self",))
            .select_related("case__citizen", "case__commune", "category", "commune").get(pk=complaint.pk))


def _sync(target: Complaint, source: Complaint) -> Complaint:
    if target is not source:
        target.refresh_from_db()
        target.case.refresh_from_db()
    return target


# --- photos ---------------------------------------------------------------------------------------------------------


def check_photos(files: Sequence[UploadedFile]) -> list[CheckedUpload]:
    """Each photo checked by its content (JPEG or PNG only) and re-encoded without metadata (EXIF location, camera,
    comments); ValidationError on the field "photos" naming the file at fault."""
    if len(files) > settings.COMPLAINT_MAX_PHOTOS:
        raise ValidationError({"photos": [_("At most %(count)d photos.") % {"count": settings.COMPLAINT_MAX_PHOTOS}]})
    checked: list[CheckedUpload] = []
    for f in files:
        try:
            upload = check_upload(f)
        except ValidationError as exc:
            raise ValidationError({"photos": [f"{getattr(f, 'name', '')}: {' '.join(exc.messages)}"]}) from exc
        if upload.content_type not in PHOTO_TYPES:
            raise ValidationError({"photos": [_("%(name)s is not a photo: send a JPEG or PNG image.")
                                              % {"name": getattr(f, "name", "")}]})
        checked.append(upload)
    return checked


def _store_photos(complaint: Complaint, photos: Sequence[CheckedUpload], uploader: User | None) -> None:
    now = timezone.now()
    for upload in photos:
        attachment = Attachment(
            commune_id=complaint.commune_id, case=complaint.case, field_name="photo",
            token=secrets.token_hex(16), original_name=upload.original_name, content_type=upload.content_type,
            size=upload.size, sha256=upload.sha256, uploaded_by=uploader, by_staff=False, created_at=now,
        )
        attachment.file.save(upload.original_name, ContentFile(upload.content), save=False)
        attachment.save()
        with Image.open(io.BytesIO(upload.content)) as image:
            width, height = image.size
        Photo.all_communes.create(commune_id=complaint.commune_id, complaint=complaint, attachment=attachment,
                                  width=width, height=height, created_at=now)


# --- filing ---------------------------------------------------------------------------------------------------------


def _existing(commune: Commune, citizen: User | None, key: str) -> Complaint | None:
    if not key:
        return None
    case = Case.all_communes.filter(commune=commune, kind=CaseKind.COMPLAINT, submission_key=key,
                                    citizen=citizen).select_related("complaint").first()
    return getattr(case, "complaint", None) if case is not None else None


def complaint_submit(
    *,
    commune: Commune,
    category: Category,
    description: str,
    lat: float | None = None,
    lon: float | None = None,
    location_source: str = "",
    address: str = "",
    answers: Mapping[str, Any] | None = None,
    photos: Sequence[UploadedFile] = (),
    related_reference: str = "",
    citizen: User | None = None,
    contact: ContactCheck | None = None,
    anonymous: bool = False,
    applicant_name: str = "",
    language: str | None = None,
    channel: str = ComplaintChannel.WEB,
    api_key: Open311Key | None = None,
    open311_phone: str = "",
    open311_email: str = "",
    submission_key: str = "",
    now: datetime | None = None,
) -> Complaint:
    """File a report (with a place inside the commune) or a grievance. Who files: a citizen with an account, a
    confirmed contact (`contact`, a confirmed and unused ContactCheck), an Open311 application (`api_key`, with the
    contact it passes, unconfirmed), or nobody (`anonymous`: followed only through the public page).

    Raises ValidationError with messages per field ("category", "description", "location", "photos",
    "related_reference", "contact", and each extra question's name) and PermissionDenied for a category of another
    commune."""
    now = now or timezone.now()
    key = submission_key[:64]
    existing = _existing(commune, citizen, key)
    if existing is not None:
        return existing  # the same form sent twice

    category = Category.all_communes.select_related("department", "parent").filter(pk=category.pk).first() \
        or category
    if category.commune_id != commune.pk:
        raise PermissionDenied(_("This category belongs to another commune."))
    errors: dict[str, list[Any]] = {}
    if not category.is_active or category.children.filter(is_active=True).exists():
        errors["category"] = [_("Choose a category from the list.")]

    description = _clean_text(description)
    if not description:
        errors["description"] = [_("Describe the problem.")]
    elif len(description) > settings.COMPLAINT_MAX_TEXT:
        errors["description"] = [_("The description is too long: at most %(count)d characters.")
                                 % {"count": settings.COMPLAINT_MAX_TEXT}]
    address = _clean_text(address, limit=250).replace("\n", " ")

    arrondissement: Arrondissement | None = None
    if category.kind == ComplaintKind.REPORT:
        point = geo.valid_coordinates(lat, lon) if lat is not None or lon is not None else None
        if lat is not None or lon is not None:
            if point is None:
                errors["location"] = [_("These coordinates are not valid.")]
            else:
                place = locate(commune, *point)
                if not place.inside:
                    errors["location"] = [_("This place is outside the commune of %(commune)s.")
                                          % {"commune": commune.name}]
                arrondissement = place.arrondissement
        elif not address:
            errors["location"] = [_("Pin the place on the map or type its address.")]
        lat, lon = point if point else (None, None)
        if point is None:
            location_source = LocationSource.ADDRESS if address else LocationSource.NONE
        elif location_source not in (LocationSource.PIN, LocationSource.GPS):
            location_source = LocationSource.PIN
    else:
        lat = lon = None
        location_source = LocationSource.NONE

    related_reference = " ".join(related_reference.split()).upper()[:24]
    related_case: Case | None = None
    if related_reference and category.kind == ComplaintKind.GRIEVANCE:
        related_case = Case.all_communes.filter(commune=commune, reference=related_reference).first()
        if related_case is None:
            errors["related_reference"] = [_("No request of the commune has this reference.")]
    elif category.kind == ComplaintKind.REPORT:
        related_reference = ""

    cleaned_answers: dict[str, Any] = {}
    if category.questions:
        try:
            cleaned_answers = questions.clean(category.questions, answers or {})
        except ValidationError as exc:
            errors.update(exc.message_dict)  # keyed by question name

    try:
        checked = check_photos(list(photos)) if category.kind == ComplaintKind.REPORT else []
    except ValidationError as exc:
        checked = []
        errors.update(exc.message_dict)

    phone = email = ""
    if citizen is None:
        if contact is not None:
            if contact.commune_id != commune.pk or contact.confirmed_at is None or contact.used_at is not None:
                errors["contact"] = [_("Confirm your phone number or e-mail address with the code we sent.")]
            elif contact.channel == MessageChannel.SMS:
                phone = contact.recipient
            else:
                email = contact.recipient
        elif api_key is not None:
            phone, email = open311_phone, open311_email
        elif not anonymous:
            errors["contact"] = [_("Give a phone number or an e-mail address for follow-up, or file anonymously.")]
    if errors:
        raise ValidationError(errors)

    # Checks and photo re-encoding are done: only the writes hold the database (SQLite takes its write lock at
    # BEGIN IMMEDIATE, so work done inside the transaction would queue every other filing behind it).
    with transaction.atomic():
        language = _language(language or (citizen.language if citizen is not None else None)
                             or translation.get_language())
        department = route(category, arrondissement)
        due = deadlines(commune, now, category)
        case = Case(
            commune=commune, kind=CaseKind.COMPLAINT, department=department, arrondissement=arrondissement,
            state=CaseState.SUBMITTED, channel=CaseChannel.API if api_key is not None else CaseChannel.ONLINE,
            citizen=citizen, applicant_name=(citizen.full_name if citizen else " ".join(applicant_name.split())[:150]),
            applicant_phone=phone, applicant_email=email, language=language,
            deadline_amount=settings.COMPLAINT_ANSWER_DAYS, deadline_unit="calendar",
            legal_basis=_in_language(Case(language=language), _("Decree 2-17-265 on complaints and suggestions")),
            submitted_at=now, due_date=due.legal_due, tracking_code=new_tracking_code(), submission_key=key,
            data={"category": category.code},
        )
        with transaction.atomic():
            reference = allocate_reference(commune=commune, at=now)
            case.year, case.number, case.reference = reference.year, reference.number, reference.text
            case.save()
        complaint = Complaint.all_communes.create(
            commune=commune, case=case, kind=category.kind, category=category, state=ComplaintState.RECEIVED,
            channel=channel, description=description, answers=cleaned_answers, lat=lat, lon=lon,
            location_source=location_source, address=address, related_reference=related_reference,
            is_anonymous=citizen is None and contact is None and api_key is None and anonymous,
            is_public=category.kind == ComplaintKind.REPORT and category.is_public,
            ack_due=due.ack_due, target_due=due.target_due, legal_due=due.legal_due, received_at=now,
            open311_token=secrets.token_hex(8) if api_key is not None else "", api_key=api_key,
        )
        if contact is not None:
            ContactCheck.all_communes.filter(pk=contact.pk).update(used_at=now)
        _store_photos(complaint, checked, citizen)
        _event(case, kind=EventKind.TRANSITION, actor=citizen, by_staff=False, from_state=CaseState.DRAFT,
               to_state=CaseState.SUBMITTED, at=now,
               public_text=_in_language(case, _("Complaint received. The commune answers by %(date)s.")
                                        % {"date": due.legal_due.isoformat()}))
        notify(complaint, "complaint_received", tracking_code=display_tracking_code(case.tracking_code))
        _audit(complaint, "complaint.submitted", citizen, category=category.code, channel=channel,
               anonymous=complaint.is_anonymous, photos=len(checked))
    return complaint


# --- moves ----------------------------------------------------------------------------------------------------------


def _default_text(name: str) -> Any:
    texts = {
        "acknowledge": _("Your complaint was received by the department in charge, which is looking into it."),
        "start": _("The work on your complaint has started."),
        "close": _("The complaint is closed."),
        "auto_close": _("The complaint is closed: the answer was not contested."),
    }
    return texts.get(name, "")


def complaint_transition(
    *, complaint: Complaint, name: str, actor: User | None, text: str = "", internal_note: str = "",
    now: datetime | None = None, by_tracking: bool = False,
) -> Complaint:
    """Apply a move of `workflow.MOVES`. Staff moves need a member acting for the complaint's department; "reopen"
    is the citizen's (the account holder, or whoever proved the tracking code: `by_tracking`); "auto_close" is the
    system's. "resolve" and "reject" need the answer text; "reopen" the reason."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _lock(complaint)
        case = locked.case
        move_actor = next((m.actor for m in workflow.MOVES if m.name == name), None)
        if move_actor == workflow.Actor.STAFF:
            require_staff(locked, actor)
        elif move_actor == workflow.Actor.CITIZEN:
            if not by_tracking and (actor is None or case.citizen_id is None or case.citizen_id != actor.pk):
                raise PermissionDenied(_("Only the person who filed the complaint can do this."))
            internal_note = ""
        elif move_actor == workflow.Actor.SYSTEM:
            actor, internal_note = None, ""
        move = workflow.find(name, locked.state, move_actor or workflow.Actor.STAFF)
        text = _clean_text(text, limit=settings.COMPLAINT_MAX_TEXT)
        internal_note = _clean_text(internal_note, limit=settings.COMPLAINT_MAX_TEXT)
        if move.needs_text and not text:
            field = "reason" if name == "reopen" else "text"
            raise ValidationError({field: [_("Write the answer the citizen will read.") if name != "reopen"
                                           else _("Say why the problem is not solved.")]})
        from_state = locked.state
        details: dict[str, Any] = {}
        if name == "acknowledge":
            locked.acknowledged_at = locked.acknowledged_at or now
        elif name == "start":
            locked.acknowledged_at = locked.acknowledged_at or now
        elif name in ("resolve", "reject"):
            locked.answered_at = now
            locked.answer = text
            locked.acknowledged_at = locked.acknowledged_at or now
            case.decided_at = now
            if name == "reject":
                case.rejection_reason = text
        elif name in ("close", "auto_close"):
            locked.closed_at = now
            case.closed_at = now
        elif name == "reopen":
            # A new answer cycle: the answer is owed again, with new deadlines counted from today.
            due = deadlines(locked.commune, now, locked.category)
            locked.reopened_at = now
            locked.reopen_count += 1
            locked.answered_at = None
            locked.closed_at = None
            locked.target_due, locked.legal_due = due.target_due, due.legal_due
            locked.reminded_at = locked.escalated_at = None
            case.due_date = due.legal_due
            case.closed_at = None
            details["legal_due"] = due.legal_due.isoformat()
        public_text = text or _in_language(case, _default_text(name))
        locked.state = move.target
        locked.save()
        case.state = workflow.CASE_STATE[move.target]
        case.version += 1
        case.save()
        by_staff = move.actor == workflow.Actor.STAFF
        _event(case, kind=EventKind.TRANSITION, actor=actor, by_staff=by_staff,
               from_state=workflow.CASE_STATE[from_state], to_state=case.state, public_text=public_text,
               internal_note=internal_note, at=now)
        if move.actor != workflow.Actor.CITIZEN:
            notify(locked, f"complaint_{move.target}", public_text=public_text)
        _audit(locked, f"complaint.{name}", actor, from_state=from_state, to_state=move.target, **details)
    return _sync(complaint, locked)


# --- support and merging --------------------------------------------------------------------------------------------


def fingerprint(*, citizen: User | None, contact: str = "", ip: str | None = None, day: date | None = None) -> str:
    """Who supports, as a keyed hash: the account, else the contact, else the address for one day."""
    if citizen is not None:
        raw = f"user:{citizen.pk}"
    elif contact:
        raw = f"contact:{contact}"
    else:
        raw = f"ip:{ip or 'unknown'}:{(day or timezone.localdate()).isoformat()}"
    return hashlib.sha256(f"{settings.SECRET_KEY}|support|{raw}".encode()).hexdigest()


@transaction.atomic
def complaint_support(*, complaint: Complaint, citizen: User | None, fingerprint_value: str) -> bool:
    """Back an open public report instead of filing a duplicate; False when this person already did."""
    locked = _lock(complaint)
    if not locked.is_public or locked.merged_into_id is not None or not locked.is_open:
        raise ValidationError(_("This report can no longer be supported."))
    _support, created = Support.all_communes.get_or_create(
        complaint=locked, fingerprint=fingerprint_value,
        defaults={"commune_id": locked.commune_id, "citizen": citizen, "created_at": timezone.now()},
    )
    if created:
        locked.supporters = Support.all_communes.filter(complaint=locked).count()
        locked.save(update_fields=["supporters", "updated_at"])
    return created


@transaction.atomic
def complaint_merge(*, duplicate: Complaint, into: Complaint, actor: User, now: datetime | None = None) -> Complaint:
    """Staff close `duplicate` as a duplicate of `into` (same commune, both reports); its supporters and its filer
    count as supporters of `into`, and its filer is told where to follow."""
    now = now or timezone.now()
    if duplicate.pk == into.pk:
        raise ValidationError(_("A complaint cannot be merged into itself."))
    locked = _lock(duplicate)
    target = _lock(into)
    if locked.commune_id != target.commune_id:
        raise PermissionDenied(_("This complaint belongs to another commune."))
    require_staff(locked, actor)
    if target.merged_into_id is not None:
        raise ValidationError(_("%(reference)s is itself merged into another complaint.")
                              % {"reference": target.reference})
    if not locked.is_open:
        raise ValidationError(_("Only an open complaint can be merged."))
    from_state = locked.state
    locked.merged_into = target
    locked.state = ComplaintState.CLOSED
    locked.closed_at = now
    locked.save()
    case = locked.case
    case.state, case.closed_at = CaseState.CLOSED, now
    case.version += 1
    case.save()
    marks = list(Support.all_communes.filter(complaint=locked).values_list("fingerprint", "citizen_id"))
    marks.append((fingerprint(citizen=case.citizen, contact=case.applicant_phone or case.applicant_email,
                              ip=f"complaint:{locked.pk}"), case.citizen_id))
    for mark, citizen_id in marks:
        Support.all_communes.get_or_create(complaint=target, fingerprint=mark, defaults={
            "commune_id": target.commune_id, "citizen_id": citizen_id, "created_at": now})
    target.supporters = Support.all_communes.filter(complaint=target).count()
    target.save(update_fields=["supporters", "updated_at"])
    text = _in_language(case, _("This complaint reports the same problem as %(reference)s; it is followed there.")
                        % {"reference": target.reference})
    _event(case, kind=EventKind.TRANSITION, actor=actor, by_staff=True, from_state=workflow.CASE_STATE[from_state],
           to_state=CaseState.CLOSED, public_text=text, at=now)
    notify(locked, "complaint_merged", public_text=text, target=target.reference)
    _audit(locked, "complaint.merged", actor, into=target.reference)
    return locked


def nearby_open(commune: Commune, category: Category, lat: float, lon: float,
                radius_m: float | None = None, limit: int = 10) -> list[tuple[Complaint, float]]:
    """Open public reports of the same category within `radius_m` (default COMPLAINT_DUPLICATE_RADIUS_M), nearest
    first, with their distance in metres."""
    radius = float(radius_m if radius_m is not None else settings.COMPLAINT_DUPLICATE_RADIUS_M)
    min_lat, min_lon, max_lat, max_lon = geo.box_around(lat, lon, radius)
    candidates = (Complaint.all_communes.public().open()
                  .filter(commune=commune, category=category, lat__gte=min_lat, lat__lte=max_lat,
                          lon__gte=min_lon, lon__lte=max_lon)
                  .select_related("case")[:200])
    found = [(c, geo.distance_m(lat, lon, c.lat, c.lon)) for c in candidates if c.lat is not None]
    found = [(c, d) for c, d in found if d <= radius]
    found.sort(key=lambda pair: pair[1])
    return found[:limit]


# --- outlines -------------------------------------------------------------------------------------------------------


@transaction.atomic
def area_set(*, commune: Commune, geometry: dict[str, Any], arrondissement: Arrondissement | None = None,
             zoom: int = 13) -> Area:
    """Set the outline of the commune (or of one of its arrondissements) from a GeoJSON Polygon/MultiPolygon."""
    if arrondissement is not None and arrondissement.commune_id != commune.pk:
        raise PermissionDenied(_("This arrondissement belongs to another commune."))
    try:
        min_lat, min_lon, max_lat, max_lon = geo.bbox(geometry)
    except (ValueError, TypeError, KeyError) as exc:
        raise ValidationError(_("The outline must be a GeoJSON Polygon or MultiPolygon.")) from exc
    area = Area.all_communes.filter(commune=commune, arrondissement=arrondissement).first() \
        or Area(commune=commune, arrondissement=arrondissement)
    area.geometry = geometry
    area.min_lat, area.min_lon, area.max_lat, area.max_lon = min_lat, min_lon, max_lat, max_lon
    area.centre_lat, area.centre_lon = (min_lat + max_lat) / 2, (min_lon + max_lon) / 2
    area.zoom = zoom
    area.save()
    return area
