"""Fixtures of the API tests: tokens for the world's citizens, clients that send them, valid answers to Salé's
residence certificate, a real PDF, and cases made through the real services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
             b"trailer<</Root 1 0 R>>\n%%EOF\n")


def pdf(name: str = "proof.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def bearer_client(host: str, token: str) -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}")


def new_token(user: Any, *, days: int = 30) -> str:
    from jamaa.api.services import token_create

    _token, raw = token_create(user=user, name="Test app", lifetime=dt.timedelta(days=days), commune=None)
    return raw


@dataclass
class Tokens:
    citizen_sale: str
    citizen_temara: str


@pytest.fixture
def api_private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def tokens(world) -> Tokens:
    return Tokens(citizen_sale=new_token(world.citizen_sale), citizen_temara=new_token(world.citizen_temara))


@pytest.fixture
def sale_api(tokens) -> Client:
    """Salé's host, with the token of Salé's citizen."""
    return bearer_client("sale.localhost", tokens.citizen_sale)


@pytest.fixture
def temara_api(tokens) -> Client:
    """Témara's host, with the token of Témara's citizen."""
    return bearer_client("temara.localhost", tokens.citizen_temara)


@pytest.fixture
def answers(world, procedures) -> dict[str, Any]:
    """Valid answers to Salé's residence certificate, as an application sends them (JSON values)."""
    from jamaa.core.models import Arrondissement

    arrondissement = Arrondissement.all_communes.filter(commune=world.sale).order_by("position").first()
    return {"arrondissement": arrondissement.pk, "address": "12 زنقة البرتقال، حي السلام", "cin": "AB123456",
            "since": "2015-06-01", "purpose": "work", "household": 4, "owner": False}


@pytest.fixture
def make_case(world, procedures, answers, api_private_media) -> Callable[..., Any]:
    """Submit a case through the real service: Salé's residence certificate for Salé's citizen by default."""
    from jamaa.cases import services
    from jamaa.core import tenancy

    def make(*, citizen: Any = None, commune: Any = None, procedure: Any = None, data: dict | None = None) -> Any:
        commune = commune or world.sale
        with tenancy.scope(commune):
            return services.case_submit(
                commune=commune, procedure=procedure or procedures.sale_residence, data=data or answers,
                files=[("doc__proof", pdf())], citizen=citizen or world.citizen_sale)

    return make


@pytest.fixture
def temara_answers(world, procedures) -> dict[str, Any]:
    """Valid answers to Témara's residence certificate (Témara has no arrondissements)."""
    return {"address": "3 شارع الأمل", "cin": "X998877", "since": "2010-01-01", "purpose": "school", "owner": True}
