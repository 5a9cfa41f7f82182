"""Checking an uploaded PDF: its PAdES seal (intact, covering the whole file, chaining to a trust anchor of the
trust list) and the signed QR payload it embeds (`qr.txt`). Works offline with a trust list alone."""

from __future__ import annotations

from jamaa.documents.keys import TrustList
from jamaa.documents.verification import PdfCheck


def check_pdf(data: bytes, trust: TrustList) -> tuple[PdfCheck, str | None]:
    """The seal check of `data` and the QR text embedded in it (None when there is none)."""
    raise NotImplementedError
