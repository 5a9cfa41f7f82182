"""The signed payload carried by an act's QR code (issue 4, section 2).

In the style of the EU Digital COVID Certificate, but encoded so the whole QR is a URL any phone camera opens:

1. the claims are a CBOR map with small integer keys (`CLAIM_*` below), times in epoch seconds;
2. signed as a tagged COSE_Sign1 (RFC 9052) with ES256 (P-256), `alg` and `kid` in the protected header;
3. zlib-compressed;
4. encoded in upper-case RFC 4648 base32 without padding, appended to the commune's origin as
   `HTTPS://SALE.EXAMPLE.MA/V/<BASE32>`.

Why base32 and upper case: a QR code in alphanumeric mode stores 5.5 bits per character (0-9, A-Z, space and
`$%*+-./:`), against 8 in byte mode. Base32's alphabet (A-Z, 2-7) and an upper-cased URL are all in that set, so the
whole URL is one alphanumeric segment; base45 is denser but uses space, `%`, `+` and `/`, which are not valid in a URL
path. Scheme and host are case-insensitive, so `HTTPS://SALE.EXAMPLE.MA` is a normal URL; the path is case-sensitive,
so the verification view is to be mounted at the upper-case `/V/` (one letter keeps the QR small; the issue's
`/verify/…` can stay as the human-facing page the `/V/` view serves or redirects to). The payload stays in the URL, so
an offline verifier checks it with the trust list alone.

`verify` raises a subclass of `VerificationError` per reason; each has a stable `reason` code for the view and API to
turn into a translated message. It does not judge the *document's* expiry or revocation: the returned
`VerifiedClaims` carries the expiry (`is_expired()`), and revocation lives in the registry.
"""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import cbor2
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cwt import COSE, COSEKey, CWTError

from jamaa.documents.keys import TrustedCommune, TrustedKey, TrustList, public_jwk

# Claim keys of the CBOR map. Never renumber: printed documents carry them for years.
CLAIM_VERSION = 0
CLAIM_ISSUER = 1  # commune code, e.g. "SALE" (the trust list's commune code)
CLAIM_KIND = 2  # act kind code, e.g. "RES" (residence certificate)
CLAIM_REFERENCE = 3  # the act's reference number
CLAIM_HOLDER = 4  # the holder's full name as printed on the act
CLAIM_FACTS = 5  # the act's key facts: a map of small integer keys (meaning per act kind) to text or integers
CLAIM_ISSUED_AT = 6  # epoch seconds (UTC)
CLAIM_EXPIRES_AT = 7  # epoch seconds (UTC); absent when the act does not expire

PAYLOAD_VERSION = 1
COSE_SIGN1_TAG = 18
HEADER_ALG = 1
HEADER_KID = 4
ALG_ES256 = -7
VERIFY_PATH = "/V/"
# Bounds against hostile input: a real payload is a few hundred bytes.
MAX_COMPRESSED = 4096
MAX_DECOMPRESSED = 8192
# Tolerated clock difference between the issuing server and the verifier.
CLOCK_SKEW = timedelta(minutes=5)

_BASE32_RE = re.compile(r"[A-Z2-7]+")
# The characters of QR alphanumeric mode: an URL made only of these is encoded as one compact segment.
_QR_ALPHANUMERIC_RE = re.compile(r"[0-9A-Z $%*+\-./:]+")


class VerificationError(Exception):
    """The QR payload cannot be trusted. `reason` is a stable code; the message is for logs, not for users."""

    reason = "invalid"


class MalformedPayload(VerificationError):
    """Not a payload of ours: bad URL, base32, zlib, CBOR or COSE structure, or claims of the wrong shape."""

    reason = "malformed"


class UnknownKey(VerificationError):
    """Signed by a key id that is not in the trust list."""

    reason = "unknown_key"


class BadSignature(VerificationError):
    """The signature does not match the content: the payload was altered, or signed by another key."""

    reason = "bad_signature"


