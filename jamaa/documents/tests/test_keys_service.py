"""The communes' QR signing keys: windows, rotation, the trust list and its public endpoint."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from jamaa.core import tenancy
from jamaa.core.models import AuditEvent
from jamaa.core.tenancy import ScopeError
from jamaa.documents import keys, payload, services
from jamaa.documents.models import SigningKey

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_keys_yet(world):
    """These tests build each commune's keys from nothing: drop the keys the `world` fixture gives them."""
    SigningKey.all_communes.all().delete()


def claims(issuer: str, issued_at: datetime) -> payload.Claims:
    return payload.Claims(issuer=issuer, kind="residence", reference="SAL-2026-000001", holder="Fatima Bennani",
                          issued_at=issued_at)


def test_a_new_key_is_published_before_use_and_its_private_key_is_encrypted_at_rest(world):
    key = services.key_create(commune=world.sale, now=T0)
    assert key.published_at == T0 and key.valid_from == T0 + timedelta(days=7) and key.valid_until is None
    assert key.public_jwk["crv"] == "P-256" and key.algorithm == "ES256"
    private = services.load_private_key(key)
    assert key.kid == keys.b64url_encode(keys.key_id(private.public_key()))
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("SELECT private_key_pem FROM documents_signingkey WHERE id = %s", [key.pk])
        stored = cursor.fetchone()[0]
    assert "PRIVATE KEY" not in stored and "PRIVATE KEY" in SigningKey.all_communes.get(pk=key.pk).private_key_pem
    with tenancy.unscoped():
        assert AuditEvent.objects.filter(action="documents.signing_key.created", commune=world.sale,
                                         target_id=str(key.pk)).count() == 1


def test_rotation_closes_the_old_window_at_the_new_keys_first_day(world):
    first = services.key_create(commune=world.sale, publish_days_before_use=0, now=T0)
    later = T0 + timedelta(days=100)
    second = services.key_rotate(commune=world.sale, now=later)
    first.refresh_from_db()
    assert first.valid_until == second.valid_from == later + timedelta(days=7)
    assert first.retired_at == later and second.valid_until is None

    assert services.current_signing_key(world.sale, at=T0 - timedelta(seconds=1)) is None
    assert services.current_signing_key(world.sale, at=T0) == first
    assert services.current_signing_key(world.sale, at=later + timedelta(days=3)) == first  # announced, not used yet
    assert services.current_signing_key(world.sale, at=later + timedelta(days=7)) == second
    assert services.current_signing_key(world.temara, at=later + timedelta(days=7)) is None


def test_the_trust_list_lists_published_keys_and_drops_a_retired_key_that_signed_nothing(world):
    old = services.key_create(commune=world.sale, publish_days_before_use=0, now=T0)
    new = services.key_rotate(commune=world.sale, now=T0 + timedelta(days=30))
    temara = services.key_create(commune=world.temara, now=T0 + timedelta(days=40))

    listed = services.trust_list(now=T0 + timedelta(days=31))
    assert [c.code for c in listed.communes] == ["SAL"]  # Témara's key is not published yet
    loaded = keys.TrustList.from_json(listed.to_json())
    assert [keys.b64url_encode(k.kid) for k in loaded.communes[0].keys] == [old.kid, new.kid]
    assert loaded.communes[0].host == "sale.localhost" and loaded.communes[0].name == "Salé"
    assert loaded.communes[0].keys[0].valid_until == new.valid_from

    years_on = services.trust_list(now=datetime(2031, 6, 1, tzinfo=UTC))
    assert [[keys.b64url_encode(k.kid) for k in c.keys] for c in years_on.communes] == [[new.kid], [temara.kid]]


def test_a_payload_signed_with_a_database_key_verifies_against_the_served_trust_list(world, sale_client):
    key = services.key_create(commune=world.sale, publish_days_before_use=0)
    signing_key = services.current_signing_key(world.sale, at=datetime.now(UTC))
    assert signing_key == key
    signed = payload.sign_payload(claims("SAL", datetime.now(UTC)), private_key=services.load_private_key(key),
                                  kid=keys.b64url_decode(key.kid))
    served = keys.TrustList.from_json(sale_client.get("/.well-known/jamaa/trust-list.json").content)
    verified = payload.verify(signed, trust_list=served)
    assert verified.commune.code == "SAL" and verified.claims.reference == "SAL-2026-000001"
    with pytest.raises(payload.IssuerMismatch):
        forged = payload.sign_payload(claims("TEM", datetime.now(UTC)), private_key=services.load_private_key(key),
                                      kid=keys.b64url_decode(key.kid))
        payload.verify(forged, trust_list=served)


