"""The scheduled jobs of complaints: when they run, that they sweep every commune from the real clock, and the nightly
training of each active commune's classifier."""

from __future__ import annotations

import sys
import types
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest

from jamaa.complaints.models import ClassifierModel, ComplaintState
from jamaa.complaints.tests.sweeps_fixtures import Team, at, file, fresh, move, recipients
from jamaa.complaints.tests.sweeps_fixtures import team as team  # the fixture
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db


def job(name: str) -> Any:
    from crontask import scheduler

    import jamaa.complaints.tasks  # noqa: F401 - registers the jobs

    [found] = [j for j in scheduler.get_jobs() if j.name == name]
    return found


@pytest.mark.parametrize(("name", "hour", "minute"), [
    ("complaint_deadline_sweeps", "8", "0"), ("complaint_auto_close", "3", "0"),
    ("complaint_retrain_classifiers", "1", "30"),
])
def test_the_jobs_are_scheduled_daily_in_casablanca_time(name: str, hour: str, minute: str) -> None:
    trigger = job(name).trigger
    assert str(trigger.timezone) == "Africa/Casablanca"
    assert f"hour='{hour}'" in str(trigger) and f"minute='{minute}'" in str(trigger)
    assert "day_of_week='*'" in str(trigger)


def test_the_morning_job_reminds_and_escalates_in_every_commune(cworld: Any, team: Team) -> None:
    from jamaa.complaints.tasks import complaint_deadline_sweeps

    file(cworld, at(2026, 7, 20))
    file(cworld, at(2026, 7, 20), commune="temara")

    # 21 September 2026, 07:00 UTC is 08:00 in Casablanca: both complaints are past their target and legal dates.
    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 9, 21, 7, 0, tzinfo=UTC)):
        assert complaint_deadline_sweeps.call() == {"reminded": 2, "escalated": 2}
        assert complaint_deadline_sweeps.call() == {"reminded": 0, "escalated": 0}

    assert "hygiene@temara.example.ma" in recipients("complaint_reminder")
    assert "admin@temara.example.ma" in recipients("complaint_escalation")


def test_the_night_job_closes_uncontested_answers(cworld: Any) -> None:
    from jamaa.complaints.tasks import complaint_auto_close

    complaint = move(file(cworld, at(2026, 7, 20)), "resolve", cworld.hygiene_agent, at(2026, 8, 3),
                     "Collecte faite.")

    with mock.patch("django.utils.timezone.now", return_value=datetime(2026, 8, 20, 2, 0, tzinfo=UTC)):
        assert complaint_auto_close.call() == 1
        assert complaint_auto_close.call() == 0

    assert fresh(complaint).state == ComplaintState.CLOSED


def test_the_classifiers_of_active_communes_are_trained_and_one_failure_stops_no_other(
        cworld: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from jamaa.complaints.tasks import complaint_retrain_classifiers

    trained: list[str] = []

    def train(commune: Any, **_kwargs: Any) -> Any:
        if commune.slug == "sale":
            raise RuntimeError("corrupt data")
        trained.append(commune.slug)
        return object()

    fake = types.ModuleType("jamaa.complaints.classifier")
    fake.train = train  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "jamaa.complaints.classifier", fake)
    with tenancy.unscoped():
        from jamaa.core.models import Commune

        Commune.objects.create(slug="ferme", code="FRM", name_ar="مغلقة", name_fr="Fermée", is_active=False)

    assert complaint_retrain_classifiers.call() == {"trained": 1, "skipped": 0, "failed": 1}
    assert trained == ["temara"]


def test_the_night_training_stores_a_model_per_commune(cworld: Any) -> None:
    from jamaa.complaints.tasks import complaint_retrain_classifiers

    file(cworld, at(2026, 7, 20))

    result = complaint_retrain_classifiers.call()

    assert result == {"trained": 2, "skipped": 0, "failed": 0}
    with tenancy.unscoped():
        models = {m.commune.slug: m for m in ClassifierModel.all_communes.select_related("commune")}
    assert set(models) == {"sale", "temara"}
    assert models["sale"].samples == 1 and models["temara"].samples == 0
