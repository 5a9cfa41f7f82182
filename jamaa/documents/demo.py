"""Demo signing keys: one per commune, usable at once (manage.py load_demo)."""

from __future__ import annotations

from jamaa.core.models import Commune
from jamaa.documents.models import SigningKey
from jamaa.documents.services import key_create


def load_demo_keys(communes: dict[str, Commune]) -> None:
    for commune in communes.values():
        if not SigningKey.all_communes.filter(commune=commune).exists():
            key_create(commune=commune, publish_days_before_use=0)
