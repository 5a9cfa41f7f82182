"""What every procedure shares: a case with its reference number, legal deadline, state, timeline, messages and
attachments. E-service requests are cases now; complaints and information requests will be cases too (`kind`).

Writes go through `jamaa.cases.services`; the allowed state moves are listed once, in `jamaa.cases.workflow`.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jamaa.cases.attachments import get_private_storage
from jamaa.catalog.models import CommuneProcedure
from jamaa.core.fields import EncryptedCharField
from jamaa.core.models import Arrondissement, Commune, Department, Language, Translated
from jamaa.core.tenancy import AllCommunesManager, CommuneQuerySet, CommuneScopedManager


class CaseKind(models.TextChoices):
    SERVICE_REQUEST = "service", _("E-service request")
    COMPLAINT = "complaint", _("Complaint")
    INFORMATION_REQUEST = "information", _("Information request")


class CaseState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for completion")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    ACT_ISSUED = "act_issued", _("Act issued")
    CLOSED = "closed", _("Closed")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class CaseChannel(models.TextChoices):
    ONLINE = "online", _("Online")
    API = "api", _("Application (API)")
    COUNTER = "counter", _("At the counter")


class ReferenceCounter(models.Model):
    """The last reference number given per commune and year (allocation in `jamaa.cases.references`)."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["commune", "year"], name="one_counter_per_commune_year")]

    def __str__(self) -> str:
        return f"{self.commune_id}/{self.year}: {self.last_number}"


class CaseQuerySet(CommuneQuerySet["Case"]):
    """Reads used by the lists; the filters and orderings match the indexes declared on `Case`."""

    OPEN_STATES: ClassVar[tuple[str, ...]] = (CaseState.SUBMITTED, CaseState.RETURNED, CaseState.IN_REVIEW)

    def submitted(self) -> CaseQuerySet:
        return self.exclude(state=CaseState.DRAFT)

    def open(self) -> CaseQuerySet:
        return self.filter(state__in=self.OPEN_STATES)

    def for_citizen(self, user: object) -> CaseQuerySet:
        return self.filter(citizen=user)

    def for_list(self) -> CaseQuerySet:
        """What the list pages show of each case and of its procedure, without the heavy or encrypted columns
        (answers, CIN, tracking code, form definitions, long texts): a list page decrypts nothing."""
        return self.select_related("procedure__procedure").defer(
            "data", "protected_data", "tracking_code", "return_missing", "legal_basis", "rejection_reason",
            "rating_comment", "procedure__instructions_ar", "procedure__instructions_fr",
            "procedure__instructions_zgh", "procedure__procedure__form_definition",
            "procedure__procedure__description_ar", "procedure__procedure__description_fr",
            "procedure__procedure__description_zgh", "procedure__procedure__legal_basis_ar",
            "procedure__procedure__legal_basis_fr", "procedure__procedure__legal_basis_zgh",
        )


class Case(models.Model):
    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices, default=CaseKind.SERVICE_REQUEST)
    # Empty while a draft; allocated at submission: SAL-2026-000123.
    reference = models.CharField(_("reference"), max_length=24, blank=True, default="")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    procedure = models.ForeignKey(CommuneProcedure, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="cases", verbose_name=_("procedure"))
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("department"))
    arrondissement = models.ForeignKey(Arrondissement, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("arrondissement"))
    state = models.CharField(_("state"), max_length=12, choices=CaseState.choices, default=CaseState.DRAFT)
    channel = models.CharField(_("channel"), max_length=8, choices=CaseChannel.choices, default=CaseChannel.ONLINE)
    # The applicant: an account, or (for a request filed at the counter) a name and a phone number.
    citizen = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="cases", verbose_name=_("citizen"))
    applicant_name = models.CharField(_("applicant"), max_length=150, blank=True)
    applicant_phone = models.CharField(_("applicant's mobile number"), max_length=16, blank=True)
    applicant_email = models.EmailField(_("applicant's e-mail"), blank=True)
    language = models.CharField(_("language"), max_length=3, choices=Language.choices, default=Language.ARABIC)
    # The citizen's answers to the procedure's form, by field name. CIN answers live in `protected_data` (encrypted).
    data = models.JSONField(default=dict, blank=True)
    protected_data = EncryptedCharField(blank=True, default="")
    # Secret printed on the receipt: with the reference, anyone holding the receipt can follow the case.
    tracking_code = EncryptedCharField(blank=True, default="")
    # Deadline: a snapshot of the rule applied at submission, and the due date from the calendar service.
    deadline_amount = models.PositiveSmallIntegerField(null=True, blank=True)
    deadline_unit = models.CharField(max_length=8, blank=True)
    legal_basis = models.TextField(blank=True)
    silence_means_approval = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    # Return for completion: at most once; the deadline is suspended from returned_at until completed_at.
    returned_at = models.DateTimeField(null=True, blank=True)
    return_missing = models.JSONField(default=list, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_by_silence = models.BooleanField(default=False)
    rejection_reason = models.TextField(blank=True)
    act_issued_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="assigned_cases", verbose_name=_("assigned to"))
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.CharField(_("comment"), max_length=500, blank=True)
    # Idempotency: the same key from the same citizen creates one case (form token or API Idempotency-Key header).
    submission_key = models.CharField(max_length=64, blank=True, default="")
    # Bumped at every change: a form opened on an older version is refused instead of overwriting.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[CommuneScopedManager[Case]] = CommuneScopedManager.from_queryset(CaseQuerySet)()
    all_communes: ClassVar[AllCommunesManager[Case]] = AllCommunesManager.from_queryset(CaseQuerySet)()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "reference"], condition=~models.Q(reference=""),
                                    name="case_reference_unique_per_commune"),
            models.UniqueConstraint(fields=["commune", "year", "number"], condition=models.Q(number__isnull=False),
                                    name="case_number_unique_per_commune_year"),
            models.UniqueConstraint(fields=["citizen", "submission_key"], condition=~models.Q(submission_key=""),
                                    name="case_submission_key_unique_per_citizen"),
            # A counter request has no citizen (NULLs never clash above): its form key is unique in the commune.
            models.UniqueConstraint(fields=["commune", "submission_key"],
                                    condition=models.Q(citizen__isnull=True) & ~models.Q(submission_key=""),
                                    name="case_counter_submission_key_unique"),
        ]
        indexes = [
            models.Index(fields=["commune", "department", "state", "due_date", "id"], name="case_queue"),
            models.Index(fields=["commune", "department", "due_date", "id"], name="case_queue_due"),
            models.Index(fields=["commune", "assigned_to", "state", "due_date", "id"], name="case_assigned"),
            models.Index(fields=["commune", "citizen", "id"], name="case_citizen"),
            # The drafts box of "my requests": a citizen's drafts, latest first, without reading their history.
            models.Index(fields=["commune", "state", "citizen", "updated_at"], name="case_state_citizen"),
            # An administrator's whole-commune queue: with id last, PostgreSQL reads a page in index order without
            # sorting the due date's ties (SQLite appends the rowid to every index anyway).
            models.Index(fields=["commune", "state", "due_date", "id"], name="case_state_due"),
            # A form sent twice is found by its key; SQLite cannot use the partial unique indexes above for that
            # lookup (it does not infer `key <> ''` from `key = 'x'`), and complaints are filed without an account.
            models.Index(fields=["commune", "submission_key"], name="case_submission_key"),
        ]
        verbose_name = _("case")
        verbose_name_plural = _("cases")

    def __str__(self) -> str:
        return self.reference or f"draft {self.pk}"


