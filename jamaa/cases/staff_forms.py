"""Back-office forms on cases: they validate what staff type; `jamaa.cases.services` changes the cases.

Querysets are set per form instance (the managers are scoped to the request's commune and must not be evaluated at
import time); another commune's procedure, department or member of staff is then simply an invalid choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from jamaa.cases import queue
from jamaa.cases.models import ReasonKind, ReasonTemplate
from jamaa.cases.workflow import Transition
from jamaa.catalog.formdef import tr_label
from jamaa.catalog.models import Channel, CommuneProcedure
from jamaa.core.identifiers import normalize_moroccan_mobile
from jamaa.core.models import Arrondissement, Department, Membership, Role

# The kind of reason template offered for a staff move.
TEMPLATE_KIND_FOR_TRANSITION = {"return": ReasonKind.RETURN, "reject": ReasonKind.REJECT,
                                "approve": ReasonKind.APPROVE}
MISSING_OTHER_MAX_LINES = 20


class ProcedureChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CommuneProcedure) -> str:  # type: ignore[override]
        return obj.procedure.name


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name  # in the page's language


class AssigneeChoiceField(forms.ModelChoiceField):
    """A member of staff who handles cases (agent or head of department), by user id."""

    def label_from_instance(self, obj: Membership) -> str:  # type: ignore[override]
        name = obj.user.full_name or obj.user.username
        return f"{name} — {obj.department.name}" if obj.department_id else name


def assignee_memberships(membership: Membership, department_id: int | None = None) -> Any:
    """Who cases can be assigned to: active agents and heads of the member's department (administrators: of every
    department, or of `department_id`)."""
    qs = Membership.objects.select_related("user", "department").filter(
        is_active=True, accepted_at__isnull=False, role__in=(Role.AGENT, Role.HEAD), department__isnull=False,
    )
    if membership.role in (Role.AGENT, Role.HEAD):
        qs = qs.filter(department_id=membership.department_id)
    elif department_id is not None:
        qs = qs.filter(department_id=department_id)
    return qs.order_by("department__name_fr", "user__full_name", "pk")


def _assignee_field(label: Any, required: bool, empty_label: Any) -> AssigneeChoiceField:
    return AssigneeChoiceField(
        label=label, queryset=Membership.all_communes.none(), to_field_name="user_id", required=required,
        empty_label=empty_label,
        error_messages={"invalid_choice": _("Choose a member of staff of this department.")},
    )


class QueueFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=queue.STATE_CHOICES, required=False)
    procedure = ProcedureChoiceField(label=_("Procedure"), queryset=CommuneProcedure.all_communes.none(),
                                     required=False, empty_label=_("All procedures"))
    arrondissement = NamedChoiceField(label=_("Arrondissement"), queryset=Arrondissement.all_communes.none(),
                                      required=False, empty_label=_("All arrondissements"))
    department = NamedChoiceField(label=_("Department"), queryset=Department.all_communes.none(), required=False,
                                  empty_label=_("All departments"))
    assigned = forms.ChoiceField(label=_("Assignment"), required=False, choices=[
        ("", _("Anyone")), (queue.ASSIGNED_ME, _("Assigned to me")), (queue.ASSIGNED_NONE, _("Not assigned")),
    ])
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    soon = forms.BooleanField(label=_("Due within 3 working days"), required=False)

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        procedures = CommuneProcedure.objects.select_related("procedure").order_by("procedure__name_fr")
        if self.sees_one_department:
            procedures = procedures.filter(department_id=membership.department_id)
            del self.fields["department"]
        else:
            self.fields["department"].queryset = Department.objects.order_by("name_fr")  # type: ignore[attr-defined]
        self.fields["procedure"].queryset = procedures  # type: ignore[attr-defined]
        self.fields["arrondissement"].queryset = Arrondissement.objects.order_by(  # type: ignore[attr-defined]
            "position", "pk")

    @property
    def sees_one_department(self) -> bool:
        return self.membership.role in (Role.AGENT, Role.HEAD) and self.membership.department_id is not None

    def filters(self) -> queue.QueueFilters:
        """The filters from the valid fields (an invalid value is reported on the field and ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            value = data.get(name)
            return value.pk if value is not None else None

        return queue.QueueFilters(
            state=data.get("state") or queue.OPEN,
            procedure_id=pk("procedure"),
            arrondissement_id=pk("arrondissement"),
            department_id=pk("department"),
            overdue=bool(data.get("overdue")),
            due_soon=bool(data.get("soon")),
            assigned=data.get("assigned") or "",
        )


class BulkAssignForm(forms.Form):
    assignee = _assignee_field(_("Assign the selected cases to"), True, _("Choose a member of staff"))

    def __init__(self, *args: Any, membership: Membership, department_id: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignee_memberships(  # type: ignore[attr-defined]
            membership, department_id)


class AssignForm(forms.Form):
    assignee = _assignee_field(_("Assigned to"), False, _("Nobody"))

    def __init__(self, *args: Any, membership: Membership, department_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = assignee_memberships(membership)
        if department_id is not None:
            qs = qs.filter(department_id=department_id)
        self.fields["assignee"].queryset = qs  # type: ignore[attr-defined]


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReasonTemplate) -> str:  # type: ignore[override]
        return obj.title


class TransitionForm(forms.Form):
    """One staff move on a case. The forms of several moves sit on one page: each has the move's name as prefix."""

    template = TemplateChoiceField(
        label=_("Ready-made text"), queryset=ReasonTemplate.all_communes.none(), required=False,
        empty_label=_("None"),
        help_text=_("Its text is used when the text below is left empty."),
    )
    public_text = forms.CharField(label=_("Text for the applicant"), required=False, max_length=5000,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    missing = forms.MultipleChoiceField(label=_("What is missing"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    missing_other = forms.CharField(
        label=_("Anything else missing"), required=False, max_length=2000,
        help_text=_("One item per line."), widget=forms.Textarea(attrs={"rows": 3}),
    )
    internal_note = forms.CharField(label=_("Internal note (staff only)"), required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 2}))
    expected_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, transition: Transition, procedure: CommuneProcedure | None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        self.transition = transition
        self.procedure = procedure
        kind = TEMPLATE_KIND_FOR_TRANSITION.get(transition.name)
        if kind is None:
            del self.fields["template"]
        else:
            self.fields["template"].queryset = ReasonTemplate.objects.filter(  # type: ignore[attr-defined]
                kind=kind, is_active=True).order_by("position", "pk")
            # With JavaScript, choosing a text fills the box below (the page's script reads this attribute).
            self.fields["template"].widget.attrs["data-reason-target"] = f"id_{self.add_prefix('public_text')}"
        if transition.name == "return":
            self.fields["missing"].choices = missing_choices(procedure)  # type: ignore[attr-defined]
            self.fields["public_text"].label = _("Message to the applicant")
        else:
            del self.fields["missing"]
            del self.fields["missing_other"]
        if transition.name == "reject":
            self.fields["public_text"].label = _("Reasons for the rejection")

    def clean_missing_other(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data.get("missing_other", "").splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MISSING_OTHER_MAX_LINES:
            raise ValidationError(_("List at most %(count)s items.") % {"count": MISSING_OTHER_MAX_LINES})
        return lines

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        template = cleaned.get("template")
        if not cleaned.get("public_text") and template is not None:
            cleaned["public_text"] = template.text
        if self.transition.name == "return" and "missing" in self.fields and not (
            cleaned.get("missing") or cleaned.get("missing_other")
        ) and "missing_other" not in self.errors:
            self.add_error("missing", _("List everything that is missing: a request is returned only once."))
        if self.transition.name == "reject" and not cleaned.get("public_text") and "public_text" not in self.errors:
            self.add_error("public_text", _("Give the reasons for the rejection (or choose a ready-made text)."))
        return cleaned

    def missing_items(self, language: str) -> list[str]:
        """Everything missing, in the applicant's language (the services send it to them as it is): the names of
        the chosen fields and documents, then the free-text lines."""
        with translation.override(language):
            labels = dict(missing_choices(self.procedure))
        return [*(labels.get(key, key) for key in self.cleaned_data.get("missing", [])),
                *self.cleaned_data.get("missing_other", [])]


def missing_choices(procedure: CommuneProcedure | None) -> list[tuple[str, str]]:
    """The procedure's fields and documents, to tick what is missing."""
    if procedure is None:
        return []
    choices: list[tuple[str, str]] = []
    definition = procedure.procedure.form_definition or []
    for entry in definition:
        if isinstance(entry, dict) and entry.get("name"):
            choices.append((str(entry["name"]), tr_label(entry.get("label")) or str(entry["name"])))
    for document in procedure.procedure.documents.all():
        choices.append((f"doc__{document.code}", str(_("Document: %(name)s") % {"name": document.name})))
    return choices


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Seen by staff only."))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message to the applicant"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 4}))
    attachment = forms.FileField(label=_("Attach a file"), required=False,
                                 help_text=_("PDF, JPEG or PNG."))


class ReasonTemplateForm(forms.ModelForm):
    class Meta:
        model = ReasonTemplate
        fields = ["kind", "title_ar", "title_fr", "text_ar", "text_fr", "position", "is_active"]
        widgets = {
            "title_ar": forms.TextInput(attrs={"lang": "ar", "dir": "rtl"}),
            "text_ar": forms.Textarea(attrs={"lang": "ar", "dir": "rtl", "rows": 4}),
            "title_fr": forms.TextInput(attrs={"lang": "fr", "dir": "ltr"}),
            "text_fr": forms.Textarea(attrs={"lang": "fr", "dir": "ltr", "rows": 4}),
        }


def counter_procedures() -> Any:
    """The procedures of the commune that can be requested at the counter."""
    return (
        CommuneProcedure.objects.published().select_related("procedure")
        .filter(procedure__channel__in=(Channel.COUNTER, Channel.BOTH))
        .order_by("procedure__name_fr")
    )


class CounterProcedureForm(forms.Form):
    procedure = ProcedureChoiceField(label=_("Procedure"), queryset=CommuneProcedure.all_communes.none(),
                                     empty_label=_("Choose a procedure"),
                                     error_messages={"invalid_choice": _("Choose one of the procedures listed.")})

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        procedures = counter_procedures()
        if membership.role in (Role.AGENT, Role.HEAD) and membership.department_id is not None:
            procedures = procedures.filter(department_id=membership.department_id)  # what they may file
        self.fields["procedure"].queryset = procedures  # type: ignore[attr-defined]


class CounterApplicantForm(forms.Form):
    applicant_name = forms.CharField(label=_("Applicant's full name"), max_length=150)
    applicant_phone = forms.CharField(
        label=_("Applicant's mobile number"), max_length=30,
        help_text=_("The applicant receives the follow-up by SMS."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off", "dir": "ltr"}),
    )
    language = forms.ChoiceField(label=_("Language of the messages"), choices=settings.LANGUAGES)
    submission_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean_applicant_phone(self) -> str:
        return normalize_moroccan_mobile(self.cleaned_data["applicant_phone"])
