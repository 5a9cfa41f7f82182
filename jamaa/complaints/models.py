"""Complaints and grievances (Decree 2-17-265): a complaint is a case (`Case.kind == "complaint"`) that holds the
reference, the applicant, the department, the arrondissement, the legal answer date (`Case.due_date`), the timeline,
the messages and the photos (attachments). `Complaint` adds what only a complaint has: its kind (a report about public
space, or a grievance about the administration), category, place, its own states and deadlines, supporters, merging
and the Open311 identity.

Writes go through `jamaa.complaints.services`; the allowed moves are listed once, in `jamaa.complaints.workflow`.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jamaa.cases.models import Case
from jamaa.core.models import Arrondissement, Commune, Department, Translated
from jamaa.core.tenancy import AllCommunesManager, CommuneQuerySet, CommuneScopedManager


class ComplaintKind(models.TextChoices):
    REPORT = "report", _("Report about public space")
    GRIEVANCE = "grievance", _("Grievance about the administration")


class ComplaintState(models.TextChoices):
    RECEIVED = "received", _("Received")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved")
    REJECTED = "rejected", _("Rejected")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")


# States where the answer is still owed (deadlines, reminders and escalation run).
OPEN_STATES: tuple[str, ...] = (ComplaintState.RECEIVED, ComplaintState.ACKNOWLEDGED, ComplaintState.IN_PROGRESS,
                                ComplaintState.REOPENED)


class LocationSource(models.TextChoices):
    PIN = "pin", _("Pinned on the map")
    GPS = "gps", _("The phone's location")
    ADDRESS = "address", _("Typed address")
    NONE = "", _("No place")


class ComplaintChannel(models.TextChoices):
    WEB = "web", _("Website")
    OPEN311 = "open311", _("Open311 application")
    COUNTER = "counter", _("At the counter")


# --- geography ----------------------------------------------------------------------------------------------------


class Area(models.Model):
    """The outline of a commune (arrondissement empty) or of one of its arrondissements, as a GeoJSON Polygon or
    MultiPolygon in WGS 84 (`[lon, lat]` pairs). The bounding box is kept beside it so most points are decided
    without walking the outline."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    arrondissement = models.OneToOneField(Arrondissement, null=True, blank=True, on_delete=models.CASCADE,
                                          related_name="area")
    geometry = models.JSONField(_("outline (GeoJSON)"))
    min_lat = models.FloatField()
    min_lon = models.FloatField()
    max_lat = models.FloatField()
    max_lon = models.FloatField()
    # Where the map opens (the commune's outline only).
    centre_lat = models.FloatField(null=True, blank=True)
    centre_lon = models.FloatField(null=True, blank=True)
    zoom = models.PositiveSmallIntegerField(default=13)

    objects: ClassVar[CommuneScopedManager[Area]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Area]] = AllCommunesManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["commune"], condition=models.Q(arrondissement__isnull=True),
                                    name="one_outline_per_commune"),
        ]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.arrondissement_id or '-'}"


# --- categories ---------------------------------------------------------------------------------------------------


class CategoryQuerySet(CommuneQuerySet["Category"]):
    def active(self) -> CategoryQuerySet:
        return self.filter(is_active=True)

    def leaves(self) -> CategoryQuerySet:
        """The categories a complaint can be filed in: sub-categories, and top categories without any."""
        return self.exclude(children__is_active=True)