@pytest.mark.parametrize("client_fixture", ["sale_client", "temara_client", "platform_client"])
def test_the_trust_list_is_served_on_every_host(world, client_fixture, request):
    services.key_create(commune=world.sale, publish_days_before_use=0)
    services.key_create(commune=world.temara, publish_days_before_use=0)
    response = request.getfixturevalue(client_fixture).get("/.well-known/jamaa/trust-list.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Cache-Control"] == "public, max-age=300"
    data = json.loads(response.content)
    assert list(data) == ["version", "issued_at", "seal_anchors", "communes"]
    assert [c["code"] for c in data["communes"]] == ["SAL", "TEM"]
    assert list(data["communes"][0]) == ["code", "name", "host", "keys", "seal_certificates"]
    assert list(data["communes"][0]["keys"][0]) == ["kid", "alg", "jwk", "valid_from", "valid_until"]
    assert "d" not in data["communes"][0]["keys"][0]["jwk"]  # never the private part


def test_the_trust_list_publishes_the_seal_anchor_and_each_communes_own_seal_certificate(world, platform_client):
    from cryptography import x509

    from jamaa.documents import sealing

    services.key_create(commune=world.sale, publish_days_before_use=0)
    services.key_create(commune=world.temara, publish_days_before_use=0)
    data = json.loads(platform_client.get("/.well-known/jamaa/trust-list.json").content)
    anchors = [x509.load_pem_x509_certificate(pem.encode()) for pem in data["seal_anchors"]]
    assert anchors == sealing.trust_anchors() and len(anchors) == 1
    seals = {c["code"]: [x509.load_pem_x509_certificate(pem.encode()) for pem in c["seal_certificates"]]
             for c in data["communes"]}
    assert seals["SAL"] == [sealing.seal_certificate(world.sale)]
    assert seals["TEM"] == [sealing.seal_certificate(world.temara)] and seals["SAL"] != seals["TEM"]
    assert seals["SAL"][0].issuer == anchors[0].subject
    loaded = keys.TrustList.from_json(json.dumps(data))
    assert loaded.seal_anchors == tuple(anchors)
    assert loaded.commune("SAL").seals_with(keys.certificate_fingerprint(seals["SAL"][0]))
    assert not loaded.commune("SAL").seals_with(keys.certificate_fingerprint(seals["TEM"][0]))


def test_a_trust_list_without_seal_fields_still_reads_and_a_bad_certificate_is_refused(world):
    services.key_create(commune=world.sale, publish_days_before_use=0)
    data = services.trust_list().to_dict()
    del data["seal_anchors"]
    del data["communes"][0]["seal_certificates"]
    older = keys.TrustList.from_dict(data)
    assert older.seal_anchors == () and older.communes[0].seal_certificates == ()
    assert len(older.communes[0].keys) == 1
    with pytest.raises(keys.TrustListError):
        keys.TrustList.from_dict({**data, "seal_anchors": ["not a certificate"]})
    with pytest.raises(keys.TrustListError):
        keys.TrustList.from_dict({**data, "seal_anchors": "-----BEGIN CERTIFICATE-----"})


def test_a_commune_whose_seal_is_not_configured_keeps_its_qr_keys_listed(world, settings):
    settings.DOCUMENT_SEAL_SOURCE = "file"
    settings.DOCUMENT_SEAL_TRUST_ANCHORS = []
    services.key_create(commune=world.sale, publish_days_before_use=0)
    listed = services.trust_list()
    assert listed.seal_anchors == () and listed.communes[0].seal_certificates == ()
    assert len(listed.communes[0].keys) == 1


def test_the_trust_list_refuses_writes(world, platform_client):
    assert platform_client.post("/.well-known/jamaa/trust-list.json").status_code == 405


def test_the_scoped_manager_keeps_keys_inside_their_commune(world):
    sale_key = services.key_create(commune=world.sale)
    with pytest.raises(ScopeError):
        list(SigningKey.objects.all())
    with tenancy.scope(world.temara):
        assert not SigningKey.objects.filter(pk=sale_key.pk).exists()
    with tenancy.scope(world.sale):
        assert SigningKey.objects.get(pk=sale_key.pk) == sale_key


def test_the_rotate_command_publishes_the_next_key(world):
    first = services.key_create(commune=world.sale, publish_days_before_use=0)
    out = io.StringIO()
    call_command("rotate_signing_key", "sale", "--days", "2", stdout=out)
    first.refresh_from_db()
    second = SigningKey.all_communes.get(commune=world.sale, valid_until__isnull=True)
    assert second.kid in out.getvalue() and first.valid_until == second.valid_from


@pytest.fixture
def media(tmp_path, settings):
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
    }}
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return tmp_path / "media"


def test_load_demo_gives_each_commune_one_usable_key_and_twice_no_more(media):
    call_command("load_demo", stdout=io.StringIO())
    first = list(SigningKey.all_communes.order_by("pk").values_list("kid", "commune__slug"))
    call_command("load_demo", stdout=io.StringIO())
    assert list(SigningKey.all_communes.order_by("pk").values_list("kid", "commune__slug")) == first
    assert sorted(slug for _kid, slug in first) == ["sale", "temara"]
    for key in SigningKey.all_communes.select_related("commune"):
        assert services.current_signing_key(key.commune, at=datetime.now(UTC)) == key