class EventKind(models.TextChoices):
    TRANSITION = "transition", _("State change")
    MESSAGE = "message", _("Message")
    NOTE = "note", _("Internal note")
    ASSIGNMENT = "assignment", _("Assignment")
    ATTACHMENT = "attachment", _("Attachment")
    RATING = "rating", _("Rating")
    DOCUMENT = "document", _("Document")


class CaseEventQuerySet(CommuneQuerySet["CaseEvent"]):
    def public(self) -> CaseEventQuerySet:
        return self.filter(is_public=True)


class CaseEvent(models.Model):
    """One line of the case's timeline. `public_text` is what the citizen reads; `internal_note` is for staff."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    from_state = models.CharField(max_length=12, choices=CaseState.choices, blank=True)
    to_state = models.CharField(max_length=12, choices=CaseState.choices, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    by_staff = models.BooleanField(default=False)
    public_text = models.TextField(blank=True)
    internal_note = models.TextField(blank=True)
    is_public = models.BooleanField(default=True)
    created_at = models.DateTimeField(db_index=True)

    objects: ClassVar[CommuneScopedManager[CaseEvent]] = CommuneScopedManager.from_queryset(CaseEventQuerySet)()
    all_communes: ClassVar[AllCommunesManager[CaseEvent]] = AllCommunesManager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.to_state}"


class CaseMessage(models.Model):
    """A message between the citizen and the staff, on the case."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    from_staff = models.BooleanField(default=False)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[CommuneScopedManager[CaseMessage]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[CaseMessage]] = AllCommunesManager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} message {self.pk}"


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user: the original name is kept in a column.
    return f"cases/{instance.commune_id}/{instance.case_id}/{instance.sha256[:16]}-{instance.token}"


class Attachment(models.Model):
    """A file on a case: a form's file field (`field_name`), a required document (`document_code`) or a message's
    attachment (`message`). Stored in private storage (`jamaa.cases.attachments`), served only to those allowed."""

    commune = models.ForeignKey(Commune, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(CaseMessage, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="attachments")
    field_name = models.CharField(max_length=60, blank=True)
    document_code = models.CharField(max_length=40, blank=True)
    token = models.CharField(max_length=32, unique=True)
    file = models.FileField(upload_to=attachment_path, max_length=200, storage=get_private_storage)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    by_staff = models.BooleanField(default=False)
    # A document replaced during completion stays on record but is no longer the current one.
    is_current = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    objects: ClassVar[CommuneScopedManager[Attachment]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[Attachment]] = AllCommunesManager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class ReasonKind(models.TextChoices):
    RETURN = "return", _("Return for completion")
    REJECT = "reject", _("Rejection")
    APPROVE = "approve", _("Approval")
    MESSAGE = "message", _("Message")


class ReasonTemplate(Translated):
    """Ready-made texts staff pick to return, reject or approve a case (the commune's administrator edits them)."""

    commune = models.ForeignKey(Commune, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("used for"), max_length=8, choices=ReasonKind.choices)
    title_ar = models.CharField(_("title (Arabic)"), max_length=120)
    title_fr = models.CharField(_("title (French)"), max_length=120)
    text_ar = models.TextField(_("text (Arabic)"))
    text_fr = models.TextField(_("text (French)"))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    objects: ClassVar[CommuneScopedManager[ReasonTemplate]] = CommuneScopedManager()
    all_communes: ClassVar[AllCommunesManager[ReasonTemplate]] = AllCommunesManager()

    class Meta:
        ordering = ["kind", "position", "id"]
        verbose_name = _("reason template")
        verbose_name_plural = _("reason templates")

    def __str__(self) -> str:
        return self.title_fr

    @property
    def title(self) -> str:
        return self.tr("title")

    @property
    def text(self) -> str:
        return self.tr("text")
