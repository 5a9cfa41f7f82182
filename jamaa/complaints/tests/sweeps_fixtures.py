"""Helpers of the deadline and sweep tests: the staff around Salé's hygiene department, filing at a chosen moment, and
reading the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django.utils import translation

from jamaa.complaints import services
from jamaa.complaints.models import Complaint
from jamaa.core import tenancy
from jamaa.core.calendar import CASABLANCA
from jamaa.core.models import Department, Membership, Role
from jamaa.notifications.models import OutboundMessage


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    """A moment in Morocco."""
    return datetime(year, month, day, hour, minute, tzinfo=CASABLANCA)


@dataclass
class Team:
    hygiene_agent: Any  # Salé, hygiene, agent, reads French
    hygiene_head: Any  # Salé, hygiene, head, reads Arabic
    hygiene_gone: Any  # Salé, hygiene, membership deactivated
    hygiene_invited: Any  # Salé, hygiene, invitation not accepted yet
    temara_hygiene_agent: Any  # Témara, hygiene, agent
    temara_hygiene: Department


@pytest.fixture
def team(cworld: Any) -> Team:
    from conftest import _staff, _user

    w = cworld.w
    with tenancy.unscoped():
        agent = cworld.hygiene_agent
        agent.language = "fr"
        agent.save(update_fields=["language"])
        head = _user("chef.hygiene@sale.example.ma", "Latifa Hygiène", language="ar")
        _staff(w.sale, head, Role.HEAD, cworld.sale_hygiene)
        gone = _user("ancien.hygiene@sale.example.ma", "Ancien Agent")
        Membership.all_communes.create(commune=w.sale, user=gone, role=Role.AGENT, department=cworld.sale_hygiene,
                                       is_active=False, accepted_at=at(2026, 1, 5))
        invited = _user("invite.hygiene@sale.example.ma", "Agent Invité")
        Membership.all_communes.create(commune=w.sale, user=invited, role=Role.AGENT, department=cworld.sale_hygiene)
        temara_hygiene = Department.all_communes.get(commune=w.temara, code="hygiene")
        temara_agent = _user("hygiene@temara.example.ma", "Agent Témara")
        _staff(w.temara, temara_agent, Role.AGENT, temara_hygiene)
    return Team(hygiene_agent=agent, hygiene_head=head, hygiene_gone=gone, hygiene_invited=invited,
                temara_hygiene_agent=temara_agent, temara_hygiene=temara_hygiene)


def file(cworld: Any, when: datetime, code: str = "dechets-non-collectes", commune: str = "sale",
         target_days: int | None = None, point: tuple[float, float] | None = None, **extra: Any) -> Complaint:
    """A report filed by the commune's citizen at `when` (the category's target changed first when asked)."""
    w = cworld.w
    category = cworld.category(code, commune)
    with tenancy.unscoped():
        if target_days is not None:
            category.target_days = target_days
            category.save(update_fields=["target_days"])
        return services.complaint_submit(
            commune=w.sale if commune == "sale" else w.temara, category=category,
            description="Les ordures ne sont pas ramassées depuis une semaine.",
            lat=(point or (cworld.sale_point if commune == "sale" else cworld.temara_point))[0],
            lon=(point or (cworld.sale_point if commune == "sale" else cworld.temara_point))[1],
            citizen=extra.pop("citizen", w.citizen_sale if commune == "sale" else w.citizen_temara), now=when,
            **extra)


def move(complaint: Complaint, name: str, actor: Any, when: datetime, text: str = "") -> Complaint:
    with tenancy.unscoped():
        return services.complaint_transition(complaint=complaint, name=name, actor=actor, text=text, now=when)


def sent(template: str) -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(template=template).select_related("user").order_by("pk"))


def recipients(template: str) -> list[str]:
    return sorted(m.user.username for m in sent(template))


def fresh(complaint: Complaint) -> Complaint:
    with tenancy.unscoped():
        return Complaint.all_communes.select_related("case").get(pk=complaint.pk)


def in_language(language: str, msgid: str) -> str:
    with translation.override(language):
        return translation.gettext(msgid)
