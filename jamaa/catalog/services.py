"""Writes of the catalogue: a commune adopts a national procedure, changes its own values, unpublishes and
republishes it.

Each service is keyword-only, runs in one transaction and writes its audit entry in it. Refusals are
`ValidationError`s keyed by the form field they concern (`department`, `deadline_amount`, `fees_mad`) or without a
key, with a message for the administrator at the screen.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _

from jamaa.catalog.models import CommuneProcedure, Procedure, deadline_label
from jamaa.core import audit
from jamaa.core.models import Commune, Department, User

ADOPTION_FIELDS = ("department", "deadline_amount", "fees_mad", "instructions_ar", "instructions_fr",
                   "instructions_zgh", "is_published")


class AlreadyAdopted(ValidationError):
    """The commune already adopted this procedure (a second tab, a double click): nothing was created."""

    def __init__(self, adoption: CommuneProcedure) -> None:
        super().__init__(_("This commune had already adopted this procedure: nothing was added. Its settings are "
                           "shown here."), code="already_adopted")
        self.adoption = adoption


def _check_values(
    *, commune: Commune, procedure: Procedure, department: Department, deadline_amount: int | None,
    fees_mad: Decimal | None, allow_inactive: bool = False,
) -> None:
    errors: dict[str, list[str]] = {}
    if department.commune_id != commune.pk or not (department.is_active or allow_inactive):
        errors["department"] = [_("Choose one of this commune's active departments.")]
    if deadline_amount is not None:
        if deadline_amount < 1:
            errors["deadline_amount"] = [_("The deadline is at least one day. Leave it empty to apply the legal "
                                           "deadline.")]
        elif deadline_amount > procedure.deadline_amount:
            errors["deadline_amount"] = [
                _("The commune may shorten the deadline, not lengthen it: the legal deadline is %(deadline)s.")
                % {"deadline": deadline_label(procedure.deadline_amount, procedure.deadline_unit)}
            ]
    if fees_mad is not None and fees_mad < 0:
        errors["fees_mad"] = [_("Fees cannot be negative. Enter 0 for a free procedure.")]
    if errors:
        raise ValidationError(errors)


def _full_clean(adoption: CommuneProcedure) -> None:
    # The one-adoption-per-procedure constraint is checked before and enforced by the database (two submissions
    # racing); checking it here would query through the commune-scoped manager for nothing.
    adoption.full_clean(validate_constraints=False)


def _existing_adoption(commune: Commune, procedure: Procedure) -> CommuneProcedure | None:
    return CommuneProcedure.all_communes.filter(commune=commune, procedure=procedure).first()


@transaction.atomic
def procedure_adopt(
    *, commune: Commune, actor: User, procedure: Procedure, department: Department,
    deadline_amount: int | None = None, fees_mad: Decimal | None = None, instructions_ar: str = "",
    instructions_fr: str = "", instructions_zgh: str = "", is_published: bool = True,
    request: HttpRequest | None = None,
) -> CommuneProcedure:
    """The commune adopts `procedure`: it then exists on the commune's site (if published).

    Raises `AlreadyAdopted` (with the existing adoption) when the commune adopted it already, also when two
    submissions race: the unique constraint decides and the loser gets the winner's adoption."""
    existing = _existing_adoption(commune, procedure)
    if existing is not None:
        raise AlreadyAdopted(existing)
    if not procedure.is_active:
        raise ValidationError(_("This procedure is no longer in the national catalogue: it cannot be adopted."),
                              code="inactive")
    _check_values(commune=commune, procedure=procedure, department=department, deadline_amount=deadline_amount,
                  fees_mad=fees_mad)
    adoption = CommuneProcedure(
        commune=commune, procedure=procedure, department=department, deadline_amount=deadline_amount,
        fees_mad=fees_mad, instructions_ar=instructions_ar, instructions_fr=instructions_fr,
        instructions_zgh=instructions_zgh, is_published=is_published,
    )
    _full_clean(adoption)
    try:
        with transaction.atomic():
            adoption.save()
    except IntegrityError:
        winner = _existing_adoption(commune, procedure)
        if winner is None:
            raise
        raise AlreadyAdopted(winner) from None
    audit.record(action="procedure.adopted", commune=commune, actor=actor, target=adoption,
                 target_label=procedure.name_fr, request=request,
                 details={"procedure": procedure.slug, "published": is_published})
    return adoption


@transaction.atomic
def adoption_update(
    *, adoption: CommuneProcedure, actor: User, department: Department, deadline_amount: int | None,
    fees_mad: Decimal | None, instructions_ar: str = "", instructions_fr: str = "", instructions_zgh: str = "",
    is_published: bool = True, request: HttpRequest | None = None,
) -> CommuneProcedure:
    """Change the commune's values of an adopted procedure (cases already filed keep the deadline they got)."""
    adoption = CommuneProcedure.all_communes.select_for_update().select_related("procedure", "commune").get(
        pk=adoption.pk)
    commune = adoption.commune
    # Keeping a department deactivated since the adoption is allowed (fixing the fees must not force a move).
    _check_values(commune=commune, procedure=adoption.procedure, department=department,
                  deadline_amount=deadline_amount, fees_mad=fees_mad,
                  allow_inactive=department.pk == adoption.department_id)
    values: dict[str, Any] = {
        "department": department, "deadline_amount": deadline_amount, "fees_mad": fees_mad,
        "instructions_ar": instructions_ar, "instructions_fr": instructions_fr, "instructions_zgh": instructions_zgh,
        "is_published": is_published,
    }
    changed = sorted(name for name, value in values.items() if getattr(adoption, name) != value)
    if not changed:
        return adoption
    for name, value in values.items():
        setattr(adoption, name, value)
    _full_clean(adoption)
    adoption.save()
    audit.record(action="procedure.adoption_updated", commune=commune, actor=actor, target=adoption,
                 target_label=adoption.procedure.name_fr, request=request,
                 details={"procedure": adoption.procedure.slug, "changed": changed})
    return adoption


@transaction.atomic
def adoption_set_published(
    *, adoption: CommuneProcedure, actor: User, is_published: bool, request: HttpRequest | None = None,
) -> CommuneProcedure:
    """Unpublish (the procedure disappears from the commune's site; cases already filed go on) or republish."""
    adoption = CommuneProcedure.all_communes.select_for_update().select_related("procedure", "commune").get(
        pk=adoption.pk)
    if adoption.is_published == is_published:
        return adoption
    adoption.is_published = is_published
    adoption.save(update_fields=["is_published", "updated_at"])
    audit.record(action="procedure.republished" if is_published else "procedure.unpublished",
                 commune=adoption.commune, actor=actor, target=adoption, target_label=adoption.procedure.name_fr,
                 request=request, details={"procedure": adoption.procedure.slug})
    return adoption


def adoption_unpublish(*, adoption: CommuneProcedure, actor: User,
                       request: HttpRequest | None = None) -> CommuneProcedure:
    return adoption_set_published(adoption=adoption, actor=actor, is_published=False, request=request)


def adoption_republish(*, adoption: CommuneProcedure, actor: User,
                       request: HttpRequest | None = None) -> CommuneProcedure:
    return adoption_set_published(adoption=adoption, actor=actor, is_published=True, request=request)
