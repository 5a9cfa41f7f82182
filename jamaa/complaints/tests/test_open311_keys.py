"""Open311 keys: issued once by a commune administrator (only the hash kept), revoked, checked per commune."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from jamaa.complaints.models import Open311Key
from jamaa.complaints.open311_keys import hash_key, open311_key_check, open311_key_issue, open311_key_revoke
from jamaa.core.models import AuditEvent


def test_an_administrator_gets_the_key_once_and_only_its_hash_is_kept(world: Any) -> None:
    key, raw = open311_key_issue(commune=world.sale, name="  Salé   citizen app ", actor=world.admin_sale)
    stored = Open311Key.all_communes.get(pk=key.pk)
    assert stored.name == "Salé citizen app"
    assert stored.key_hash == hash_key(raw) and raw not in stored.key_hash
    assert raw.startswith(stored.prefix) and len(stored.prefix) == 8
    assert len(raw) > 40
    assert stored.created_by == world.admin_sale and stored.revoked_at is None
    event = AuditEvent.all_communes.get(action="open311_key.issued")
    assert raw not in str(event.details)
    assert open311_key_check(world.sale, raw) == stored


def test_two_keys_differ(world: Any) -> None:
    _a, raw_a = open311_key_issue(commune=world.sale, name="A", actor=world.admin_sale)
    _b, raw_b = open311_key_issue(commune=world.sale, name="B", actor=world.admin_sale)
    assert raw_a != raw_b


@pytest.mark.parametrize("who", ["agent_sale", "head_sale", "leader_sale", "citizen_sale", "admin_temara"])
def test_only_the_communes_administrators_issue_keys(world: Any, who: str) -> None:
    with pytest.raises(PermissionDenied):
        open311_key_issue(commune=world.sale, name="App", actor=getattr(world, who))
    with pytest.raises(PermissionDenied):
        open311_key_issue(commune=world.sale, name="App", actor=None)
    assert not Open311Key.all_communes.exists()


def test_a_key_needs_a_name(world: Any) -> None:
    with translation.override("en"):
        with pytest.raises(ValidationError) as exc:
            open311_key_issue(commune=world.sale, name="   ", actor=world.admin_sale)
        assert exc.value.message_dict == {"name": ["Name the application that will use this key."]}
    with pytest.raises(ValidationError):
        open311_key_issue(commune=world.sale, name="x" * 101, actor=world.admin_sale)


def test_a_revoked_key_is_refused_and_revoking_twice_says_so(world: Any) -> None:
    key, raw = open311_key_issue(commune=world.sale, name="App", actor=world.admin_sale)
    with pytest.raises(PermissionDenied):
        open311_key_revoke(key=key, actor=world.agent_sale)
    with pytest.raises(PermissionDenied):
        open311_key_revoke(key=key, actor=world.admin_temara)
    assert open311_key_check(world.sale, raw) is not None
    assert open311_key_revoke(key=key, actor=world.admin_sale) is True
    assert key.revoked_at is not None
    assert open311_key_revoke(key=key, actor=world.admin_sale) is False
    assert open311_key_check(world.sale, raw) is None
    assert AuditEvent.all_communes.filter(action="open311_key.revoked").count() == 1


def test_a_key_works_only_for_its_commune_and_notes_its_use(world: Any) -> None:
    key, raw = open311_key_issue(commune=world.sale, name="App", actor=world.admin_sale)
    assert key.last_used_at is None
    assert open311_key_check(world.temara, raw) is None
    assert open311_key_check(None, raw) is None
    assert open311_key_check(world.sale, "") is None
    assert open311_key_check(world.sale, raw + "x") is None
    assert open311_key_check(world.sale, "x" * 10_000) is None
    checked = open311_key_check(world.sale, raw)
    assert checked is not None and checked.last_used_at is not None
    assert Open311Key.all_communes.get(pk=key.pk).last_used_at is not None
