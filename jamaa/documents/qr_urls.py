"""`/V/<payload>`, what a document's QR code opens: mounted outside the language prefixes (see jamaa/urls.py)."""

from __future__ import annotations

from django.urls import path

from jamaa.documents import verify_views

urlpatterns = [
    path("<str:payload_text>", verify_views.qr, name="verify_qr"),
]
