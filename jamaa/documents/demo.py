"""Demo signing keys and seals: one QR key per commune, usable at once, and (with DOCUMENT_SEAL_SOURCE=dev) the
development trust anchor with one seal certificate per commune under DOCUMENT_DEV_PKI_DIR (manage.py load_demo)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from jamaa.core.models import Commune
from jamaa.documents.models import SigningKey
from jamaa.documents.sealing import dev_pki
from jamaa.documents.services import key_create


def load_demo_keys(communes: dict[str, Commune]) -> None:
    for commune in communes.values():
        if not SigningKey.all_communes.filter(commune=commune).exists():
            key_create(commune=commune, publish_days_before_use=0, now=timezone.now() - timedelta(minutes=1))
    if settings.DOCUMENT_SEAL_SOURCE == "dev":
        dev_pki(list(communes.values()))
