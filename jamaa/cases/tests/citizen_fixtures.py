"""Fixtures of the citizen pages' tests (`citizen_*`): a logged-in citizen of Salé, valid answers to the residence
certificate, real files, and cases made through the real services. Test modules import the fixtures they use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from conftest import host_client
from jamaa.cases.tests.service_fixtures import pdf_upload, png_upload  # noqa: F401 - for the tests

__all__ = [  # the fixtures, for conftest.py
    "citizen_answers", "citizen_client", "citizen_make_case", "citizen_private_media", "citizen_temara_client",
    "citizen_throttle_reset",
]


def url(name: str, language: str = "ar", **kwargs: Any) -> str:
    """A page's path in a language (Arabic pages are unprefixed)."""
    with translation.override(language):
        return reverse(name, kwargs=kwargs or None)


@pytest.fixture
def citizen_private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def citizen_throttle_reset():
    """The tracking page counts wrong attempts per address in the cache: every test starts from zero."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def citizen_client(world, citizen_private_media):
    client = host_client("sale.localhost")
    client.force_login(world.citizen_sale)
    return client


@pytest.fixture
def citizen_temara_client(world, citizen_private_media):
    client = host_client("temara.localhost")
    client.force_login(world.citizen_temara)
    return client


@pytest.fixture
def citizen_answers(world, procedures) -> dict[str, str]:
    """Valid answers to Salé's residence certificate, as the form posts them."""
    from jamaa.core import tenancy
    from jamaa.core.models import Arrondissement

    with tenancy.scope(world.sale):
        arrondissement = Arrondissement.objects.order_by("position").first()
    return {
        "arrondissement": str(arrondissement.pk),
        "address": "12 زنقة البرتقال، حي السلام",
        "cin": "ab123456",
        "since": "2015-06-01",
        "purpose": "work",
        "household": "4",
        "owner": "no",
    }


@pytest.fixture
def citizen_make_case(world, procedures, citizen_answers, citizen_private_media) -> Callable[..., Any]:
    """Submit a case through the real service for Salé's citizen (or another one), optionally moved on by staff:
    `make(state="returned")`, `make(state="closed")`, ... Returns the case, fresh from the database."""
    from jamaa.cases import services
    from jamaa.cases.models import Case
    from jamaa.core import tenancy

    staff_moves = {
        "submitted": [],
        "in_review": ["start_review"],
        "returned": ["start_review", "return"],
        "approved": ["start_review", "approve"],
        "rejected": ["start_review", "reject"],
        "act_issued": ["start_review", "approve", "issue_act"],
        "closed": ["start_review", "approve", "issue_act", "close"],
    }

    def make(*, state: str = "submitted", citizen: Any = None, commune: Any = None, procedure: Any = None,
             data: dict[str, Any] | None = None, key: str = "") -> Case:
        commune = commune or world.sale
        citizen = citizen or world.citizen_sale
        procedure = procedure or (procedures.sale_residence if commune == world.sale
                                  else procedures.temara_residence)
        answers = dict(data or citizen_answers)
        if commune != world.sale:
            from jamaa.core.models import Arrondissement

            with tenancy.scope(commune):
                first = Arrondissement.objects.first()
            answers.pop("arrondissement", None)
            if first is not None:
                answers["arrondissement"] = str(first.pk)
        agent = world.agent_sale if commune == world.sale else world.agent_temara
        with tenancy.scope(commune):
            case = services.case_submit(
                commune=commune, procedure=procedure, data=answers, files=[("doc__proof", pdf_upload())],
                citizen=citizen, submission_key=key, language="ar",
            )
            for move in staff_moves[state]:
                extra: dict[str, Any] = {}
                if move == "return":
                    extra = {"missing": ["عقد الكراء", "Une photo de la façade"],
                             "public_text": "Il manque le contrat de bail."}
                if move == "reject":
                    extra = {"public_text": "Vous n'habitez pas la commune."}
                case = services.case_transition(case=case, name=move, actor=agent, by_staff=True, **extra)
            return Case.objects.get(pk=case.pk)

    return make