class KeyNotYetValid(VerificationError):
    """The document claims an issue time before its key's issuance window opened."""

    reason = "key_not_yet_valid"


class KeyExpired(VerificationError):
    """The document claims an issue time after its key's issuance window closed."""

    reason = "key_expired"


class IssuerMismatch(VerificationError):
    """The claims name another commune than the one whose key signed them."""

    reason = "issuer_mismatch"


@dataclass(frozen=True)
class Claims:
    """What the QR states about an act. `facts` keys are small integers whose meaning depends on `kind`."""

    issuer: str
    kind: str
    reference: str
    holder: str
    issued_at: datetime
    expires_at: datetime | None = None
    facts: Mapping[int, str | int] = field(default_factory=dict)

    def to_cbor_map(self) -> dict[int, Any]:
        claims: dict[int, Any] = {
            CLAIM_VERSION: PAYLOAD_VERSION,
            CLAIM_ISSUER: self.issuer,
            CLAIM_KIND: self.kind,
            CLAIM_REFERENCE: self.reference,
            CLAIM_HOLDER: self.holder,
            CLAIM_ISSUED_AT: _epoch(self.issued_at),
        }
        if self.facts:
            claims[CLAIM_FACTS] = dict(self.facts)
        if self.expires_at is not None:
            claims[CLAIM_EXPIRES_AT] = _epoch(self.expires_at)
        return claims

    @classmethod
    def from_cbor_map(cls, data: Any) -> Claims:
        if not isinstance(data, dict):
            raise MalformedPayload("the claims are not a CBOR map")
        if data.get(CLAIM_VERSION) != PAYLOAD_VERSION:
            raise MalformedPayload(f"unsupported payload version {data.get(CLAIM_VERSION)!r}")
        texts = {}
        for key in (CLAIM_ISSUER, CLAIM_KIND, CLAIM_REFERENCE, CLAIM_HOLDER):
            value = data.get(key)
            if not isinstance(value, str) or not value:
                raise MalformedPayload(f"claim {key} is missing or not text")
            texts[key] = value
        facts = data.get(CLAIM_FACTS, {})
        if not isinstance(facts, dict) or not all(
            type(k) is int and isinstance(v, str | int) and not isinstance(v, bool) for k, v in facts.items()
        ):
            raise MalformedPayload("the key facts are not a map of integers to text or integers")
        expires = data.get(CLAIM_EXPIRES_AT)
        return cls(
            issuer=texts[CLAIM_ISSUER],
            kind=texts[CLAIM_KIND],
            reference=texts[CLAIM_REFERENCE],
            holder=texts[CLAIM_HOLDER],
            issued_at=_from_epoch(data.get(CLAIM_ISSUED_AT)),
            expires_at=_from_epoch(expires) if expires is not None else None,
            facts=facts,
        )


@dataclass(frozen=True)
class VerifiedClaims:
    """Claims whose signature checked out against the trust list, with the commune and key that signed them."""

    claims: Claims
    commune: TrustedCommune
    key: TrustedKey

    @property
    def kid(self) -> bytes:
        return self.key.kid

    def is_expired(self, now: datetime | None = None) -> bool:
        expires = self.claims.expires_at
        return expires is not None and (now or datetime.now(UTC)) > expires


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        raise ValueError("claim times must be timezone-aware")
    return int(value.timestamp())