class Category(Translated):
    """A commune's category or sub-category (installed from the shared default set in `defaults.py`, then edited by
    the commune). `code` is also the Open311 `service_code`. `questions` are the extra questions, in the format of
    `jamaa.catalog.formdef` fields (they become the Open311 service definition's attributes)."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="children",
                               verbose_name=_("parent category"))
    kind = models.CharField(_("kind"), max_length=10, choices=ComplaintKind.choices, default=ComplaintKind.REPORT)
    code = models.SlugField(_("code"), max_length=60)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120)
    name_fr = models.CharField(_("name (French)"), max_length=120)
    name_zgh = models.CharField(_("name (Tamazight)"), max_length=120, blank=True)
    description_ar = models.CharField(_("description (Arabic)"), max_length=300, blank=True)
    description_fr = models.CharField(_("description (French)"), max_length=300, blank=True)
    description_zgh = models.CharField(_("description (Tamazight)"), max_length=300, blank=True)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    # Internal answer target in working days, shorter than the legal 60 days.
    target_days = models.PositiveSmallIntegerField(_("target (working days)"), default=10)
    questions = models.JSONField(_("extra questions"), default=list, blank=True)
    # Words that point to this category (all languages and scripts), used by the classifier before it has data.
    keywords = models.TextField(_("keywords"), blank=True)
    # Reports of this category are shown on the public map and page (grievances never are).
    is_public = models.BooleanField(_("shown publicly"), default=True)
    is_active = models.BooleanField(_("in use"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects: ClassVar[CommuneScopedManager[Category]] = CommuneScopedManager.from_queryset(CategoryQuerySet)()
    all_communes: ClassVar[AllCommunesManager[Category]] = AllCommunesManager.from_queryset(CategoryQuerySet)()

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["commune", "code"], name="category_code_unique_per_commune")]
        verbose_name = _("complaint category")
        verbose_name_plural = _("complaint categories")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> str:
        return self.tr("name")


class RoutingRule(models.Model):
    """A category's complaints in an arrondissement go to another department than the category's (for example the
    arrondissement's own technical service)."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="routing_rules")
    arrondissement = models.ForeignKey(Arrondissement, on_delete=models.CASCADE, related_name="+")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="+")

    objects: ClassVar[CommuneScopedManager[RoutingRule]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[RoutingRule]] = AllCommunesManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["category", "arrondissement"], name="one_route_per_area")]

    def __str__(self) -> str:
        return f"{self.category_id}@{self.arrondissement_id}->{self.department_id}"


# --- complaints ---------------------------------------------------------------------------------------------------


class ComplaintQuerySet(CommuneQuerySet["Complaint"]):
    def open(self) -> ComplaintQuerySet:
        return self.filter(state__in=OPEN_STATES)

    def public(self) -> ComplaintQuerySet:
        """What the public map, page and Open311 list show: reports in a public category, not merged away."""
        return self.filter(kind=ComplaintKind.REPORT, is_public=True, merged_into__isnull=True)


class Complaint(models.Model):
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="complaint")
    kind = models.CharField(_("kind"), max_length=10, choices=ComplaintKind.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="complaints",
                                 verbose_name=_("category"))
    state = models.CharField(_("state"), max_length=12, choices=ComplaintState.choices,
                             default=ComplaintState.RECEIVED)
    channel = models.CharField(max_length=8, choices=ComplaintChannel.choices, default=ComplaintChannel.WEB)
    description = models.TextField(_("description"))
    # Answers to the category's extra questions ({key: value}).
    answers = models.JSONField(default=dict, blank=True)
    # The place (reports): WGS 84 degrees; `address` is what the citizen typed or the reverse of the pin.
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)
    location_source = models.CharField(max_length=8, choices=LocationSource.choices, blank=True)
    address = models.CharField(_("address"), max_length=250, blank=True)
    # Grievances: the reference of the case it is about, when there is one.
    related_reference = models.CharField(_("related request"), max_length=24, blank=True)
    # Anonymous: no account and no contact; followed only through the public page.
    is_anonymous = models.BooleanField(default=False)
    # Copied from the category when filed: reports are public, grievances never.
    is_public = models.BooleanField(default=True)
    # Deadlines (dates in Africa/Casablanca): acknowledgement, internal target, legal answer (= case.due_date).
    ack_due = models.DateField(_("acknowledgement due"))
    target_due = models.DateField(_("target date"))
    legal_due = models.DateField(_("legal answer date"))
    received_at = models.DateTimeField(_("received"))
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)  # resolved or rejected
    closed_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    answer = models.TextField(_("answer"), blank=True)  # the public answer (resolution or reasons for rejection)
    # The sweeps are idempotent: each is done once per answer cycle (reset when the complaint is reopened).
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="duplicates", verbose_name=_("merged into"))
    supporters = models.PositiveIntegerField(default=0)
    # Open311: the token handed back by POST requests (GET tokens/{id} maps it to the request id).
    open311_token = models.CharField(max_length=32, blank=True, db_index=True)
    api_key = models.ForeignKey("Open311Key", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[CommuneScopedManager[Complaint]] = CommuneScopedManager.from_queryset(ComplaintQuerySet)()
    all_communes: ClassVar[AllCommunesManager[Complaint]] = AllCommunesManager.from_queryset(ComplaintQuerySet)()

    class Meta:
        ordering = ["-id"]
        indexes = [
            # The public map: a commune's public reports in a box.
            models.Index(fields=["commune", "kind", "lat", "lon"], name="complaint_map"),
            # The staff list and the sweeps.
            models.Index(fields=["commune", "state", "target_due"], name="complaint_queue"),
            models.Index(fields=["state", "legal_due"], name="complaint_sweep"),
            # Nearby open reports of a category (duplicates).
            models.Index(fields=["commune", "category", "state", "lat"], name="complaint_nearby"),
            models.Index(fields=["commune", "received_at"], name="complaint_received"),
        ]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")

    def __str__(self) -> str:
        return self.case.reference if self.case_id else f"complaint {self.pk}"

    @property
    def reference(self) -> str:
        return self.case.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class Photo(models.Model):
    """A photo of a report, re-encoded without its metadata (the place is the pin). The file is an attachment of the
    case (private storage); `is_public` lets staff hide one from the public page (a face, a plate)."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="photos")
    attachment = models.OneToOneField("cases.Attachment", on_delete=models.CASCADE, related_name="+")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    objects: ClassVar[CommuneScopedManager[Photo]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Photo]] = AllCommunesManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of {self.complaint_id}"


class Support(models.Model):
    """Someone backs an existing report instead of filing a duplicate: a citizen, a verified contact, or an anonymous
    visitor (then only a keyed hash of the address, so the same visitor counts once a day)."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="supports")
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField()

    objects: ClassVar[CommuneScopedManager[Support]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Support]] = AllCommunesManager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["complaint", "fingerprint"], name="one_support_per_person")]

    def __str__(self) -> str:
        return f"support of {self.complaint_id}"


