"""Training on a commune's own past complaints: it learns the commune's words, stays the commune's own, survives a
trip through the database, and the command reports how well it does."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from jamaa.complaints import classifier, services
from jamaa.complaints.models import Category, ClassifierModel, Complaint, ComplaintState
from jamaa.core import tenancy

pytestmark = pytest.mark.django_db

# "الطوبيس" (the bus) is in no category's names or keywords: only the commune's complaints can teach it.
BUS_COMPLAINTS = [
    "الطوبيس كيوقف قدام الدار ديالي",
    "الطوبيس ديما واقف هنا حتى لنص الليل",
    "الطوبيسات كيباتو فالبلاصة ديال الدراري",
    "شوفو لينا حل مع الطوبيس اللي كيوقف هنا",
    "الطوبيس كيسد علينا الباب كل صباح",
    "محطة الطوبيس ولات فوسط الحومة",
    "le طوبيس stationne devant chez nous, الطوبيس",
    "الطوبيس واقف ليل ونهار",
    "الطوبيس كيخلي الموطور خدام",
    "بزاف ديال الطوبيسات فهاد البلاصة",
    "الطوبيس كيوقف فين ما بغا",
    "عيينا من الطوبيس",
]
BUS_TEXT = "الطوبيس ديما كيوقف هنا"


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    classifier.clear_cache()
    with tenancy.unscoped():
        yield
    classifier.clear_cache()


def file(cworld: Any, commune: str, code: str, description: str, **extra: Any) -> Complaint:
    w = cworld.w
    sale = commune == "sale"
    lat, lon = cworld.sale_point if sale else cworld.temara_point
    return services.complaint_submit(
        commune=w.sale if sale else w.temara, category=cworld.category(code, commune), description=description,
        lat=lat, lon=lon, citizen=w.citizen_sale if sale else w.citizen_temara, **extra)


def codes(commune: Any, text: str) -> list[str]:
    return [s.category.code for s in classifier.suggest(commune, text)]


def test_training_on_past_complaints_teaches_the_communes_own_words(cworld: Any) -> None:
    assert "occupation" not in codes(cworld.w.sale, BUS_TEXT)
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)

    record = classifier.train(cworld.w.sale)

    assert record is not None and record.samples == len(BUS_COMPLAINTS)
    suggestions = classifier.suggest(cworld.w.sale, BUS_TEXT)
    assert suggestions[0].category.code == "occupation"
    assert suggestions[0].score > 0.5
    # What the categories' keywords taught it is still there.
    assert codes(cworld.w.sale, "lampadaire éteint depuis une semaine")[0] == "eclairage-panne"
    assert "voirie-nid-de-poule" in codes(cworld.w.sale, "kayn wa7ed l7efra kbira f triq")


def test_another_communes_complaints_do_not_change_its_suggestions(cworld: Any) -> None:
    before = classifier.suggest(cworld.w.sale, BUS_TEXT)
    before_lamp = classifier.suggest(cworld.w.sale, "lampadaire éteint depuis une semaine")
    for text in BUS_COMPLAINTS:
        file(cworld, "temara", "occupation", text)

    temara = classifier.train(cworld.w.temara)
    classifier.clear_cache()

    assert temara is not None and temara.samples == len(BUS_COMPLAINTS)
    assert codes(cworld.w.temara, BUS_TEXT)[0] == "occupation"
    assert classifier.suggest(cworld.w.sale, BUS_TEXT) == before
    assert classifier.suggest(cworld.w.sale, "lampadaire éteint depuis une semaine") == before_lamp
    assert not ClassifierModel.all_communes.filter(commune=cworld.w.sale).exists()
    # Training Salé reads none of Témara's complaints either.
    assert classifier.train(cworld.w.sale).samples == 0  # type: ignore[union-attr]
    assert "occupation" not in codes(cworld.w.sale, BUS_TEXT)


def test_the_model_round_trips_through_the_database(cworld: Any) -> None:
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)
    record = classifier.train(cworld.w.sale)
    assert record is not None
    in_memory = classifier.suggest(cworld.w.sale, BUS_TEXT)

    classifier.clear_cache()  # as a new process: the model comes from the database
    stored = ClassifierModel.all_communes.get(commune=cworld.w.sale)

    assert stored.samples == len(BUS_COMPLAINTS) and len(bytes(stored.blob)) > 1000
    assert classifier.suggest(cworld.w.sale, BUS_TEXT) == in_memory
    assert in_memory[0].category.code == "occupation"


def test_training_again_replaces_the_stored_model(cworld: Any) -> None:
    first = classifier.train(cworld.w.sale, now=timezone.now() - timedelta(days=1))
    assert first is not None and "occupation" not in codes(cworld.w.sale, BUS_TEXT)
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)

    second = classifier.train(cworld.w.sale)

    assert second is not None and second.pk == first.pk and second.trained_at > first.trained_at
    assert ClassifierModel.all_communes.filter(commune=cworld.w.sale).count() == 1
    assert codes(cworld.w.sale, BUS_TEXT)[0] == "occupation"


def test_complaints_received_after_the_training_time_are_left_out(cworld: Any) -> None:
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)

    record = classifier.train(cworld.w.sale, now=timezone.now() - timedelta(hours=1))

    assert record is not None and record.samples == 0


def test_rejected_complaints_and_switched_off_categories_are_not_learnt(cworld: Any) -> None:
    complaints = [file(cworld, "sale", "occupation", text) for text in BUS_COMPLAINTS[:6]]
    Complaint.all_communes.filter(pk__in=[c.pk for c in complaints[:2]]).update(state=ComplaintState.REJECTED)
    for text in BUS_COMPLAINTS[6:9]:
        file(cworld, "sale", "bruit", text)
    Category.all_communes.filter(pk=cworld.category("bruit").pk).update(is_active=False)

    record = classifier.train(cworld.w.sale)

    assert record is not None and record.samples == 4
    assert "bruit" not in codes(cworld.w.sale, BUS_TEXT)


def test_a_category_nobody_filed_in_yet_is_still_suggested_after_training(cworld: Any) -> None:
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)
    classifier.train(cworld.w.sale)

    assert codes(cworld.w.sale, "الكلاب الضالة كثيرة فالحي")[0] == "animaux"
    assert "espaces-verts-arbre" in codes(cworld.w.sale, "chajra ta7t 3la triq")


def test_an_unreadable_stored_model_falls_back_to_the_categories(cworld: Any) -> None:
    classifier.train(cworld.w.sale)
    ClassifierModel.all_communes.filter(commune=cworld.w.sale).update(blob=b"not a model")
    classifier.clear_cache()

    assert codes(cworld.w.sale, "lampadaire éteint depuis une semaine")[0] == "eclairage-panne"


def test_a_model_stored_by_another_version_is_ignored(cworld: Any) -> None:
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)
    classifier.train(cworld.w.sale)
    stored = ClassifierModel.all_communes.get(commune=cworld.w.sale)
    payload = pickle.loads(bytes(stored.blob))
    payload["format"] = classifier.FORMAT + 1
    ClassifierModel.all_communes.filter(pk=stored.pk).update(blob=pickle.dumps(payload))
    classifier.clear_cache()

    assert "occupation" not in codes(cworld.w.sale, BUS_TEXT)  # the seed model, until trained again
    assert codes(cworld.w.sale, "lampadaire éteint depuis une semaine")[0] == "eclairage-panne"


def test_the_held_out_check_measures_accuracy_on_unseen_complaints(cworld: Any) -> None:
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)
    for text in ["الضو طافي فالزنقة", "lampadaire éteint", "daw tafi", "الزنقة ظلام بلا ضو", "lampadaire grillé"]:
        file(cworld, "sale", "eclairage-panne", text)

    result = classifier.evaluate(cworld.w.sale)

    assert result.complaints == len(BUS_COMPLAINTS) + 5 and result.tested == 3
    assert result.top1 >= 2 / 3 and result.top3 == 1.0
    assert not ClassifierModel.all_communes.exists()  # a check stores nothing


# --- the command ----------------------------------------------------------------------------------------------------


def test_the_command_trains_one_commune_and_reports_samples_and_accuracy(cworld: Any) -> None:
    for text in BUS_COMPLAINTS:
        file(cworld, "sale", "occupation", text)
    out = StringIO()

    call_command("train_complaint_classifier", "--commune", "sale", stdout=out)

    text = out.getvalue()
    assert "held-out check on 2 of 12 complaints" in text and "among the first three 100%" in text
    assert "trained on 12 past complaints" in text
    assert ClassifierModel.all_communes.get(commune=cworld.w.sale).samples == 12
    assert not ClassifierModel.all_communes.filter(commune=cworld.w.temara).exists()


def test_the_command_trains_every_commune_without_complaints_too(cworld: Any) -> None:
    out = StringIO()

    call_command("train_complaint_classifier", stdout=out)

    assert "too few to hold some out" in out.getvalue()
    assert out.getvalue().count("trained on 0 past complaints") == 2
    assert ClassifierModel.all_communes.count() == 2


def test_the_command_refuses_an_unknown_commune(cworld: Any) -> None:
    with pytest.raises(CommandError, match="No commune with the slug 'nowhere'"):
        call_command("train_complaint_classifier", "--commune", "nowhere", stdout=StringIO())
