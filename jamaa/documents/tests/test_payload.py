"""The signed QR payload (issue 4, section 2): signing, URL encoding, trust list and verification failures."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import random
import zlib
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
import segno
import zxingcpp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cwt import COSE, COSEKey
from PIL import Image

from jamaa.documents.keys import (
    TrustedCommune,
    TrustedKey,
    TrustList,
    TrustListError,
    b64url_encode,
    generate_private_key,
    key_id,
    public_jwk,
)
from jamaa.documents.payload import (
    BadSignature,
    Claims,
    IssuerMismatch,
    KeyExpired,
    KeyNotYetValid,
    MalformedPayload,
    UnknownKey,
    VerificationError,
    decode_url,
    encode_url,
    sign_payload,
    verify,
)

NOW = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)
BASE_URL = "https://sale.example.ma"


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return generate_private_key()


def make_trust_list(
    *keys: ec.EllipticCurvePrivateKey,
    valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    valid_until: datetime | None = None,
    code: str = "SALE",
) -> TrustList:
    entries = tuple(
        TrustedKey.for_public_key(k.public_key(), valid_from=valid_from, valid_until=valid_until) for k in keys
    )
    return TrustList.build([TrustedCommune(code, "Salé", "sale.example.ma", entries)], issued_at=NOW)


def residence_certificate(**changes: object) -> Claims:
    fields: dict[str, object] = {
        "issuer": "SALE",
        "kind": "RES",
        "reference": "SALE-RES-2026-004217",
        "holder": "فاطمة الزهراء بناني",
        "issued_at": NOW,
        "expires_at": NOW + timedelta(days=90),
        # 1: address, 2: national ID number (CIN), 3: resident since (year).
        "facts": {1: "حي السلام، زنقة المسيرة 12، رقم 34، سلا", 2: "AB123456", 3: 2011},
    }
    fields.update(changes)
    return Claims(**fields)  # type: ignore[arg-type]


def signed_url(key: ec.EllipticCurvePrivateKey, claims: Claims | None = None) -> str:
    signed = sign_payload(claims or residence_certificate(), private_key=key, kid=key_id(key.public_key()))
    return encode_url(BASE_URL, signed)


def test_round_trip(key: ec.EllipticCurvePrivateKey) -> None:
    url = signed_url(key)
    assert url.startswith("HTTPS://SALE.EXAMPLE.MA/V/")
    assert url == url.upper() and "=" not in url

    result = verify(decode_url(url), trust_list=make_trust_list(key), now=NOW)

    assert result.claims == residence_certificate()
    assert result.commune.code == "SALE"
    assert result.kid == key_id(key.public_key())
    assert not result.is_expired(NOW)
    assert result.is_expired(NOW + timedelta(days=91))


def test_protected_header_carries_alg_and_kid(key: ec.EllipticCurvePrivateKey) -> None:
    message = cbor2.loads(decode_url(signed_url(key)))
    assert message.tag == 18
    protected = cbor2.loads(message.value[0])
    assert protected == {1: -7, 4: key_id(key.public_key())}


def test_decode_url_accepts_lower_case(key: ec.EllipticCurvePrivateKey) -> None:
    url = signed_url(key)
    assert decode_url(url.lower()) == decode_url(url)


def test_tampered_claim_fails_with_bad_signature(key: ec.EllipticCurvePrivateKey) -> None:
    message = cbor2.loads(decode_url(signed_url(key)))
    claims = cbor2.loads(message.value[2])
    claims[4] = "فاطمة الزهراء العلوي"  # another holder name
    message.value[2] = cbor2.dumps(claims)
    tampered = encode_url(BASE_URL, cbor2.dumps(message))

    with pytest.raises(BadSignature) as excinfo:
        verify(decode_url(tampered), trust_list=make_trust_list(key), now=NOW)
    assert excinfo.value.reason == "bad_signature"


def test_signature_from_another_key_under_a_trusted_kid_fails(key: ec.EllipticCurvePrivateKey) -> None:
    forger = generate_private_key()
    signed = sign_payload(residence_certificate(), private_key=forger, kid=key_id(key.public_key()))
    with pytest.raises(BadSignature):
        verify(signed, trust_list=make_trust_list(key), now=NOW)


def test_unknown_key_fails(key: ec.EllipticCurvePrivateKey) -> None:
    url = signed_url(generate_private_key())
    with pytest.raises(UnknownKey) as excinfo:
        verify(decode_url(url), trust_list=make_trust_list(key), now=NOW)
    assert excinfo.value.reason == "unknown_key"


def test_key_of_another_commune_fails(key: ec.EllipticCurvePrivateKey) -> None:
    url = signed_url(key)
    with pytest.raises(IssuerMismatch):
        verify(decode_url(url), trust_list=make_trust_list(key, code="RABAT"), now=NOW)


def test_key_outside_its_validity_fails(key: ec.EllipticCurvePrivateKey) -> None:
    signed = decode_url(signed_url(key))
    retired = make_trust_list(
        key, valid_from=datetime(2025, 1, 1, tzinfo=UTC), valid_until=datetime(2026, 1, 1, tzinfo=UTC)
    )
    with pytest.raises(KeyExpired) as excinfo:
        verify(signed, trust_list=retired, now=NOW)
    assert excinfo.value.reason == "key_expired"

    future = make_trust_list(key, valid_from=NOW + timedelta(days=30))
    with pytest.raises(KeyNotYetValid):
        verify(signed, trust_list=future, now=NOW)


def test_retired_key_still_verifies_documents_issued_in_its_window(key: ec.EllipticCurvePrivateKey) -> None:
    """Rotation: a key whose window has closed keeps verifying what it signed while it was current."""
    trust_list = make_trust_list(key, valid_until=NOW + timedelta(days=1))
    assert verify(decode_url(signed_url(key)), trust_list=trust_list, now=NOW + timedelta(days=60)).claims.holder


def _compressed_url(data: bytes) -> str:
    return "HTTPS://SALE.EXAMPLE.MA/V/" + base64.b32encode(zlib.compress(data)).decode().rstrip("=")


@pytest.mark.parametrize(
    "url",
    [
        "",
        "HTTPS://SALE.EXAMPLE.MA/",
        "HTTPS://SALE.EXAMPLE.MA/X/MZXW6",
        "HTTPS://SALE.EXAMPLE.MA/V/",
        "HTTPS://SALE.EXAMPLE.MA/V/ABC0189",  # 0, 1, 8, 9 are not base32
        "HTTPS://SALE.EXAMPLE.MA/V/A",  # impossible base32 length
        "HTTPS://SALE.EXAMPLE.MA/V/MZXW6YTBOI",  # base32 of b"foobar", not zlib
        "HTTPS://SALE.EXAMPLE.MA/V/" + base64.b32encode(zlib.compress(b"x" * 10)[:-3]).decode().rstrip("="),
        "HTTPS://SALE.EXAMPLE.MA/V/" + base64.b32encode(zlib.compress(b"\0" * 100_000)).decode().rstrip("="),
        "http://[::1",
    ],
)
def test_malformed_url_fails_cleanly(url: str) -> None:
    with pytest.raises(MalformedPayload) as excinfo:
        decode_url(url)
    assert excinfo.value.reason == "malformed"


@pytest.mark.parametrize(
    "signed",
    [
        b"",
        b"\xff\xff",  # not CBOR
        cbor2.dumps("text"),
        cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"", []])),  # COSE_Sign, not Sign1
        cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b""])),
        cbor2.dumps(cbor2.CBORTag(18, [b"\xa0", {}, b"x", b"s" * 64])),  # no alg, no kid
        cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -35, 4: b"k"}), {}, b"x", b"s" * 96])),  # ES384
        cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps({1: -7}), {}, b"x", b"s" * 64])),  # no kid
        cbor2.dumps([[[[[]]]]] * 3),
    ],
)
def test_malformed_cose_fails_cleanly(signed: bytes, key: ec.EllipticCurvePrivateKey) -> None:
    with pytest.raises(MalformedPayload):
        verify(signed, trust_list=make_trust_list(key), now=NOW)
    with pytest.raises(MalformedPayload):
        verify(decode_url(_compressed_url(signed)), trust_list=make_trust_list(key), now=NOW)


def test_signed_garbage_claims_fail_as_malformed(key: ec.EllipticCurvePrivateKey) -> None:
    """A validly signed payload whose claims have the wrong shape is still rejected, without crashing."""
    kid = key_id(key.public_key())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    cose_key = COSEKey.from_pem(pem, alg="ES256", kid=kid)
    for body in (b"\xff", cbor2.dumps([1, 2]), cbor2.dumps({0: 1, 1: "SALE"}), cbor2.dumps({0: 2})):
        signed = COSE.new().encode(body, cose_key, protected={1: -7, 4: kid}, unprotected={})
        with pytest.raises(MalformedPayload):
            verify(signed, trust_list=make_trust_list(key), now=NOW)


def test_random_corruption_only_raises_verification_errors(key: ec.EllipticCurvePrivateKey) -> None:
    rng = random.Random(4)
    trust_list = make_trust_list(key)
    url = signed_url(key)
    prefix, payload = url.rsplit("/", 1)
    signed = decode_url(url)
    for _ in range(300):
        chars = list(payload)
        for _ in range(rng.randint(1, 3)):
            chars[rng.randrange(len(chars))] = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        corrupted = bytearray(signed)
        corrupted[rng.randrange(len(corrupted))] ^= 1 << rng.randrange(8)
        # Only a VerificationError may come out (any other exception fails the test). A changed last base32
        # character may touch only padding bits and still verify, so success is allowed here.
        with contextlib.suppress(VerificationError):
            verify(decode_url(f"{prefix}/{''.join(chars)}"), trust_list=trust_list, now=NOW)
        with contextlib.suppress(VerificationError):
            verify(bytes(corrupted), trust_list=trust_list, now=NOW)
    rng_bytes = [bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300))) for _ in range(200)]
    for data in rng_bytes:
        with pytest.raises(VerificationError):
            verify(data, trust_list=trust_list, now=NOW)


def test_encode_url_rejects_a_path_or_non_alphanumeric_host() -> None:
    with pytest.raises(ValueError):
        encode_url("https://sale.example.ma/fr/", b"x")
    with pytest.raises(ValueError):
        encode_url("https://sale_commune.example.ma", b"x")


def test_trust_list_json_round_trip(key: ec.EllipticCurvePrivateKey) -> None:
    trust_list = make_trust_list(key, valid_until=datetime(2027, 6, 30, tzinfo=UTC))
    data = json.loads(trust_list.to_json())

    assert data["version"] == 1 and data["issued_at"] == "2026-11-27T09:30:00Z"
    commune = data["communes"][0]
    assert (commune["code"], commune["name"], commune["host"]) == ("SALE", "Salé", "sale.example.ma")
    assert commune["keys"] == [
        {
            "kid": b64url_encode(key_id(key.public_key())),
            "alg": "ES256",
            "jwk": public_jwk(key.public_key()),
            "valid_from": "2026-01-01T00:00:00Z",
            "valid_until": "2027-06-30T00:00:00Z",
        }
    ]
    assert set(commune["keys"][0]["jwk"]) == {"kty", "crv", "x", "y"}

    loaded = TrustList.from_json(trust_list.to_json())
    assert loaded.to_dict() == data
    assert verify(decode_url(signed_url(key)), trust_list=loaded, now=NOW).commune.name == "Salé"


def test_trust_list_rejects_a_kid_that_does_not_match_its_key(key: ec.EllipticCurvePrivateKey) -> None:
    data = make_trust_list(key).to_dict()
    data["communes"][0]["keys"][0]["kid"] = b64url_encode(key_id(generate_private_key().public_key()))
    with pytest.raises(TrustListError):
        TrustList.from_dict(data)
    for broken in ("{", "[]", json.dumps({"version": 2, "issued_at": "2026-01-01T00:00:00Z", "communes": []})):
        with pytest.raises(TrustListError):
            TrustList.from_json(broken)


def test_residence_certificate_fits_qr_version_15_and_reads_back(key: ec.EllipticCurvePrivateKey) -> None:
    url = signed_url(key)
    qr = segno.make(url, error="m", micro=False)
    print(f"QR payload URL: {len(url)} characters, QR version {qr.version} ({qr.mode} mode) at level M")
    assert qr.mode == "alphanumeric"
    assert qr.version <= 15

    png = io.BytesIO()
    qr.save(png, kind="png", scale=4, border=4)
    png.seek(0)
    results = zxingcpp.read_barcodes(Image.open(png).convert("L"))
    assert [r.text for r in results] == [url]
    assert verify(decode_url(results[0].text), trust_list=make_trust_list(key), now=NOW).claims.holder == (
        "فاطمة الزهراء بناني"
    )
