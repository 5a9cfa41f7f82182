"""Back-office forms on complaints: they check what staff type; `jamaa.complaints.services` and
`jamaa.complaints.admin_services` change the data.

Querysets are set per form instance (the managers are scoped to the request's commune and must not be evaluated at
import time): another commune's category, department or template is then simply an invalid choice."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from jamaa.complaints import questions
from jamaa.complaints.admin_services import CategoryFields, TemplateFields, max_target_days
from jamaa.complaints.models import AnswerTemplate, Category, Complaint, ComplaintKind, ComplaintState
from jamaa.complaints.workflow import Move
from jamaa.core.models import Arrondissement, Department, Membership, Role

OPEN = "open"
ALL = "all"
STATE_CHOICES: list[tuple[str, Any]] = [
    (OPEN, _("Open (received, acknowledged, in progress, reopened)")),
    (ALL, _("All states")),
    *ComplaintState.choices,
]
LATE_TARGET = "target"
LATE_LEGAL = "legal"
REFERENCE_MAX = 24
QUESTIONS_MAX_CHARS = 20_000
# The kind of answer template offered for each staff move.
TEMPLATE_USE_FOR_MOVE = {"acknowledge": AnswerTemplate.Use.ACKNOWLEDGE, "resolve": AnswerTemplate.Use.RESOLVE,
                         "reject": AnswerTemplate.Use.REJECT}


class NamedChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)  # in the page's language


class CategoryChoiceField(forms.ModelChoiceField):
    """A category by its name; a sub-category as "Parent › Child" (the queryset selects the parent)."""

    def label_from_instance(self, obj: Category) -> str:  # type: ignore[override]
        return f"{obj.parent.name} › {obj.name}" if obj.parent_id else obj.name


class TemplateChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AnswerTemplate) -> str:  # type: ignore[override]
        return obj.tr("title")


def ordered_categories() -> list[Category]:
    """The commune's categories, each top category followed by its sub-categories (one query)."""
    categories = list(Category.objects.select_related("parent", "department").order_by("position", "pk"))
    children: dict[int, list[Category]] = {}
    for category in categories:
        if category.parent_id is not None:
            children.setdefault(category.parent_id, []).append(category)
    ordered: list[Category] = []
    for category in categories:
        if category.parent_id is None:
            ordered.append(category)
            ordered.extend(children.get(category.pk, []))
    known = {c.pk for c in ordered}
    ordered.extend(c for c in categories if c.pk not in known)  # a parent of another commune cannot happen
    return ordered


def _category_choices(categories: list[Category], empty_label: Any) -> list[tuple[Any, Any]]:
    field = CategoryChoiceField(queryset=Category.all_communes.none())
    return [("", empty_label), *((c.pk, field.label_from_instance(c)) for c in categories)]


# --- the list and the map -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplaintFilters:
    state: str = OPEN
    kind: str = ""
    category_id: int | None = None
    department_id: int | None = None  # administrators and leadership only
    arrondissement_id: int | None = None
    late: str = ""  # "", LATE_TARGET or LATE_LEGAL
    reference: str = ""

    @property
    def is_default(self) -> bool:
        return self == ComplaintFilters()


class ComplaintFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("Reports and grievances")), *ComplaintKind.choices])
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None)
    department = NamedChoiceField(label=_("Department"), queryset=Department.all_communes.none(), required=False,
                                  empty_label=_("All departments"))
    arrondissement = NamedChoiceField(label=_("Arrondissement"), queryset=Arrondissement.all_communes.none(),
                                      required=False, empty_label=_("All arrondissements"))
    late = forms.ChoiceField(label=_("Deadlines"), required=False, choices=[
        ("", _("Any")), (LATE_TARGET, _("Target date passed")), (LATE_LEGAL, _("Legal date near or passed")),
    ])
    q = forms.CharField(label=_("Reference"), required=False, max_length=REFERENCE_MAX,
                        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "inputmode": "search"}))

    def __init__(self, *args: Any, membership: Membership, categories: list[Category], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.membership = membership
        self.fields["category"].choices = _category_choices(  # type: ignore[attr-defined]
            categories, _("All categories"))
        if self.sees_one_department:
            del self.fields["department"]
        else:
            self.fields["department"].queryset = Department.objects.order_by("name_fr")  # type: ignore[attr-defined]
        self.fields["arrondissement"].queryset = Arrondissement.objects.order_by(  # type: ignore[attr-defined]
            "position", "pk")

    @property
    def sees_one_department(self) -> bool:
        return self.membership.role in (Role.AGENT, Role.HEAD) and self.membership.department_id is not None

    def filters(self) -> ComplaintFilters:
        """The filters from the valid fields (an invalid value is reported on its field and ignored)."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})

        def pk(name: str) -> int | None:
            value = data.get(name)
            return value.pk if value is not None else None

        return ComplaintFilters(
            state=data.get("state") or OPEN,
            kind=data.get("kind") or "",
            category_id=data.get("category"),
            department_id=pk("department"),
            arrondissement_id=pk("arrondissement"),
            late=data.get("late") or "",
            reference="".join((data.get("q") or "").split()).upper(),
        )


# --- a complaint ----------------------------------------------------------------------------------------------------


class MoveForm(forms.Form):
    """One staff move on a complaint. The forms of several moves sit on one page: each has the move's name as
    prefix. "Use this template" (a submit button named `use_template`) refills the text from the chosen template
    without applying the move."""

    template = TemplateChoiceField(label=_("Answer template"), queryset=AnswerTemplate.all_communes.none(),
                                   required=False, empty_label=_("None"),
                                   help_text=_("Its text is used when the text below is left empty."))
    text = forms.CharField(label=_("Message to the citizen"), required=False, max_length=settings.COMPLAINT_MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 5}))
    internal_note = forms.CharField(label=_("Internal note (staff only)"), required=False,
                                    max_length=settings.COMPLAINT_MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, move: Move, complaint: Complaint, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", move.name)
        super().__init__(*args, **kwargs)
        self.move = move
        self.complaint = complaint
        self.opened = self.is_bound  # the page opens the form that was sent (or refilled)
        self.notice = ""
        self.language = complaint.case.language or "ar"
        use = TEMPLATE_USE_FOR_MOVE.get(move.name)
        if use is None:
            del self.fields["template"]
        else:
            category = complaint.category
            wanted = [category.pk, *([category.parent_id] if category.parent_id else [])]
            self.fields["template"].queryset = (  # type: ignore[attr-defined]
                AnswerTemplate.objects.filter(use=use, is_active=True)
                .filter(Q(category__isnull=True) | Q(category_id__in=wanted)).order_by("category_id", "pk"))
        if move.name == "resolve":
            self.fields["text"].label = _("Answer to the citizen")
        elif move.name == "reject":
            self.fields["text"].label = _("Reasons for the rejection")
        if move.needs_text:
            self.fields["text"].help_text = _("The citizen reads it. Required.")
        else:
            self.fields["text"].help_text = _("Left empty, the citizen reads a standard sentence.")
        self.fields["text"].widget.attrs.update({"lang": self.language, "dir": "auto"})

    def template_text(self, template: AnswerTemplate) -> str:
        """The template's text in the complaint's language (Arabic, else French)."""
        return template.tr("text", self.language)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        template = cleaned.get("template")
        if not (cleaned.get("text") or "").strip() and template is not None:
            cleaned["text"] = self.template_text(template)
        if self.move.needs_text and not (cleaned.get("text") or "").strip() and "text" not in self.errors:
            if self.move.name == "reject":
                self.add_error("text", _("Give the reasons for the rejection (or choose an answer template)."))
            else:
                self.add_error("text", _("Write the answer the citizen will read (or choose an answer template)."))
        return cleaned

    def refilled(self) -> MoveForm:
        """A fresh (unbound) form with what was typed and the text replaced by the chosen template's: a refill is
        not a submission, so nothing is reproached yet. Without a valid template, `notice` says what to do."""
        chosen: AnswerTemplate | None = None
        if "template" in self.fields:
            try:
                chosen = self.fields["template"].clean(self.data.get(self.add_prefix("template")))
            except ValidationError:
                chosen = None
        initial = {"template": chosen.pk if chosen is not None else None,
                   "text": self.data.get(self.add_prefix("text"), ""),
                   "internal_note": self.data.get(self.add_prefix("internal_note"), "")}
        if chosen is not None:
            initial["text"] = self.template_text(chosen)
        fresh = MoveForm(move=self.move, complaint=self.complaint, initial=initial)
        fresh.opened = True
        fresh.notice = "" if chosen is not None else str(_("Choose a template first."))
        return fresh


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text=_("Seen by staff only."))


class RerouteForm(forms.Form):
    department = NamedChoiceField(label=_("Send to the department"), queryset=Department.all_communes.none(),
                                  empty_label=_("Choose a department"),
                                  error_messages={"invalid_choice": _("Choose a department of the commune.")})
    note = forms.CharField(label=_("Why (staff only)"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current_department_id: int | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            Department.objects.filter(is_active=True).exclude(pk=current_department_id or 0).order_by("name_fr"))


class MergeForm(forms.Form):
    reference = forms.CharField(label=_("Reference of the complaint to keep"), max_length=REFERENCE_MAX,
                                widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}),
                                help_text=_("This complaint is closed and its supporters count for the other one."))

    def clean_reference(self) -> str:
        return "".join(self.cleaned_data["reference"].split()).upper()


class Open311KeyForm(forms.Form):
    name = forms.CharField(label=_("Application"), max_length=100,
                           help_text=_("Who will use the key, for example the name of a mobile application."))


# --- categories -----------------------------------------------------------------------------------------------------


class CategoryForm(forms.Form):
    name_ar = forms.CharField(label=_("Name (Arabic)"), max_length=120,
                              widget=forms.TextInput(attrs={"lang": "ar", "dir": "rtl"}))
    name_fr = forms.CharField(label=_("Name (French)"), max_length=120,
                              widget=forms.TextInput(attrs={"lang": "fr", "dir": "ltr"}))
    name_zgh = forms.CharField(label=_("Name (Tamazight)"), max_length=120, required=False,
                               widget=forms.TextInput(attrs={"lang": "zgh"}))
    description_ar = forms.CharField(label=_("Description (Arabic)"), max_length=300, required=False,
                                     widget=forms.TextInput(attrs={"lang": "ar", "dir": "rtl"}))
    description_fr = forms.CharField(label=_("Description (French)"), max_length=300, required=False,
                                     widget=forms.TextInput(attrs={"lang": "fr", "dir": "ltr"}))
    description_zgh = forms.CharField(label=_("Description (Tamazight)"), max_length=300, required=False,
                                      widget=forms.TextInput(attrs={"lang": "zgh"}))
    department = NamedChoiceField(label=_("Department"), queryset=Department.all_communes.none(),
                                  empty_label=_("Choose a department"),
                                  error_messages={"invalid_choice": _("Choose a department of the commune.")})
    target_days = forms.IntegerField(
        label=_("Target (working days)"),
        help_text=_("The department's own answer target, shorter than the legal answer time."),
        error_messages={"invalid": _("Enter a whole number of working days.")},
    )
    is_active = forms.BooleanField(label=_("In use (offered to citizens)"), required=False)
    is_public = forms.BooleanField(label=_("Reports shown on the public map and pages"), required=False)
    keywords = forms.CharField(label=_("Keywords"), required=False, max_length=4000,
                               help_text=_("Words people write for this problem, in every language and script, "
                                           "separated by spaces."),
                               widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}))
    questions = forms.CharField(
        label=_("Extra questions (JSON)"), required=False, max_length=QUESTIONS_MAX_CHARS,
        help_text=_("A list of fields: text, textarea, number, choice or yesno, each with a name and a label in "
                    "Arabic and French. Empty: no extra question."),
        widget=forms.Textarea(attrs={"rows": 8, "dir": "ltr", "spellcheck": "false"}),
    )
    position = forms.IntegerField(label=_("Position in the list"), min_value=0, max_value=32767, initial=0)

    def __init__(self, *args: Any, category: Category | None = None, **kwargs: Any) -> None:
        if category is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                **{name: getattr(category, name) for name in (
                    "name_ar", "name_fr", "name_zgh", "description_ar", "description_fr", "description_zgh",
                    "target_days", "is_active", "is_public", "keywords", "position")},
                "department": category.department_id,
                "questions": json.dumps(category.questions, ensure_ascii=False, indent=2)
                if category.questions else "",
            }
        super().__init__(*args, **kwargs)
        self.category = category
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            is_active=True).order_by("name_fr")
        self.fields["target_days"].widget.attrs.update({"min": 1, "max": max_target_days()})
        kind = category.kind if category is not None else None
        if kind == ComplaintKind.GRIEVANCE:
            del self.fields["is_public"]  # a grievance is never shown publicly

    def clean_target_days(self) -> int:
        value = self.cleaned_data["target_days"]
        if not 1 <= value <= max_target_days():
            raise ValidationError(_("The target is between 1 and %(max)d working days: shorter than the legal "
                                    "answer time of %(legal)d days.")
                                  % {"max": max_target_days(), "legal": settings.COMPLAINT_ANSWER_DAYS})
        return int(value)

    def clean_questions(self) -> list[Any]:
        raw = (self.cleaned_data.get("questions") or "").strip()
        if not raw:
            return []
        try:
            value = json.loads(raw)
        except RecursionError as exc:  # nested deeper than Python parses
            raise ValidationError(_("This is not a list of questions.")) from exc
        except ValueError as exc:
            raise ValidationError(_("This is not valid JSON: %(problem)s (line %(line)s).")
                                  % {"problem": getattr(exc, "msg", str(exc)), "line": getattr(exc, "lineno", "?")}
                                  ) from exc
        try:
            questions.validate(value)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc
        return list(value)

    def category_fields(self) -> CategoryFields:
        data = self.cleaned_data
        return CategoryFields(
            name_ar=data["name_ar"], name_fr=data["name_fr"], name_zgh=data.get("name_zgh", ""),
            description_ar=data.get("description_ar", ""), description_fr=data.get("description_fr", ""),
            description_zgh=data.get("description_zgh", ""), department=data["department"],
            target_days=data["target_days"], keywords=data.get("keywords", ""), questions=data["questions"],
            is_public=bool(data.get("is_public", False)), is_active=bool(data.get("is_active")),
            position=data.get("position") or 0,
        )


class CategoryCreateForm(CategoryForm):
    code = forms.SlugField(label=_("Code"), max_length=60,
                           help_text=_("Short and unique in the commune (letters, digits, hyphens); also the "
                                       "Open311 service code. It cannot be changed later."),
                           widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off"}))
    kind = forms.ChoiceField(label=_("Kind"), choices=ComplaintKind.choices)

    field_order = ["code", "kind"]

    def __init__(self, *args: Any, parent: Category | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"target_days": 10, "is_active": True, "is_public": True, "position": 0,
                                      **({"department": parent.department_id} if parent is not None else {})})
        super().__init__(*args, **kwargs)
        self.parent = parent
        if parent is not None:
            del self.fields["kind"]  # a sub-category has its parent's kind
            if parent.kind == ComplaintKind.GRIEVANCE:
                del self.fields["is_public"]

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().lower()


class RoutingForm(forms.Form):
    """One choice per arrondissement: the department that handles the category there (empty: the category's)."""

    def __init__(self, *args: Any, category: Category, arrondissements: list[Arrondissement],
                 rules: dict[int, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.category = category
        self.arrondissements = arrondissements
        departments = Department.objects.filter(is_active=True).order_by("name_fr")
        default_label = _("The category's department (%(name)s)") % {"name": category.department.name}
        for arrondissement in arrondissements:
            self.fields[self.field_name(arrondissement)] = NamedChoiceField(
                label=arrondissement.name, queryset=departments, required=False, empty_label=default_label,
                initial=rules.get(arrondissement.pk),
                error_messages={"invalid_choice": _("Choose a department of the commune.")},
            )

    @staticmethod
    def field_name(arrondissement: Arrondissement) -> str:
        return f"arrondissement_{arrondissement.pk}"

    def routes(self) -> dict[Arrondissement, Department | None]:
        return {a: self.cleaned_data.get(self.field_name(a)) for a in self.arrondissements}


# --- answer templates -----------------------------------------------------------------------------------------------


class AnswerTemplateForm(forms.Form):
    use = forms.ChoiceField(label=_("Used for"), choices=AnswerTemplate.Use.choices)
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int, empty_value=None,
                                      help_text=_("Offered only for the complaints of this category (and of its "
                                                  "sub-categories). Empty: for every category."))
    title_ar = forms.CharField(label=_("Title (Arabic)"), max_length=120,
                               widget=forms.TextInput(attrs={"lang": "ar", "dir": "rtl"}))
    title_fr = forms.CharField(label=_("Title (French)"), max_length=120,
                               widget=forms.TextInput(attrs={"lang": "fr", "dir": "ltr"}))
    text_ar = forms.CharField(label=_("Text (Arabic)"), max_length=settings.COMPLAINT_MAX_TEXT,
                              widget=forms.Textarea(attrs={"lang": "ar", "dir": "rtl", "rows": 5}))
    text_fr = forms.CharField(label=_("Text (French)"), max_length=settings.COMPLAINT_MAX_TEXT,
                              widget=forms.Textarea(attrs={"lang": "fr", "dir": "ltr", "rows": 5}))
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)

    def __init__(self, *args: Any, categories: list[Category], template: AnswerTemplate | None = None,
                 **kwargs: Any) -> None:
        if template is not None and "initial" not in kwargs:
            kwargs["initial"] = {name: getattr(template, name) for name in (
                "use", "title_ar", "title_fr", "text_ar", "text_fr", "is_active")}
            kwargs["initial"]["category"] = template.category_id
        super().__init__(*args, **kwargs)
        self.by_pk = {c.pk: c for c in categories}
        self.fields["category"].choices = _category_choices(  # type: ignore[attr-defined]
            categories, _("Every category"))

    def template_fields(self) -> TemplateFields:
        data = self.cleaned_data
        category = self.by_pk.get(data["category"]) if data.get("category") is not None else None
        return TemplateFields(use=data["use"], title_ar=data["title_ar"], title_fr=data["title_fr"],
                              text_ar=data["text_ar"], text_fr=data["text_fr"], category=category,
                              is_active=bool(data.get("is_active")))
