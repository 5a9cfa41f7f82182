"""Back office: the documents issued for a case (listed on the staff case page, see `case_documents_context`),
downloaded by staff (audited) and revoked with a reason, after a confirmation step.

Staff see the documents of the cases they may see (another department's or commune's answers 404). Revoking is
acting on the case: the leadership reads only, and the service call path checks the same rule again
(`access.revoke`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jamaa.cases.models import Case
from jamaa.core import audit
from jamaa.core.models import Role
from jamaa.core.permissions import forbidden, staff_required
from jamaa.documents import access, issuance
from jamaa.documents.models import DocumentEventKind, VerificationChannel
from jamaa.documents.wallet_views import document_title, pdf_response

ACTING_ROLES = (Role.AGENT, Role.HEAD, Role.ADMIN)
REASON_MAX_LENGTH = 1000
ACCESS_REASON = "case handling"


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for the revocation"), max_length=REASON_MAX_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "dir": "auto"}),
        help_text=gettext_lazy("The holder is told, and anyone who checks the document sees it is revoked."),
        error_messages={"required": gettext_lazy("Give the reason for the revocation: the holder is told.")},
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)


def case_documents_context(request: HttpRequest, case: Case) -> dict[str, Any]:
    """What the staff case page needs to show the case's documents (documents/staff/_case_documents.html)."""
    rows = []
    for item in access.case_documents(case, request.user):
        form = RevokeForm(auto_id=f"id_revoke_{item.document.pk}_%s") if item.can_revoke else None
        rows.append({"item": item, "document": item.document, "revoke_form": form})
    return {"issued_documents": rows}


def _to_case(case: Case) -> HttpResponse:
    return redirect("staff:detail", reference=case.reference)


@never_cache
@require_GET
@staff_required()
def download(request: HttpRequest, reference: str) -> HttpResponse:
    document = access.get_document_for_staff(request, reference)
    audit.record(action="documents.downloaded", commune=request.commune, actor=request.user,  # type: ignore[attr-defined]
                 target=document, target_label=document.reference, subject=document.citizen, reason=ACCESS_REASON,
                 request=request, details={"reference": document.reference, "case": document.case.reference})
    issuance.record_event(document, DocumentEventKind.DOWNLOADED, channel=VerificationChannel.BACKOFFICE,
                          actor=request.user, by_staff=True)  # type: ignore[arg-type]
    return pdf_response(document)


@never_cache
@require_POST
@staff_required(*ACTING_ROLES)
def revoke(request: HttpRequest, reference: str) -> HttpResponse:
    """First POST (from the case page): the reason, checked, then a page asking to confirm. Second POST (confirm):
    the revocation."""
    document = access.get_document_for_staff(request, reference)
    case = document.case
    if not access.may_act_on_case(case, request.user):  # type: ignore[arg-type]
        return forbidden(request, _("Your role does not allow you to act on this request."))
    if document.is_revoked:
        messages.error(request, _("This document is already revoked."))
        return _to_case(case)
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return _to_case(case)
    if not form.cleaned_data["confirm"]:
        confirming = RevokeForm(initial={"reason": form.cleaned_data["reason"], "confirm": True})
        return render(request, "documents/staff/revoke_confirm.html", {
            "document": document, "case": case, "title": document_title(document), "form": confirming,
        })
    try:
        access.revoke(document=document, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
    except PermissionDenied:
        return forbidden(request, _("Your role does not allow you to act on this request."))
    except ValidationError as error:
        messages.error(request, " ".join(str(m) for m in error.messages))
        return _to_case(case)
    messages.success(request, _("Document %(reference)s is revoked. The holder is told.") % {
        "reference": document.reference})
    return _to_case(case)