class AnswerTemplate(Translated):
    """A ready answer staff start from (resolution or rejection), optionally for one category."""

    class Use(models.TextChoices):
        RESOLVE = "resolve", _("Resolution")
        REJECT = "reject", _("Rejection")
        ACKNOWLEDGE = "ack", _("Acknowledgement")

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
                                 verbose_name=_("category"))
    use = models.CharField(_("used for"), max_length=8, choices=Use.choices)
    title_ar = models.CharField(_("title (Arabic)"), max_length=120)
    title_fr = models.CharField(_("title (French)"), max_length=120)
    text_ar = models.TextField(_("text (Arabic)"))
    text_fr = models.TextField(_("text (French)"))
    is_active = models.BooleanField(_("in use"), default=True)

    objects: ClassVar[CommuneScopedManager[AnswerTemplate]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[AnswerTemplate]] = AllCommunesManager()

    class Meta:
        ordering = ["use", "id"]

    def __str__(self) -> str:
        return self.title_fr


class ContactCheck(models.Model):
    """A code sent to a phone number or e-mail address to confirm it before a complaint filed without an account.
    Only a hash of the code is kept; a confirmed check is used by one complaint."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=5)  # "sms" or "email"
    recipient = models.CharField(max_length=254)
    code_hash = models.CharField(max_length=64)
    token = models.CharField(max_length=43, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CommuneScopedManager[ContactCheck]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[ContactCheck]] = AllCommunesManager()

    class Meta:
        indexes = [models.Index(fields=["recipient", "created_at"], name="contact_check_recent")]

    def __str__(self) -> str:
        return f"{self.channel} check {self.pk}"


class Open311Key(models.Model):
    """An API key for Open311 clients (`api_key` parameter of POST requests), issued by the commune administrator.
    Only its SHA-256 is stored; `prefix` identifies it in lists."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("application"), max_length=100)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CommuneScopedManager[Open311Key]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Open311Key]] = AllCommunesManager()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ClassifierModel(models.Model):
    """The category classifier trained on a commune's own past complaints (see `classifier.py`)."""

    commune = models.OneToOneField(Commune, on_delete=models.CASCADE, related_name="+")
    trained_at = models.DateTimeField()
    samples = models.PositiveIntegerField()
    blob = models.BinaryField()

    all_communes: ClassVar[AllCommunesManager[ClassifierModel]] = AllCommunesManager()

    def __str__(self) -> str:
        return f"classifier of {self.commune_id} ({self.samples} samples)"
