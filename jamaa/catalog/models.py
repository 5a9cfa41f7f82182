"""The national catalogue of procedures (shared by every commune) and each commune's adoption of a procedure.

Law 55-19: a procedure is published with the documents asked for (only those no administration holds), its fees, its
legal basis, its processing deadline, the office responsible and the channel. A commune adopts a procedure from the
catalogue and may shorten the deadline, set its fees, choose the delivering department and add instructions; a
procedure the commune has not adopted does not exist on its site.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from jamaa.core.models import Commune, Department, Translated
from jamaa.core.tenancy import AllCommunesManager, CommuneQuerySet, CommuneScopedManager

# Law 55-19: an administrative decision is taken within 60 days at most, 30 for acts needed to invest.
DEADLINE_MAX = 60
INVESTMENT_DEADLINE_MAX = 30


class DeadlineUnit(models.TextChoices):
    WORKING = "working", _("working days")
    CALENDAR = "calendar", _("calendar days")


def deadline_label(amount: int, unit: str) -> str:
    """"5 working days", "30 calendar days": with the plural forms of the active language (Arabic has six)."""
    if unit == DeadlineUnit.CALENDAR:
        return ngettext("%(count)d calendar day", "%(count)d calendar days", amount) % {"count": amount}
    return ngettext("%(count)d working day", "%(count)d working days", amount) % {"count": amount}


class Channel(models.TextChoices):
    ONLINE = "online", _("Online")
    COUNTER = "counter", _("At the counter")
    BOTH = "both", _("Online or at the counter")


class ActKind(models.TextChoices):
    """The kind of act issued at the end (each has its document template in the documents app)."""

    RESIDENCE_CERTIFICATE = "residence_certificate", _("Residence certificate")
    LIFE_CERTIFICATE = "life_certificate", _("Life certificate")
    ADMINISTRATIVE_CERTIFICATE = "administrative_certificate", _("Administrative certificate")
    BIRTH_RECORD_COPY = "birth_record_copy", _("Copy of a birth record")
    SIGNATURE_LEGALISATION = "signature_legalisation", _("Signature legalisation")
    BURIAL_PERMIT = "burial_permit", _("Burial permit")
    OCCUPATION_PERMIT = "occupation_permit", _("Temporary occupation permit")
    COMMERCIAL_AUTHORISATION = "commercial_authorisation", _("Commercial activity authorisation")
    BUILDING_PERMIT = "building_permit", _("Building permit")
    HABITATION_PERMIT = "habitation_permit", _("Habitation permit")
    OTHER = "other", _("Other act")


class Heading(Translated):
    """A named heading of the catalogue (a category, a life event), in the three languages."""

    slug = models.SlugField(_("slug"), unique=True)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=120, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        abstract = True
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.tr("name")


class Category(Heading):
    class Meta(Heading.Meta):
        verbose_name = _("category")
        verbose_name_plural = _("categories")


class LifeEvent(Heading):
    class Meta(Heading.Meta):
        verbose_name = _("life event")
        verbose_name_plural = _("life events")


class Procedure(Translated):
    """A procedure of the national catalogue. `form_definition` is validated by `jamaa.catalog.formdef`."""

    slug = models.SlugField(_("slug"), unique=True, max_length=80)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=200, blank=True)
    description_ar = models.TextField(_("description (Arabic)"))
    description_fr = models.TextField(_("description (French)"))
    description_zgh = models.TextField(_("description (Tamazight)"), blank=True)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="procedures",
                                 verbose_name=_("category"))
    life_events = models.ManyToManyField(LifeEvent, blank=True, related_name="procedures",
                                         verbose_name=_("life events"))
    form_definition = models.JSONField(_("form definition"), default=list, blank=True)
    fees_mad = models.DecimalField(_("fees (MAD)"), max_digits=9, decimal_places=2, default=Decimal("0"),
                                   validators=[MinValueValidator(Decimal("0"))])
    legal_basis_ar = models.TextField(_("legal basis (Arabic)"))
    legal_basis_fr = models.TextField(_("legal basis (French)"))
    legal_basis_zgh = models.TextField(_("legal basis (Tamazight)"), blank=True)
    deadline_amount = models.PositiveSmallIntegerField(
        _("legal deadline"), validators=[MinValueValidator(1)],
        help_text=_("At most 60 days (Law 55-19), 30 for investment-related acts."))
    deadline_unit = models.CharField(_("deadline unit"), max_length=8, choices=DeadlineUnit.choices,
                                     default=DeadlineUnit.WORKING)
    silence_means_approval = models.BooleanField(
        _("silence means approval"), default=False,
        help_text=_("When the deadline passes without an answer, the request is approved."))
    is_investment_related = models.BooleanField(_("investment-related act"), default=False)
    department_code = models.SlugField(
        _("delivering department"), max_length=40,
        help_text=_("Code of the department that usually delivers it (a commune chooses its own department)."))
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.BOTH)
    act_kind = models.CharField(_("act issued"), max_length=32, choices=ActKind.choices, default=ActKind.OTHER)
    is_active = models.BooleanField(_("in the catalogue"), default=True)
    is_demo = models.BooleanField(_("demo data"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category__position", "name_fr"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.tr("name")

    @property
    def description(self) -> str:
        return self.tr("description")

    @property
    def legal_basis(self) -> str:
        return self.tr("legal_basis")

    def clean(self) -> None:
        from jamaa.catalog.formdef import validate_definition

        errors: dict[str, list[ValidationError]] = {}
        try:
            validate_definition(self.form_definition)
        except ValidationError as exc:
            errors["form_definition"] = exc.error_list
        limit = INVESTMENT_DEADLINE_MAX if self.is_investment_related else DEADLINE_MAX
        if self.deadline_amount and self.deadline_amount > limit:
            errors["deadline_amount"] = [ValidationError(
                _("The legal deadline is at most %(limit)s days for this procedure (Law 55-19)."),
                code="deadline_too_long", params={"limit": limit})]
        if errors:
            raise ValidationError(errors)


class RequiredDocument(Translated):
    """A document the citizen attaches: only what no administration holds (once-only principle)."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="documents")
    code = models.SlugField(_("code"), max_length=40)
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=200, blank=True)
    help_ar = models.CharField(_("help (Arabic)"), max_length=300, blank=True)
    help_fr = models.CharField(_("help (French)"), max_length=300, blank=True)
    help_zgh = models.CharField(_("help (Tamazight)"), max_length=300, blank=True)
    is_required = models.BooleanField(_("required"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["procedure", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["procedure", "code"], name="document_code_per_procedure")]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")

    def __str__(self) -> str:
        return self.name_fr

    @property
    def name(self) -> str:
        return self.tr("name")

    @property
    def help(self) -> str:
        return self.tr("help")


class CommuneProcedureQuerySet(CommuneQuerySet["CommuneProcedure"]):
    def published(self) -> CommuneProcedureQuerySet:
        return self.filter(is_published=True, procedure__is_active=True)


class CommuneProcedure(Translated):
    """A commune's adoption of a catalogue procedure, with its own deadline (never longer), fees, department and
    instructions. Empty overrides fall back to the catalogue's values."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="adoptions",
                                  verbose_name=_("procedure"))
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("delivering department"))
    deadline_amount = models.PositiveSmallIntegerField(
        _("deadline in this commune"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("Leave empty to apply the legal deadline; it can only be shorter."))
    fees_mad = models.DecimalField(_("fees in this commune (MAD)"), max_digits=9, decimal_places=2, null=True,
                                   blank=True, validators=[MinValueValidator(Decimal("0"))])
    instructions_ar = models.TextField(_("instructions (Arabic)"), blank=True)
    instructions_fr = models.TextField(_("instructions (French)"), blank=True)
    instructions_zgh = models.TextField(_("instructions (Tamazight)"), blank=True)
    is_published = models.BooleanField(_("published"), default=True)
    adopted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[CommuneScopedManager[CommuneProcedure]] = CommuneScopedManager.from_queryset(
        CommuneProcedureQuerySet)()
    all_communes: ClassVar[AllCommunesManager[CommuneProcedure]] = AllCommunesManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "procedure"], name="one_adoption_per_procedure")]
        verbose_name = _("adopted procedure")
        verbose_name_plural = _("adopted procedures")

    def __str__(self) -> str:
        return f"{self.procedure} ({self.commune_id})"

    @property
    def name(self) -> str:
        return self.procedure.name

    @property
    def instructions(self) -> str:
        return self.tr("instructions")

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        procedure = self.procedure if self.procedure_id else None
        if procedure is not None and self.deadline_amount and self.deadline_amount > procedure.deadline_amount:
            errors["deadline_amount"] = ValidationError(
                _("The deadline can only be shorter than the legal deadline (%(deadline)s)."),
                code="deadline_too_long",
                params={"deadline": deadline_label(procedure.deadline_amount, procedure.deadline_unit)})
        if self.department_id and self.commune_id and self.department.commune_id != self.commune_id:
            errors["department"] = ValidationError(_("This department belongs to another commune."),
                                                   code="other_commune")
        if errors:
            raise ValidationError(errors)

    @property
    def effective_deadline_amount(self) -> int:
        return self.deadline_amount or self.procedure.deadline_amount

    @property
    def effective_deadline_unit(self) -> str:
        return self.procedure.deadline_unit

    @property
    def effective_fees(self) -> Decimal:
        return self.fees_mad if self.fees_mad is not None else self.procedure.fees_mad
