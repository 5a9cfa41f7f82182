"""Writes of the complaints back office: categories (and their routing rules per arrondissement), answer templates,
sending a complaint to another department, hiding a photo from the public page.

Every service is keyword-only and atomic, checks who acts (the views check too: a service never trusts them), and
writes its audit entry in the same transaction. Moves, merging and filing stay in `jamaa.complaints.services`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import fields as dataclass_fields
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import Case, EventKind
from jamaa.complaints import questions
from jamaa.complaints.defaults import categories_install_defaults
from jamaa.complaints.models import AnswerTemplate, Category, Complaint, ComplaintKind, Photo, RoutingRule
from jamaa.complaints.services import _audit, _event, _lock, require_staff, staff_membership
from jamaa.core import audit
from jamaa.core.models import Arrondissement, Commune, Department, Membership, Role, User

# Who edits the answer templates: administrators and heads of department.
TEMPLATE_EDITORS = (Role.ADMIN, Role.HEAD)
NOTE_MAX = 2000


def _require_role(commune_id: int, actor: User | None, roles: tuple[str, ...], message: Any) -> Membership:
    membership = staff_membership(commune_id, actor)
    if membership is None or membership.role not in roles:
        raise PermissionDenied(message)
    return membership


def _require_admin(commune_id: int, actor: User | None) -> Membership:
    return _require_role(commune_id, actor, (Role.ADMIN,),
                         _("Only the commune's administrators manage the complaint categories."))


def _as_dict(values: Any) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies the model instances.
    return {f.name: getattr(values, f.name) for f in dataclass_fields(values)}


def max_target_days() -> int:
    """The longest internal target: shorter than the legal answer time (Decree 2-17-265: 60 days)."""
    return int(settings.COMPLAINT_ANSWER_DAYS) - 1


# --- categories -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryFields:
    """What the administrator edits on a category (the code, kind and parent are set once, at creation)."""

    name_ar: str
    name_fr: str
    department: Department
    target_days: int
    name_zgh: str = ""
    description_ar: str = ""
    description_fr: str = ""
    description_zgh: str = ""
    keywords: str = ""
    questions: Any = ()
    is_public: bool = True
    is_active: bool = True
    position: int = 0


def _clean_fields(commune: Commune, fields: CategoryFields) -> dict[str, Any]:
    errors: dict[str, list[Any]] = {}
    values = _as_dict(fields)
    for name in ("name_ar", "name_fr", "name_zgh", "description_ar", "description_fr", "description_zgh"):
        values[name] = " ".join(str(values[name] or "").split())
    values["keywords"] = " ".join(str(values["keywords"] or "").split())
    for name in ("name_ar", "name_fr"):
        if not values[name]:
            errors[name] = [_("This field is required.")]
    target = fields.target_days
    if isinstance(target, bool) or not isinstance(target, int) or not 1 <= target <= max_target_days():
        errors["target_days"] = [_("The target is between 1 and %(max)d working days: shorter than the legal "
                                   "answer time of %(legal)d days.")
                                 % {"max": max_target_days(), "legal": settings.COMPLAINT_ANSWER_DAYS}]
    definition = list(fields.questions) if isinstance(fields.questions, tuple) else fields.questions
    try:
        questions.validate(definition)
    except ValidationError as exc:
        errors["questions"] = list(exc.messages)
    values["questions"] = definition
    if fields.department.commune_id != commune.pk:
        errors["department"] = [_("Choose a department of the commune.")]
    elif not fields.department.is_active:
        errors["department"] = [_("This department is no longer active.")]
    if errors:
        raise ValidationError(errors)
    return values


def _category_details(category: Category) -> dict[str, Any]:
    return {"code": category.code, "department": category.department.code, "target_days": category.target_days,
            "active": category.is_active, "public": category.is_public, "questions": len(category.questions or [])}


@transaction.atomic
def category_create(*, commune: Commune, actor: User, code: str, kind: str, fields: CategoryFields,
                    parent: Category | None = None) -> Category:
    """A new category, or a sub-category of a top category (it takes its parent's kind). ValidationError per
    field ("code", "kind", "name_ar", "target_days", "questions", "department", "parent")."""
    _require_admin(commune.pk, actor)
    errors: dict[str, list[Any]] = {}
    try:
        values = _clean_fields(commune, fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        values = {}
    code = (code or "").strip().lower()
    if parent is not None:
        if parent.commune_id != commune.pk:
            raise PermissionDenied(_("This category belongs to another commune."))
        if parent.parent_id is not None:
            errors["parent"] = [_("A sub-category cannot have sub-categories of its own.")]
        kind = parent.kind
    if kind not in ComplaintKind.values:
        errors["kind"] = [_("Choose a report or a grievance.")]
    if code and Category.all_communes.filter(commune=commune, code=code).exists():
        errors["code"] = [_("Another category of the commune has this code.")]
    if errors:
        raise ValidationError(errors)
    if kind == ComplaintKind.GRIEVANCE:
        values["is_public"] = False  # a grievance is never shown publicly
    category = Category(commune=commune, parent=parent, kind=kind, code=code, **values)
    category.full_clean(exclude=["questions"])  # the questions were checked above (an empty list is fine)
    category.save()
    audit.record(action="complaint_category.created", commune=commune, actor=actor, target=category,
                 target_label=category.code, details=_category_details(category))
    return category


@transaction.atomic
def category_update(*, category: Category, actor: User, fields: CategoryFields) -> Category:
    """Change the names, department, target, questions, keywords, visibility and use of a category."""
    _require_admin(category.commune_id, actor)
    locked = Category.all_communes.select_for_update().select_related("commune").get(pk=category.pk)
    values = _clean_fields(locked.commune, fields)
    if locked.kind == ComplaintKind.GRIEVANCE:
        values["is_public"] = False
    changed = sorted(name for name, value in values.items() if getattr(locked, name) != value)
    for name, value in values.items():
        setattr(locked, name, value)
    locked.full_clean(exclude=["questions"])
    locked.save()
    if changed:
        audit.record(action="complaint_category.changed", commune=locked.commune, actor=actor, target=locked,
                     target_label=locked.code, details={**_category_details(locked), "changed": changed})
    category.refresh_from_db()
    return category


@transaction.atomic
def categories_install(*, commune: Commune, actor: User) -> int:
    """Install the shared default set (what the commune already has is left as it is); how many were added."""
    _require_admin(commune.pk, actor)
    created = categories_install_defaults(commune=commune)
    audit.record(action="complaint_category.defaults_installed", commune=commune, actor=actor,
                 details={"created": created})
    return created


@transaction.atomic
def routing_rules_set(*, category: Category, actor: User,
                      routes: Mapping[Arrondissement, Department | None]) -> int:
    """Where the category's complaints of each arrondissement go: a department, or None for the category's own
    department (the rule is removed). Returns how many rules changed."""
    _require_admin(category.commune_id, actor)
    existing = {r.arrondissement_id: r for r in RoutingRule.all_communes.filter(category=category)}
    changes: list[dict[str, Any]] = []
    for arrondissement, department in routes.items():
        if arrondissement.commune_id != category.commune_id:
            raise PermissionDenied(_("This arrondissement belongs to another commune."))
        if department is not None and department.commune_id != category.commune_id:
            raise ValidationError({f"arrondissement_{arrondissement.pk}": [_("Choose a department of the commune.")]})
        if department is not None and department.pk == category.department_id:
            department = None  # the same as no rule
        rule = existing.get(arrondissement.pk)
        if department is None:
            if rule is not None:
                rule.delete()
                changes.append({"arrondissement": arrondissement.slug, "department": None})
        elif rule is None:
            RoutingRule.all_communes.create(commune_id=category.commune_id, category=category,
                                            arrondissement=arrondissement, department=department)
            changes.append({"arrondissement": arrondissement.slug, "department": department.code})
        elif rule.department_id != department.pk:
            rule.department = department
            rule.save(update_fields=["department"])
            changes.append({"arrondissement": arrondissement.slug, "department": department.code})
    if changes:
        audit.record(action="complaint_category.routing_changed", commune=category.commune, actor=actor,
                     target=category, target_label=category.code, details={"changes": changes})
    return len(changes)


# --- answer templates -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateFields:
    use: str
    title_ar: str
    title_fr: str
    text_ar: str
    text_fr: str
    category: Category | None = None
    is_active: bool = True


def _require_template_editor(commune_id: int, actor: User | None) -> Membership:
    return _require_role(commune_id, actor, TEMPLATE_EDITORS,
                         _("Only administrators and heads of department edit the answer templates."))


def _template_values(commune_id: int, fields: TemplateFields) -> dict[str, Any]:
    if fields.category is not None and fields.category.commune_id != commune_id:
        raise ValidationError({"category": [_("Choose a category of the commune.")]})
    values = _as_dict(fields)
    for name in ("title_ar", "title_fr"):
        values[name] = " ".join(str(values[name] or "").split())
    for name in ("text_ar", "text_fr"):
        values[name] = str(values[name] or "").replace("\r\n", "\n").strip()
    return values


def _save_template(template: AnswerTemplate, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(template, name, value)
    template.full_clean()
    template.save()


@transaction.atomic
def answer_template_create(*, commune: Commune, actor: User, fields: TemplateFields) -> AnswerTemplate:
    _require_template_editor(commune.pk, actor)
    template = AnswerTemplate(commune=commune)
    _save_template(template, _template_values(commune.pk, fields))
    audit.record(action="complaint_template.created", commune=commune, actor=actor, target=template,
                 target_label=template.title_fr, details={"use": template.use, "active": template.is_active})
    return template


@transaction.atomic
def answer_template_update(*, template: AnswerTemplate, actor: User, fields: TemplateFields) -> AnswerTemplate:
    _require_template_editor(template.commune_id, actor)
    locked = AnswerTemplate.all_communes.select_for_update().get(pk=template.pk)
    _save_template(locked, _template_values(locked.commune_id, fields))
    audit.record(action="complaint_template.changed", commune=template.commune, actor=actor, target=locked,
                 target_label=locked.title_fr, details={"use": locked.use, "active": locked.is_active})
    template.refresh_from_db()
    return template


@transaction.atomic
def answer_template_delete(*, template: AnswerTemplate, actor: User) -> None:
    _require_template_editor(template.commune_id, actor)
    audit.record(action="complaint_template.deleted", commune=template.commune, actor=actor, target=template,
                 target_label=template.title_fr, details={"use": template.use})
    AnswerTemplate.all_communes.filter(pk=template.pk).delete()


# --- a complaint ----------------------------------------------------------------------------------------------------


@transaction.atomic
def complaint_reroute(*, complaint: Complaint, department: Department, actor: User, note: str = "") -> Complaint:
    """Send the complaint to another department of the commune (not for this one): the case changes department,
    its assignment is cleared, the staff timeline says who sent it where and why (the citizen's timeline does not
    change), and the audit log keeps it."""
    locked = _lock(complaint)
    require_staff(locked, actor)
    case: Case = locked.case
    note = " ".join((note or "").split())[:NOTE_MAX]
    if department.commune_id != locked.commune_id:
        raise ValidationError({"department": [_("Choose a department of the commune.")]})
    if not department.is_active:
        raise ValidationError({"department": [_("This department is no longer active.")]})
    if department.pk == case.department_id:
        raise ValidationError({"department": [_("The complaint is already with this department.")]})
    previous = case.department
    case.department = department
    case.assigned_to = None
    case.version += 1
    case.save(update_fields=["department", "assigned_to", "version", "updated_at"])
    Complaint.all_communes.filter(pk=locked.pk).update(updated_at=timezone.now())
    with_note = _("Sent from %(before)s to %(after)s.") % {
        "before": previous.name if previous is not None else "—", "after": department.name}
    _event(case, kind=EventKind.ASSIGNMENT, actor=actor, by_staff=True, is_public=False,
           internal_note=f"{with_note} {note}".strip())
    _audit(locked, "complaint.rerouted", actor, before=previous.code if previous is not None else "",
           after=department.code, note=note)
    complaint.refresh_from_db()
    complaint.case.refresh_from_db()
    return complaint


@transaction.atomic
def photo_set_public(*, photo: Photo, is_public: bool, actor: User) -> Photo:
    """Show or hide a photo on the public page (a face, a number plate); staff always see it."""
    locked = Photo.all_communes.select_for_update().select_related("complaint__case").get(pk=photo.pk)
    require_staff(locked.complaint, actor)
    if locked.is_public != is_public:
        locked.is_public = is_public
        locked.save(update_fields=["is_public"])
        _audit(locked.complaint, "complaint.photo_shown" if is_public else "complaint.photo_hidden", actor,
               photo=locked.pk)
    photo.is_public = locked.is_public
    return photo
