"""Signing keys of the QR payload and the public trust list (issue 4, section 2).

Each commune signs the QR payload of its acts with its own P-256 key (ES256). A key is named by its key id (`kid`):
the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo of the public key, so anyone holding the public key can
recompute it.

The trust list is what a verifier (the verification page, the API, the offline verifier) consults. It is published as
`/.well-known/jamaa/trust-list.json` in this shape (times ISO 8601 UTC, `kid` and JWK coordinates base64url)::

    {
      "version": 1,
      "issued_at": "2026-11-27T00:00:00Z",
      "seal_anchors": ["-----BEGIN CERTIFICATE-----\n..."],
      "communes": [
        {"code": "SALE", "name": "Salé", "host": "sale.example.ma",
         "keys": [{"kid": "q3J0...", "alg": "ES256",
                   "jwk": {"kty": "EC", "crv": "P-256", "x": "...", "y": "..."},
                   "valid_from": "2026-01-01T00:00:00Z", "valid_until": "2027-01-01T00:00:00Z"}],
         "seal_certificates": ["-----BEGIN CERTIFICATE-----\n..."]}
      ]
    }

`valid_from`/`valid_until` bound the *issuance* period of a key: a document verifies only if its signed issue time
falls inside the window of the key that signed it (`valid_until` may be null for the current key). Rotation: the next
key is listed before it is first used, and a retired key stays listed, its window closed, until the last document it
signed has expired. A compromised key is removed from the list, and every document it signed stops verifying.

The PDF's PAdES seal is checked with the same list: `seal_anchors` are the CA certificates (PEM) a seal must chain
to, and each commune's `seal_certificates` (PEM) are its own seal certificates, so a verifier can tell that a PDF was
sealed by the commune its QR payload names, not by another commune under the same anchor. Both fields are optional
when reading (lists published before them have neither, and then no PDF seal is trusted).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

TRUST_LIST_VERSION = 1
ALG_ES256 = "ES256"
KID_LENGTH = 8


class TrustListError(ValueError):
    """The trust list JSON does not have the expected shape, or a key in it is inconsistent."""


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def generate_private_key() -> ec.EllipticCurvePrivateKey:
    """A new P-256 key for signing QR payloads (ES256)."""
    return ec.generate_private_key(ec.SECP256R1())


def key_id(public_key: ec.EllipticCurvePublicKey) -> bytes:
    """The key id: the first 8 bytes of SHA-256 over the DER SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(spki).digest()[:KID_LENGTH]


