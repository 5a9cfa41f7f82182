"""Fixtures of the documents app: acts issued through the real services (submit, review, approve, issue)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORD
from jamaa.cases.tests.service_fixtures import pdf_upload

HOLDER_AR = "فاطمة الزهراء بناني"
ADDRESS_AR = "حي الرحمة زنقة 12 رقم 5"
CIN = "AB123456"


@pytest.fixture
def arabic_citizen(world):
    """A Salé citizen whose name is written in Arabic (the name printed on her acts)."""
    from jamaa.core.models import User

    return User.objects.create_user("+212611223344", PASSWORD, full_name=HOLDER_AR, contact_verified=True,
                                    signup_commune=world.sale)


@pytest.fixture
def documents_root(settings, tmp_path):
    """Issued PDFs (and attachments) under the test's temporary directory."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT


@pytest.fixture
def issue_act(world, procedures, arabic_citizen, documents_root) -> Callable[..., Any]:
    """Issue a residence certificate through the real services; returns the IssuedDocument.

    Keyword arguments: `citizen` (default: the Arabic-named citizen), `commune` ("sale" or "temara"), `answers`
    (changes to the form's answers)."""
    from jamaa.cases import services
    from jamaa.core.models import Arrondissement
    from jamaa.documents.models import IssuedDocument

    def issue(*, citizen: Any = None, commune: str = "sale", **answers: Any) -> Any:
        target = world.sale if commune == "sale" else world.temara
        procedure = procedures.sale_residence if commune == "sale" else procedures.temara_residence
        agent = world.agent_sale if commune == "sale" else world.agent_temara
        citizen = citizen or (arabic_citizen if commune == "sale" else world.citizen_temara)
        arrondissement = Arrondissement.all_communes.filter(commune=target).order_by("position").first()
        data: dict[str, Any] = {"address": ADDRESS_AR, "cin": CIN, "since": "2019-03-01", "purpose": "work",
                                "owner": "no"}
        if arrondissement is not None:
            data["arrondissement"] = str(arrondissement.pk)
        data.update(answers)
        case = services.case_submit(commune=target, procedure=procedure, data=data,
                                    files=[("doc__proof", pdf_upload())], citizen=citizen)
        for move in ("start_review", "approve", "issue_act"):
            case = services.case_transition(case=case, name=move, actor=agent, by_staff=True)
        return IssuedDocument.all_communes.get(case=case)

    return issue


@pytest.fixture
def fresh_trust_list() -> Iterator[None]:
    """Each test has its own keys: never reuse the trust list another test cached (on_commit does not run here).
    Modules that verify use it for every test: `pytestmark = [..., pytest.mark.usefixtures("fresh_trust_list")]`."""
    from django.core.cache import cache

    from jamaa.documents import verification

    cache.delete(verification.TRUST_LIST_CACHE_KEY)
    yield
    cache.delete(verification.TRUST_LIST_CACHE_KEY)


@pytest.fixture
def act_file(issue_act, tmp_path: Path) -> tuple[Any, Path]:
    """An issued act and its PDF copied to a file, as the citizen downloads it."""
    document = issue_act()
    path = tmp_path / "act.pdf"
    with document.pdf.open("rb") as file:
        path.write_bytes(file.read())
    return document, path
