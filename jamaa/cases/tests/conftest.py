"""Fixtures of the cases app's tests. Staff back office: `staff_*` (cases made directly, logged-in staff clients)."""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from conftest import host_client, login_staff

_staff_numbers = itertools.count(1)


@pytest.fixture
def staff_make_case(world, procedures) -> Callable[..., Any]:
    """Make a submitted case in Salé directly (no service): residence certificate, état civil, due in 5 days.

    Keyword arguments override the case's fields (state, due_date, procedure, department, citizen, ...)."""
    from jamaa.cases.models import Case, CaseState
    from jamaa.core import tenancy

    def make(**fields: Any) -> Case:
        number = next(_staff_numbers)
        procedure = fields.pop("procedure", procedures.sale_residence)
        now = timezone.now()
        values: dict[str, Any] = {
            "commune": world.sale, "procedure": procedure, "department_id": procedure.department_id,
            "state": CaseState.SUBMITTED, "citizen": world.citizen_sale, "reference": f"SAL-2026-{number:06d}",
            "year": 2026, "number": number, "submitted_at": now, "due_date": timezone.localdate() +
            datetime.timedelta(days=30), "deadline_amount": 5, "deadline_unit": "working",
            "legal_basis": "Loi 55-19", "data": {"address": "12 rue des Orangers", "purpose": "work"},
            "tracking_code": "ABCDEFGHJK",
        }
        values.update(fields)
        with tenancy.unscoped():
            return Case.all_communes.create(**values)

    return make


def _staff_client(world, user):
    return login_staff(host_client("sale.localhost"), user)


@pytest.fixture
def staff_agent_client(world):
    return _staff_client(world, world.agent_sale)


@pytest.fixture
def staff_head_client(world):
    return _staff_client(world, world.head_sale)


@pytest.fixture
def staff_admin_client(world):
    return _staff_client(world, world.admin_sale)


@pytest.fixture
def staff_leader_client(world):
    return _staff_client(world, world.leader_sale)


@pytest.fixture
def staff_urbanisme_agent(world):
    """A second agent of Salé, in the urbanisme department."""
    from django.utils import timezone as tz
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from jamaa.core.models import Membership, Role, User

    user = User.objects.create_user("urba@sale.example.ma", world.password, full_name="Rachid Urbanisme",
                                    contact_verified=True)
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    Membership.all_communes.create(commune=world.sale, user=user, role=Role.AGENT,
                                   department=world.sale_urbanisme, accepted_at=tz.now())
    return user


# Citizen pages (`citizen_*`): defined in citizen_fixtures.py.
from jamaa.cases.tests.citizen_fixtures import *  # noqa: E402, F403


@pytest.fixture
def staff_private_root(settings, tmp_path):
    """Attachments stored under the test's temporary directory."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT
