"""Signing key services: create, rotate, pick the current key, and build the public trust list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from jamaa.core import audit, tenancy
from jamaa.core.models import Commune, User
from jamaa.documents import keys
from jamaa.documents.models import SigningKey

DEFAULT_LISTED_YEARS = 5


def _now(now: datetime | None) -> datetime:
    return (now or timezone.now()).astimezone(UTC)


def _years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


def listed_years() -> int:
    return int(getattr(settings, "DOCUMENT_KEY_LISTED_YEARS", DEFAULT_LISTED_YEARS))


@transaction.atomic
def key_create(
    *, commune: Commune, publish_days_before_use: int = 7, now: datetime | None = None, actor: User | None = None
) -> SigningKey:
    """A new key, listed in the trust list now and signing from `publish_days_before_use` days later, so that
    verifiers holding a cached trust list already know it when the first document signed with it arrives."""
    if publish_days_before_use < 0:
        raise ValueError("publish_days_before_use must not be negative")
    now = _now(now)
    private_key = keys.generate_private_key()
    public_key = private_key.public_key()
    signing_key = SigningKey(
        commune=commune,
        kid=keys.b64url_encode(keys.key_id(public_key)),
        algorithm=keys.ALG_ES256,
        public_jwk=keys.public_jwk(public_key),
        source=SigningKey.Source.DATABASE,
        private_key_pem=private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii"),
        published_at=now,
        valid_from=now + timedelta(days=publish_days_before_use),
    )
    with tenancy.scope(commune):  # full_clean checks uniqueness through the scoped default manager
        signing_key.full_clean()
    signing_key.save()
    _trust_list_changed()
    audit.record(action="documents.signing_key.created", commune=commune, actor=actor, target=signing_key,
                 details={"kid": signing_key.kid, "valid_from": keys.format_time(signing_key.valid_from)})
    return signing_key


@transaction.atomic
def key_rotate(
    *, commune: Commune, publish_days_before_use: int = 7, now: datetime | None = None, actor: User | None = None
) -> SigningKey:
    """Create the next key and close the window of the keys it replaces at the new key's first day of use."""
    now = _now(now)
    # Lock the commune's open keys so that two rotations at once do not both close the same key.
    open_keys = list(
        SigningKey.all_communes.select_for_update().filter(commune=commune, valid_until__isnull=True)
    )
    new_key = key_create(commune=commune, publish_days_before_use=publish_days_before_use, now=now, actor=actor)
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


def load_private_key(signing_key: SigningKey) -> ec.EllipticCurvePrivateKey:
    if signing_key.source != SigningKey.Source.DATABASE:
        raise NotImplementedError(f"signing keys from {signing_key.source!r} are not supported yet")
    private_key = serialization.load_pem_private_key(signing_key.private_key_pem.encode("ascii"), password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the stored signing key is not an EC key")
    return private_key


def listed_keys(*, now: datetime | None = None):
    """The keys of the trust list: published, and either current or retired less than N years ago (documents are
    not modelled yet, so how long a retired key's documents stay valid is this setting)."""
    now = _now(now)
    horizon = _years_before(now, listed_years())
    return (
        SigningKey.all_communes.filter(published_at__lte=now, commune__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=horizon))
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