def _from_epoch(value: Any) -> datetime:
    if type(value) is not int:
        raise MalformedPayload("a claim time is not an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedPayload("a claim time is out of range") from exc


def _signing_key(private_key: ec.EllipticCurvePrivateKey, kid: bytes) -> Any:
    if not isinstance(private_key.curve, ec.SECP256R1):
        raise ValueError("ES256 needs a P-256 key")
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return COSEKey.from_pem(pem, alg="ES256", kid=kid)


def sign_payload(claims: Claims, *, private_key: ec.EllipticCurvePrivateKey, kid: bytes) -> bytes:
    """The claims as a tagged COSE_Sign1 (ES256, `alg` and `kid` protected), not yet compressed."""
    body = cbor2.dumps(claims.to_cbor_map())
    return COSE.new().encode(
        body, _signing_key(private_key, kid), protected={HEADER_ALG: ALG_ES256, HEADER_KID: kid}, unprotected={}
    )


RawSigner = Callable[[bytes], bytes]
"""Signs bytes with ECDSA P-256 over their SHA-256 and returns the raw signature r||s (64 bytes, the COSE form).

What a key that cannot be exported offers (a PKCS#11 token); `local_signer` makes one from a key in memory."""

ES256_SIGNATURE_BYTES = 64


def raw_ecdsa_signature(der: bytes) -> bytes:
    """A DER ECDSA signature (what `cryptography` returns) as COSE's raw r||s, each 32 bytes for P-256."""
    r, s = decode_dss_signature(der)
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def local_signer(private_key: ec.EllipticCurvePrivateKey) -> RawSigner:
    """A RawSigner for a P-256 key held in memory."""
    if not isinstance(private_key.curve, ec.SECP256R1):
        raise ValueError("ES256 needs a P-256 key")

    def sign(data: bytes) -> bytes:
        return raw_ecdsa_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))

    return sign


def sign_payload_with(claims: Claims, *, signer: RawSigner, kid: bytes) -> bytes:
    """The claims as a tagged COSE_Sign1 (ES256), signed by `signer`: the same structure as `sign_payload`
    (protected header `{alg: ES256, kid}`, empty unprotected header, the claims as payload), built by hand so that
    the key itself is never needed. RFC 9052 section 4.4: the signature covers the CBOR of
    `["Signature1", protected header bytes, external_aad (empty), payload]`."""
    body = cbor2.dumps(claims.to_cbor_map())
    protected = cbor2.dumps({HEADER_ALG: ALG_ES256, HEADER_KID: kid})
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", body])
    signature = signer(to_be_signed)
    if not isinstance(signature, bytes) or len(signature) != ES256_SIGNATURE_BYTES:
        raise ValueError("an ES256 signer must return the raw 64-byte signature r||s")
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, body, signature]))


def encode_url(base_url: str, signed: bytes) -> str:
    """`HTTPS://HOST/V/<BASE32>`: the signed payload compressed, base32 without padding, the whole URL upper-case.

    `base_url` is the commune's origin (scheme and host, optionally a port; no path), e.g. `https://sale.example.ma`.
    """
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError(f"base_url must be an origin like https://host, got {base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must have no query or fragment, got {base_url!r}")
    compressed = zlib.compress(signed, 9)
    encoded = base64.b32encode(compressed).decode("ascii").rstrip("=")
    url = f"{parts.scheme}://{parts.netloc}{VERIFY_PATH}{encoded}".upper()
    if not _QR_ALPHANUMERIC_RE.fullmatch(url):
        raise ValueError(f"the host of {base_url!r} has characters outside QR alphanumeric mode")
    return url


