"""Signing key services: create, rotate, pick the current key, and build the public trust list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from jamaa.core import audit, tenancy
from jamaa.core.models import Commune, User
from jamaa.documents import keys, keystore, payload
from jamaa.documents.models import IssuedDocument, SigningKey


def _now(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(UTC)


def _key_add(*, commune: Commune, public_key: ec.EllipticCurvePublicKey, source: str, private_key_pem: str = "",
             key_path: str = "", publish_days_before_use: int, now: datetime | None, actor: User | None) -> SigningKey:
    """The one way a key enters the trust list: listed now, signing from `publish_days_before_use` days later."""
    if publish_days_before_use < 0:
        raise ValueError("publish_days_before_use must not be negative")
    now = _now(now)
    signing_key = SigningKey(
        commune=commune,
        kid=keys.b64url_encode(keys.key_id(public_key)),
        algorithm=keys.ALG_ES256,
        public_jwk=keys.public_jwk(public_key),
        source=source,
        private_key_pem=private_key_pem,
        key_path=key_path,
        published_at=now,
        valid_from=now + timedelta(days=publish_days_before_use),
    )
    if source != SigningKey.Source.DATABASE:
        # A key kept outside the database must sign, and sign what its public key verifies, before it is listed.
        signer_for(signing_key)(b"jamaa: registration check")
    with tenancy.scope(commune):  # full_clean checks uniqueness through the scoped default manager
        signing_key.full_clean()
    signing_key.save()
    _trust_list_changed()
    audit.record(action="documents.signing_key.created", commune=commune, actor=actor, target=signing_key,
                 details={"kid": signing_key.kid, "valid_from": keys.format_time(signing_key.valid_from),
                          "source": source, **({"key_path": key_path} if key_path else {})})
    return signing_key


@transaction.atomic
def key_create(
    *, commune: Commune, publish_days_before_use: int = 7, now: datetime | None = None, actor: User | None = None
) -> SigningKey:
    """A new key, listed in the trust list now and signing from `publish_days_before_use` days later, so that
    verifiers holding a cached trust list already know it when the first document signed with it arrives."""
    private_key = keys.generate_private_key()
    return _key_add(
        commune=commune, public_key=private_key.public_key(), source=SigningKey.Source.DATABASE,
        private_key_pem=private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii"),
        publish_days_before_use=publish_days_before_use, now=now, actor=actor,
    )


@transaction.atomic
def key_register(
    *, commune: Commune, source: str, key_path: str, publish_days_before_use: int = 7, now: datetime | None = None,
    actor: User | None = None,
) -> SigningKey:
    """A key that lives outside the database, with the same publish-before-use life as `key_create`: a PEM file
    (`source="file"`, `key_path` its path; encrypted with DOCUMENT_SEAL_KEY_PASSWORD or not) or a key pair on the
    PKCS#11 token of the DOCUMENT_SEAL_PKCS11_* settings (`source="pkcs11"`, `key_path` the objects' label). Its
    public key is read there, and a test signature checked, before it is listed. Raises SigningKeyUnavailable."""
    if source == SigningKey.Source.FILE:
        key_path = str(Path(key_path).expanduser().resolve())
    elif source == SigningKey.Source.PKCS11:
        key_path = key_path.strip()
    else:
        raise ValueError(f"key_register takes a file or a PKCS#11 key, not {source!r}")
    if not key_path:
        raise SigningKeyUnavailable("Name the key: a file path or a token label.")
    return _key_add(commune=commune, public_key=external_public_key(source=source, key_path=key_path),
                    source=source, key_path=key_path, publish_days_before_use=publish_days_before_use, now=now,
                    actor=actor)


@transaction.atomic
def key_rotate(
    *, commune: Commune, publish_days_before_use: int = 7, now: datetime | None = None, actor: User | None = None,
    source: str = SigningKey.Source.DATABASE, key_path: str = "",
) -> SigningKey:
    """Create the next key and close the window of the keys it replaces at the new key's first day of use. The next
    key is generated and kept in the database, or, with `source` "file" or "pkcs11", registered (`key_register`)."""
    now = _now(now)
    # Lock the commune's open keys so that two rotations at once do not both close the same key.
    open_keys = list(
        SigningKey.all_communes.select_for_update().filter(commune=commune, valid_until__isnull=True)
    )
    if source == SigningKey.Source.DATABASE:
        new_key = key_create(commune=commune, publish_days_before_use=publish_days_before_use, now=now, actor=actor)
    else:
        new_key = key_register(commune=commune, source=source, key_path=key_path,
                               publish_days_before_use=publish_days_before_use, now=now, actor=actor)
    for old in open_keys:
        if old.valid_from >= new_key.valid_from:
            # A key announced but not yet used, overtaken by this one: it never signs.
            old.valid_until = old.valid_from
        else:
            old.valid_until = new_key.valid_from
        old.retired_at = now
        old.save(update_fields=["valid_until", "retired_at"])
        audit.record(action="documents.signing_key.retired", commune=commune, actor=actor, target=old,
                     details={"kid": old.kid, "valid_until": keys.format_time(old.valid_until),
                              "replaced_by": new_key.kid})
    return new_key


def _trust_list_changed() -> None:
    from jamaa.documents.verification import clear_trust_list_cache

    clear_trust_list_cache()


def current_signing_key(commune: Commune, *, at: datetime | None = None) -> SigningKey | None:
    """The key `commune` signs with at `at`: the newest key whose issuance window contains it, or None."""
    at = _now(at)
    return (
        SigningKey.all_communes.filter(commune=commune, valid_from__lte=at, published_at__lte=at)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .order_by("-valid_from", "-pk")
        .first()
    )


class SigningKeyUnavailable(ValueError):
    """A QR signing key cannot be used: file missing or unreadable, wrong password or PIN, no such token object, a
    key that is not the one registered. The message says what to fix, for the operator (never a secret)."""


KEY_PASSWORD_SETTING = "DOCUMENT_SEAL_KEY_PASSWORD"


def _p256(key: object, where: str) -> None:
    curve = getattr(key, "curve", None)
    if not isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) or not isinstance(
            curve, ec.SECP256R1):
        raise SigningKeyUnavailable(f"{where} is not a P-256 key (QR payloads are signed with ES256).")


def _file_private_key(path: str) -> ec.EllipticCurvePrivateKey:
    try:
        key = keystore.load_private_key_file(Path(path), settings.DOCUMENT_SEAL_KEY_PASSWORD,
                                             password_setting=KEY_PASSWORD_SETTING)
    except keystore.KeyUnavailable as exc:
        raise SigningKeyUnavailable(str(exc)) from None
    _p256(key, path)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key


def _token_config() -> keystore.TokenConfig:
    try:
        return keystore.TokenConfig.from_settings()
    except keystore.KeyUnavailable as exc:
        raise SigningKeyUnavailable(str(exc)) from None


def external_public_key(*, source: str, key_path: str) -> ec.EllipticCurvePublicKey:
    """The public key of a key kept in a file or on the token (what `key_register` lists)."""
    if source == SigningKey.Source.FILE:
        return _file_private_key(key_path).public_key()
    if source == SigningKey.Source.PKCS11:
        try:
            return keystore.ec_public_key(_token_config(), key_path)
        except keystore.KeyUnavailable as exc:
            raise SigningKeyUnavailable(str(exc)) from None
    raise SigningKeyUnavailable(f"Signing keys from {source!r} have no public key to read.")


def load_private_key(signing_key: SigningKey) -> ec.EllipticCurvePrivateKey:
    """The private key of a database or file key (a key on a token cannot be exported: see `signer_for`)."""
    if signing_key.source == SigningKey.Source.FILE:
        return _file_private_key(signing_key.key_path)
    if signing_key.source != SigningKey.Source.DATABASE:
        raise SigningKeyUnavailable(f"The key {signing_key.kid} stays on its PKCS#11 token: use signer_for().")
    private_key = serialization.load_pem_private_key(signing_key.private_key_pem.encode("ascii"), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the stored signing key is not an EC key")
    return private_key


def signer_for(signing_key: SigningKey) -> payload.RawSigner:
    """A function that signs bytes with the key (ES256, raw r||s): `payload.sign_payload_with` takes it.

    The key is looked up now (file read, token object found and matched), so that a missing or wrong key is refused
    before anything is rendered; each signature is then checked against the key's published public key, so that
    nothing the trust list cannot verify ever reaches a document. Raises SigningKeyUnavailable."""
    published = keys.public_key_from_jwk(signing_key.public_jwk)
    kid = signing_key.kid
    raw: payload.RawSigner
    if signing_key.source == SigningKey.Source.DATABASE:
        if not signing_key.private_key_pem:
            raise SigningKeyUnavailable(f"The key {kid} has no private key in the database.")
        raw = payload.local_signer(load_private_key(signing_key))
    elif signing_key.source == SigningKey.Source.FILE:
        private_key = _file_private_key(signing_key.key_path)
        if not keystore.same_public_key(private_key.public_key(), published):
            raise SigningKeyUnavailable(f"{signing_key.key_path} is no longer the key {kid} that the trust list "
                                        "publishes: put the registered key back, or register the new one.")
        raw = payload.local_signer(private_key)
    elif signing_key.source == SigningKey.Source.PKCS11:
        config, label = _token_config(), signing_key.key_path
        try:
            on_token = keystore.ec_public_key(config, label)
        except keystore.KeyUnavailable as exc:
            raise SigningKeyUnavailable(str(exc)) from None
        if not keystore.same_public_key(on_token, published):
            raise SigningKeyUnavailable(f"The key labelled {label!r} on {config.describe()} is no longer the key "
                                        f"{kid} that the trust list publishes.")

        def raw(data: bytes) -> bytes:
            try:
                return keystore.ecdsa_sign_sha256(config, label, data)
            except keystore.KeyUnavailable as exc:
                raise SigningKeyUnavailable(str(exc)) from None
    else:
        raise SigningKeyUnavailable(f"The key {kid} comes from an unknown source {signing_key.source!r}.")

    def sign(data: bytes) -> bytes:
        signature = raw(data)
        if len(signature) != payload.ES256_SIGNATURE_BYTES:
            raise SigningKeyUnavailable(f"The key {kid} returned a signature of {len(signature)} bytes, not 64.")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            published.verify(der, data, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise SigningKeyUnavailable(f"A signature by the key {kid} does not verify with its published public "
                                        "key.") from None
        return signature

    return sign


def listed_keys(*, now: datetime | None = None):
    """The keys of the trust list: published, and either still in their window of use (or announced for later), or
    retired but the key of a document that has not expired yet. A document without an end of validity keeps its
    key listed; a revoked one too, so that it verifies as revoked rather than as unknown until it expires."""
    now = _now(now)
    live_document = IssuedDocument.all_communes.filter(signing_key=OuterRef("pk")).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gte=now)
    )
    return (
        SigningKey.all_communes.filter(published_at__lte=now, commune__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now) | Exists(live_document))
        .order_by("valid_from", "kid")
    )


def _seal_certificates(commune: Commune) -> tuple[x509.Certificate, ...]:
    from jamaa.documents import sealing

    try:
        certificate = sealing.seal_certificate(commune)
    except (sealing.SealNotConfigured, OSError, ValueError):
        # A commune whose seal cannot be loaded issues no act; its QR keys are still listed.
        return ()
    return (certificate,) if certificate is not None else ()


def _seal_anchors() -> list[x509.Certificate]:
    from jamaa.documents import sealing

    try:
        return sealing.trust_anchors()
    except (OSError, ValueError):
        return []


def trust_list(*, now: datetime | None = None) -> keys.TrustList:
    """Every active commune's listed keys and seal certificate, communes by code and keys by first day of use (a
    stable order), with the seals' trust anchors."""
    now = _now(now)
    by_commune: dict[int, list[SigningKey]] = {}
    for signing_key in listed_keys(now=now):
        by_commune.setdefault(signing_key.commune_id, []).append(signing_key)
    communes = list(Commune.objects.filter(pk__in=by_commune).prefetch_related("hosts").order_by("code"))
    seals = {commune.pk: _seal_certificates(commune) for commune in communes}  # in dev, creates the anchor first
    return keys.TrustList.build(
        (
            keys.TrustedCommune(
                code=commune.code,
                name=commune.name_fr,
                host=commune.primary_host or "",
                keys=tuple(
                    keys.TrustedKey(
                        kid=keys.b64url_decode(k.kid),
                        public_key=keys.public_key_from_jwk(k.public_jwk),
                        valid_from=k.valid_from.astimezone(UTC),
                        valid_until=k.valid_until.astimezone(UTC) if k.valid_until else None,
                        alg=k.algorithm,
                    )
                    for k in by_commune[commune.pk]
                ),
                seal_certificates=seals[commune.pk],
            )
            for commune in communes
        ),
        issued_at=now,
        seal_anchors=_seal_anchors(),
    )
