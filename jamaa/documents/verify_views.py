"""The public verification pages (issue 4, section 3).

* `/V/<payload>` (`qr`): what a document's QR code opens. Outside the language prefixes, so the visitor's own
  language (cookie, then the browser's) is used, Arabic by default; it renders the result at once, the payload
  staying in the URL.
* `/verify/` (`index`): how to check a document, with a form for the QR text and one for the PDF file (both POST,
  limited per address: `throttle`); `/verify/<payload>/` is the result of a code in an explicit language.

Every host of the installation verifies every commune's documents against the one trust list (a Témara act
scanned on Salé's site verifies and says Témara issued it). Each verification of a document in the registry is
logged, with who only when it is the holder or the issuing commune's staff (`issuance.record_event`).
"""

from __future__ import annotations

import filetype
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from jamaa.core.models import Membership
from jamaa.documents import issuance, payload, throttle, verification
from jamaa.documents.models import DocumentEventKind, IssuedDocument, VerificationChannel
from jamaa.documents.verify_display import describe
from jamaa.documents.verify_forms import MAX_PDF_BYTES, MAX_PDF_MEGABYTES, PdfUploadForm, QrTextForm

GET_POST = require_http_methods(["GET", "POST"])
# Room for the multipart envelope around a file at the size limit.
MULTIPART_OVERHEAD = 64 * 1024
# The bytes `filetype` needs to recognise a file.
SNIFF_BYTES = 2048


def _actor_is_staff(request: HttpRequest, document: IssuedDocument) -> bool:
    """Staff of the issuing commune, past the second factor (anyone else verifying stays anonymous)."""
    user = request.user
    if not user.is_authenticated or not getattr(user, "is_verified", lambda: False)():
        return False
    return Membership.all_communes.filter(user=user, commune_id=document.commune_id, is_active=True,
                                          accepted_at__isnull=False).exists()


def log_verification(request: HttpRequest | None, document: IssuedDocument, channel: str) -> None:
    """One VERIFIED event; the visitor is named only when they are the holder or the issuing commune's staff."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        issuance.record_event(document, DocumentEventKind.VERIFIED, channel=channel)
        return
    issuance.record_event(document, DocumentEventKind.VERIFIED, channel=channel, actor=user,  # type: ignore[arg-type]
                          by_staff=_actor_is_staff(request, document))  # type: ignore[arg-type]


def _private(response: HttpResponse) -> HttpResponse:
    """A result names a person: never stored by a cache, never indexed."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def result_page(request: HttpRequest, result: verification.Result, channel: str) -> HttpResponse:
    if result.document is not None:
        log_verification(request, result.document, channel)
    return _private(render(request, "documents/verify/result.html", {
        "verdict": describe(result, html=True),
    }))


def use_visitor_language(request: HttpRequest) -> None:
    """Outside the language prefixes Django reads every page in Arabic: here the visitor's choice is read instead —
    a logged-in visitor's account language unless they set the cookie, else the cookie, then the browser's
    languages, then Arabic."""
    from django.conf import settings

    language = ""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and settings.LANGUAGE_COOKIE_NAME not in request.COOKIES:
        language = getattr(user, "language", "")
    if language not in dict(settings.LANGUAGES):
        language = translation.get_language_from_request(request, check_path=False)
    translation.activate(language)
    request.LANGUAGE_CODE = language  # type: ignore[attr-defined]


@require_safe
def qr(request: HttpRequest, payload_text: str) -> HttpResponse:
    """What the QR code opens: the verdict for the payload in the URL."""
    use_visitor_language(request)
    result = verification.verify_qr(payload.VERIFY_PATH + payload_text)
    response = result_page(request, result, VerificationChannel.QR)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


@require_safe
def by_code(request: HttpRequest, payload_text: str) -> HttpResponse:
    """The same result under /verify/ (and /fr/verify/…): a link to a verification in a given language."""
    result = verification.verify_qr(payload.VERIFY_PATH + payload_text)
    return result_page(request, result, VerificationChannel.PAGE)


def _index(request: HttpRequest, *, qr_form: QrTextForm | None = None, pdf_form: PdfUploadForm | None = None,
           throttled: bool = False, status: int = 200) -> HttpResponse:
    response = render(request, "documents/verify/index.html", {
        "qr_form": qr_form or QrTextForm(),
        "pdf_form": pdf_form or PdfUploadForm(),
        "throttled": _("Too many verifications from your connection. Wait %(minutes)d minutes, then try again.")
        % {"minutes": throttle.wait_minutes()} if throttled else "",
        "max_pdf_megabytes": MAX_PDF_MEGABYTES,
    }, status=status)
    if throttled:
        response["Retry-After"] = str(throttle.WINDOW_SECONDS)
    return response


def _page_limit() -> int:
    from django.conf import settings

    return int(getattr(settings, "DOCUMENT_VERIFY_PAGE_LIMIT", throttle.PAGE_LIMIT))


@never_cache
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return _index(request)


@never_cache
@GET_POST
def check_text(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("verify:index")
    if not throttle.allow(request, "page", _page_limit()):
        return _index(request, throttled=True, status=429)
    form = QrTextForm(request.POST)
    if not form.is_valid():
        return _index(request, qr_form=form, status=400)
    result = verification.verify_qr(form.cleaned_data["qr"])
    return result_page(request, result, VerificationChannel.PAGE)


def is_pdf(head: bytes) -> bool:
    """The content says PDF (whatever the file's name or declared type)."""
    kind = filetype.guess(head)
    return kind is not None and kind.mime == "application/pdf"


def not_pdf_result() -> verification.Result:
    check = verification.PdfCheck(signed=False, intact=False, whole_file=False, trusted=False, reason="not_pdf")
    return verification.Result(status="invalid", reason="not_pdf", pdf=check)


def _pdf_form_with_error(message: str) -> PdfUploadForm:
    form = PdfUploadForm(data={})
    form.is_valid()
    form.errors.clear()
    form.add_error("pdf", message)
    return form


@never_cache
@GET_POST
def check_pdf(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("verify:index")
    if not throttle.allow(request, "page", _page_limit()):
        return _index(request, throttled=True, status=429)
    too_large = _("This file is larger than %(size)d MB: a document issued by a commune is much smaller.") % {
        "size": MAX_PDF_MEGABYTES}
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_PDF_BYTES + MULTIPART_OVERHEAD:
        # Refused before reading the body: nobody uploads a 1 GB "document" to be told it is too large afterwards.
        return _index(request, pdf_form=_pdf_form_with_error(too_large), status=400)
    try:
        form = PdfUploadForm(request.POST, request.FILES)
        valid = form.is_valid()
    except (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent, MultiPartParserError):
        form = _pdf_form_with_error(_("The file could not be received. Choose it again."))
        valid = False
    if not valid:
        return _index(request, pdf_form=form, status=400)
    upload = form.cleaned_data["pdf"]
    data = upload.read(MAX_PDF_BYTES + 1)
    if not is_pdf(data[:SNIFF_BYTES]):
        result = not_pdf_result()
    else:
        result = verification.verify_pdf(data)
    return result_page(request, result, VerificationChannel.PDF)