def public_jwk(public_key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The public key as a JWK (RFC 7517/7518): {"kty": "EC", "crv": "P-256", "x", "y"}."""
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise ValueError("only P-256 keys are supported")
    numbers = public_key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(32, "big")),
        "y": b64url_encode(numbers.y.to_bytes(32, "big")),
    }


def public_key_from_jwk(jwk: Mapping[str, Any]) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of a JWK; raises TrustListError for anything else (including a point not on the curve)."""
    try:
        if jwk["kty"] != "EC" or jwk["crv"] != "P-256":
            raise TrustListError("the JWK is not an EC P-256 key")
        x, y = b64url_decode(jwk["x"]), b64url_decode(jwk["y"])
        if len(x) != 32 or len(y) != 32:
            raise TrustListError("the JWK coordinates are not 32 bytes")
        return ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except TrustListError:
        raise
    except (KeyError, TypeError, ValueError) as exc:
        raise TrustListError(f"invalid JWK: {exc}") from exc


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise TrustListError(f"expected an ISO 8601 time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise TrustListError(f"invalid time {value!r}") from exc
    if parsed.tzinfo is None:
        raise TrustListError(f"time without a time zone: {value!r}")
    return parsed.astimezone(UTC)


def certificate_pem(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def certificate_fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER encoding, hexadecimal: how a seal certificate is compared."""
    return certificate.fingerprint(hashes.SHA256()).hex()


def parse_certificates(value: Any, what: str) -> tuple[x509.Certificate, ...]:
    """A list of PEM certificates (absent: none); raises TrustListError for anything else."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TrustListError(f"{what} must be a list of PEM certificates")
    try:
        return tuple(x509.load_pem_x509_certificate(v.encode("ascii")) for v in value)
    except (ValueError, UnicodeEncodeError) as exc:
        raise TrustListError(f"{what}: invalid PEM certificate") from exc


@dataclass(frozen=True)
class TrustedKey:
    """One signing key of a commune, with its issuance window."""

    kid: bytes
    public_key: ec.EllipticCurvePublicKey
    valid_from: datetime
    valid_until: datetime | None = None
    alg: str = ALG_ES256

    @classmethod
    def for_public_key(
        cls, public_key: ec.EllipticCurvePublicKey, *, valid_from: datetime, valid_until: datetime | None = None
    ) -> TrustedKey:
        return cls(kid=key_id(public_key), public_key=public_key, valid_from=valid_from, valid_until=valid_until)

    @property
    def jwk(self) -> dict[str, str]:
        return public_jwk(self.public_key)

    def covers(self, moment: datetime) -> bool:
        """Whether `moment` falls inside the key's issuance window."""
        return self.valid_from <= moment and (self.valid_until is None or moment <= self.valid_until)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kid": b64url_encode(self.kid),
            "alg": self.alg,
            "jwk": self.jwk,
            "valid_from": format_time(self.valid_from),
            "valid_until": format_time(self.valid_until) if self.valid_until is not None else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrustedKey:
        try:
            alg, kid_text, jwk = data["alg"], data["kid"], data["jwk"]
            valid_from = parse_time(data["valid_from"])
            raw_until = data.get("valid_until")
        except (KeyError, TypeError) as exc:
            raise TrustListError(f"invalid key entry: {exc}") from exc
        if alg != ALG_ES256:
            raise TrustListError(f"unsupported algorithm {alg!r}")
        if not isinstance(jwk, Mapping) or not isinstance(kid_text, str):
            raise TrustListError("invalid key entry: kid must be a string and jwk an object")
        public_key = public_key_from_jwk(jwk)
        try:
            kid = b64url_decode(kid_text)
        except ValueError as exc:
            raise TrustListError(f"invalid kid {kid_text!r}") from exc
        if kid != key_id(public_key):
            raise TrustListError(f"kid {kid_text!r} does not match its public key")
        valid_until = parse_time(raw_until) if raw_until is not None else None
        if valid_until is not None and valid_until < valid_from:
            raise TrustListError(f"key {kid_text!r} ends before it starts")
        return cls(kid=kid, public_key=public_key, valid_from=valid_from, valid_until=valid_until, alg=alg)


@dataclass(frozen=True)
class TrustedCommune:
    """A commune of the trust list: its code (the `issuer` claim of its acts), name, host, QR keys and the
    certificates of its PDF seal."""

    code: str
    name: str
    host: str
    keys: tuple[TrustedKey, ...] = ()
    seal_certificates: tuple[x509.Certificate, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "name": self.name, "host": self.host, "keys": [k.to_dict() for k in self.keys],
                "seal_certificates": [certificate_pem(c) for c in self.seal_certificates]}

    def seals_with(self, fingerprint: str) -> bool:
        """Whether the seal certificate with this SHA-256 fingerprint (hex) is one of this commune's."""
        return any(certificate_fingerprint(c) == fingerprint.lower() for c in self.seal_certificates)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrustedCommune:
        try:
            code, name, host, keys = data["code"], data["name"], data["host"], data["keys"]
        except (KeyError, TypeError) as exc:
            raise TrustListError(f"invalid commune entry: {exc}") from exc
        if not all(isinstance(v, str) for v in (code, name, host)) or not isinstance(keys, list):
            raise TrustListError("invalid commune entry: code, name and host must be strings and keys a list")
        return cls(code=code, name=name, host=host, keys=tuple(TrustedKey.from_dict(k) for k in keys),
                   seal_certificates=parse_certificates(data.get("seal_certificates"), f"seal certificates of {code}"))


@dataclass(frozen=True)
class TrustList:
    """Every commune's public QR signing keys (what `payload.verify` consults) and the PDF seals' trust anchors."""

    communes: tuple[TrustedCommune, ...]
    issued_at: datetime
    version: int = TRUST_LIST_VERSION
    seal_anchors: tuple[x509.Certificate, ...] = ()
    _by_kid: dict[bytes, tuple[TrustedCommune, TrustedKey]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_kid: dict[bytes, tuple[TrustedCommune, TrustedKey]] = {}
        for commune in self.communes:
            for key in commune.keys:
                if key.kid in by_kid:
                    raise TrustListError(f"key id {b64url_encode(key.kid)} is listed twice")
                by_kid[key.kid] = (commune, key)
        object.__setattr__(self, "_by_kid", by_kid)

    @classmethod
    def build(cls, communes: Iterable[TrustedCommune], *, issued_at: datetime | None = None,
              seal_anchors: Iterable[x509.Certificate] = ()) -> TrustList:
        return cls(communes=tuple(communes), issued_at=issued_at or datetime.now(UTC),
                   seal_anchors=tuple(seal_anchors))

    def find(self, kid: bytes) -> tuple[TrustedCommune, TrustedKey] | None:
        """The commune and key with this key id, or None."""
        return self._by_kid.get(kid)

    def commune(self, code: str) -> TrustedCommune | None:
        """The commune with this code, or None."""
        return next((c for c in self.communes if c.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "issued_at": format_time(self.issued_at),
            "seal_anchors": [certificate_pem(c) for c in self.seal_anchors],
            "communes": [c.to_dict() for c in self.communes],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TrustList:
        if not isinstance(data, Mapping):
            raise TrustListError("the trust list must be a JSON object")
        version = data.get("version")
        if version != TRUST_LIST_VERSION:
            raise TrustListError(f"unsupported trust list version {version!r}")
        communes = data.get("communes")
        if not isinstance(communes, list):
            raise TrustListError("communes must be a list")
        return cls(
            communes=tuple(TrustedCommune.from_dict(c) for c in communes),
            issued_at=parse_time(data.get("issued_at")),
            version=version,
            seal_anchors=parse_certificates(data.get("seal_anchors"), "seal_anchors"),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> TrustList:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise TrustListError(f"the trust list is not JSON: {exc}") from exc
        return cls.from_dict(data)