def decode_url(url: str) -> bytes:
    """The signed payload (COSE_Sign1 bytes) from a QR URL; raises MalformedPayload for anything else."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError as exc:
        raise MalformedPayload("not a URL") from exc
    prefix, sep, text = path.rpartition("/")
    if not sep or prefix.upper() != VERIFY_PATH.rstrip("/"):
        raise MalformedPayload(f"the URL path is not {VERIFY_PATH}<payload>")
    text = text.upper()
    if not _BASE32_RE.fullmatch(text):
        raise MalformedPayload("the payload is not base32")
    if len(text) > MAX_COMPRESSED * 8 // 5 + 1:
        raise MalformedPayload("the payload is too long")
    try:
        compressed = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError) as exc:
        raise MalformedPayload("the payload is not valid base32") from exc
    inflater = zlib.decompressobj()
    try:
        signed = inflater.decompress(compressed, MAX_DECOMPRESSED)
    except zlib.error as exc:
        raise MalformedPayload("the payload is not zlib data") from exc
    if inflater.unconsumed_tail:
        raise MalformedPayload("the payload decompresses to too much data")
    if not inflater.eof or inflater.unused_data:
        raise MalformedPayload("the payload is truncated or has trailing data")
    return signed


def _parse_sign1(signed: bytes) -> tuple[bytes, bytes]:
    """The key id and the claims bytes of a COSE_Sign1, checking its structure (not its signature)."""
    try:
        message = cbor2.loads(signed)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise MalformedPayload("the payload is not CBOR") from exc
    if isinstance(message, cbor2.CBORTag):
        if message.tag != COSE_SIGN1_TAG:
            raise MalformedPayload(f"CBOR tag {message.tag} is not COSE_Sign1")
        message = message.value
    if not (isinstance(message, list) and len(message) == 4):
        raise MalformedPayload("the payload is not a COSE_Sign1 array")
    protected_bytes, unprotected, body, signature = message
    if not all(isinstance(v, bytes) for v in (protected_bytes, body, signature)) or not isinstance(unprotected, dict):
        raise MalformedPayload("the COSE_Sign1 fields have the wrong types")
    try:
        protected = cbor2.loads(protected_bytes)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise MalformedPayload("the protected header is not CBOR") from exc
    if not isinstance(protected, dict):
        raise MalformedPayload("the protected header is not a map")
    if protected.get(HEADER_ALG) != ALG_ES256:
        raise MalformedPayload(f"unsupported algorithm {protected.get(HEADER_ALG)!r}")
    kid = protected.get(HEADER_KID)
    if not isinstance(kid, bytes) or not kid:
        raise MalformedPayload("no key id in the protected header")
    if len(signature) != 64:
        raise BadSignature("an ES256 signature is 64 bytes")
    return kid, body


def verify(signed: bytes, *, trust_list: TrustList, now: datetime | None = None) -> VerifiedClaims:
    """Check a COSE_Sign1 payload against the trust list and return its claims.

    Raises `MalformedPayload`, `UnknownKey`, `BadSignature`, `IssuerMismatch`, `KeyNotYetValid` or `KeyExpired`
    (all `VerificationError`). The document's own expiry is not an error: see `VerifiedClaims.is_expired()`.
    """
    now = now or datetime.now(UTC)
    kid, _ = _parse_sign1(signed)
    found = trust_list.find(kid)
    if found is None:
        raise UnknownKey(f"key id {kid.hex()} is not in the trust list")
    commune, key = found
    try:
        verifier = COSEKey.from_jwk({**public_jwk(key.public_key), "alg": "ES256", "kid": kid})
        body = COSE.new().decode(signed, verifier)
    except CWTError as exc:
        raise BadSignature(f"the signature does not verify with key {kid.hex()}") from exc
    try:
        decoded = cbor2.loads(body)
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, MemoryError) as exc:
        raise MalformedPayload("the claims are not CBOR") from exc
    claims = Claims.from_cbor_map(decoded)
    if claims.issuer != commune.code:
        raise IssuerMismatch(f"claims issued by {claims.issuer!r} but signed by a key of {commune.code!r}")
    if claims.issued_at < key.valid_from or now + CLOCK_SKEW < key.valid_from:
        raise KeyNotYetValid(f"key {kid.hex()} is valid from {key.valid_from.isoformat()}")
    if key.valid_until is not None and claims.issued_at > key.valid_until:
        raise KeyExpired(f"key {kid.hex()} stopped issuing on {key.valid_until.isoformat()}")
    if claims.issued_at > now + CLOCK_SKEW:
        raise MalformedPayload("the document claims to be issued in the future")
    return VerifiedClaims(claims=claims, commune=commune, key=key)
