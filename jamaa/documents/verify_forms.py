"""The two forms of the public verification page: the text of a QR code, and a PDF file."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamaa.documents import payload

# A QR URL is a few hundred characters; the payload's own bound (payload.MAX_COMPRESSED) is about 6,600 in base32.
MAX_QR_CHARS = 8000
MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_PDF_MEGABYTES = MAX_PDF_BYTES // (1024 * 1024)
_BARE_PAYLOAD_RE = re.compile(r"[A-Za-z2-7]+")


class QrTextForm(forms.Form):
    qr = forms.CharField(
        label=_("Text of the QR code"),
        help_text=_("The address the QR code holds, starting with HTTPS:// and containing /V/. A QR reader app "
                    "shows it; copy it whole."),
        widget=forms.Textarea(attrs={"rows": 4, "dir": "ltr", "autocomplete": "off", "autocapitalize": "off",
                                     "spellcheck": "false"}),
        error_messages={"required": _("Paste the text of the QR code.")},
    )

    def clean_qr(self) -> str:
        # Readers and mail programs wrap long lines: a URL has no spaces, so any whitespace is left out.
        text = "".join(self.cleaned_data["qr"].split())
        if len(text) > MAX_QR_CHARS:
            raise ValidationError(_("This text is far too long to be the code of a document."), code="too_long")
        if _BARE_PAYLOAD_RE.fullmatch(text):  # only the code after /V/ was copied
            text = payload.VERIFY_PATH + text
        return text


class PdfUploadForm(forms.Form):
    pdf = forms.FileField(
        label=_("PDF file of the document"),
        help_text=lazy(lambda: gettext("The file as the holder received it, up to %(size)d MB.")
                       % {"size": MAX_PDF_MEGABYTES}, str)(),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
        error_messages={"required": _("Choose the PDF file to check."),
                        "empty": _("This file is empty."),
                        "invalid": _("No file was received: choose the PDF file again.")},
    )

    def clean_pdf(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["pdf"]
        if (upload.size or 0) > MAX_PDF_BYTES:
            raise ValidationError(_("This file is larger than %(size)d MB: a document issued by a commune is much "
                                    "smaller.") % {"size": MAX_PDF_MEGABYTES}, code="too_large")
        return upload
