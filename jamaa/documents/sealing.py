"""Where each commune's seal key comes from, per `settings.DOCUMENT_SEAL_SOURCE`.

* `dev` (development, demo, tests): `seal.ensure_dev_pki()` under `DOCUMENT_DEV_PKI_DIR` — a local trust anchor
  (`root.pem`, to import into a verifier) and one seal per commune, created once and reused.
* `file` (production): PEM files under `DOCUMENT_SEAL_DIR`: `seal-<commune slug>.key.pem` (optionally encrypted with
  `DOCUMENT_SEAL_KEY_PASSWORD`), `seal-<commune slug>.pem` and, optionally, `chain.pem` (the CA certificates above
  it, embedded in each seal so that a verifier holding only the root can build the chain).
* `pkcs11` (production with an HSM or a token): the module `DOCUMENT_SEAL_PKCS11_MODULE`, token label
  `DOCUMENT_SEAL_PKCS11_TOKEN`, PIN `DOCUMENT_SEAL_PKCS11_PIN`; the private key and the certificate labelled
  `seal-<commune slug>` (a certificate not kept on the token is read from `DOCUMENT_SEAL_DIR/seal-<slug>.pem`), and
  `chain.pem` from `DOCUMENT_SEAL_DIR` as above.

Both production sources refuse, with a message for the operator (`SealNotConfigured`), a missing file or token
object, a wrong password or PIN, a key that does not match its certificate, a key that is not RSA, and a certificate
outside its validity. Loaded signers are kept per process (`keystore.py` says how, and when they are loaded again).

`seal_signer(commune)` gives a pyHanko signer for the commune; `trust_anchors()` the certificates a PDF verifier
trusts (published in the trust list, so an offline verifier needs nothing else).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.conf import settings
from pyhanko.sign import signers
from pyhanko_certvalidator.registry import SimpleCertificateStore

from jamaa.core.models import Commune
from jamaa.documents import keystore, seal


class SealNotConfigured(Exception):
    """The commune's seal key cannot be loaded; the message says what is missing (for the operator)."""


def dev_pki(communes: list[Commune] | None = None) -> seal.DevPki:
    names = {c.slug: c.name_fr for c in communes or []}
    return seal.ensure_dev_pki(Path(settings.DOCUMENT_DEV_PKI_DIR), sorted(names), names)


def seal_signer(commune: Commune) -> signers.Signer:
    source = settings.DOCUMENT_SEAL_SOURCE
    if source == "dev":
        pki = dev_pki([commune])
        files = pki.seals[commune.slug]
        paths = (files.key, files.cert, *pki.chain())
        mtimes = tuple(p.stat().st_mtime_ns for p in paths)
        return seal._cached_file_signer(paths[0], paths[1], tuple(paths[2:]), mtimes)
    if source == "file":
        return file_signer(commune)
    if source == "pkcs11":
        return pkcs11_signer(commune)
    raise SealNotConfigured(f"Unknown DOCUMENT_SEAL_SOURCE {source!r}.")


PASSWORD_SETTING = "DOCUMENT_SEAL_KEY_PASSWORD"
CHAIN_FILE = "chain.pem"


def seal_label(commune: Commune) -> str:
    """The name of the commune's seal: `seal-<slug>.key.pem`/`seal-<slug>.pem` files, or token objects so labelled."""
    return f"seal-{commune.slug}"


def _seal_dir() -> Path:
    return Path(settings.DOCUMENT_SEAL_DIR)


def _certificate_file(path: Path) -> x509.Certificate:
    return keystore.load_certificates_file(path)[0]


def _chain() -> tuple[x509.Certificate, ...]:
    """The CA certificates above the seals (`chain.pem`, optional), embedded in every seal."""
    path = _seal_dir() / CHAIN_FILE
    if not path.exists():
        return ()
    return tuple(keystore.load_certificates_file(path))


def _check_certificate(certificate: x509.Certificate, where: str) -> None:
    """A seal certificate pyHanko would sign with, but whose seal no verifier would accept, is refused here."""
    if not isinstance(certificate.public_key(), rsa.RSAPublicKey):
        raise SealNotConfigured(f"The seal certificate {where} is not for an RSA key: acts are PDF/A-3b, and an "
                                "ECDSA seal would turn them into PDF 2.0.")
    now = datetime.now(UTC)
    if now < certificate.not_valid_before_utc:
        raise SealNotConfigured(f"The seal certificate {where} is valid only from "
                                f"{certificate.not_valid_before_utc:%Y-%m-%d %H:%M} UTC.")
    if now > certificate.not_valid_after_utc:
        raise SealNotConfigured(f"The seal certificate {where} expired on "
                                f"{certificate.not_valid_after_utc:%Y-%m-%d}: renew it.")


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _file_paths(commune: Commune) -> tuple[Path, Path]:
    label = seal_label(commune)
    return _seal_dir() / f"{label}.key.pem", _seal_dir() / f"{label}.pem"


def file_signer(commune: Commune) -> signers.Signer:
    """The commune's seal from `DOCUMENT_SEAL_DIR` (see the module's docstring); kept until a file changes."""
    key_path, cert_path = _file_paths(commune)
    try:
        certificate = _certificate_file(cert_path)
        chain = _chain()
        _check_certificate(certificate, f"{cert_path}")
        key = keystore.load_private_key_file(key_path, settings.DOCUMENT_SEAL_KEY_PASSWORD,
                                             password_setting=PASSWORD_SETTING)
    except keystore.KeyUnavailable as exc:
        raise SealNotConfigured(str(exc)) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SealNotConfigured(f"{key_path} is not an RSA key: acts are PDF/A-3b, and an ECDSA seal would turn them "
                                "into PDF 2.0.")
    if not keystore.same_public_key(key.public_key(), certificate.public_key()):
        raise SealNotConfigured(f"{key_path} is not the key of the certificate {cert_path}: replace both together.")
    return _file_seal_signer(key, certificate, chain)


@functools.lru_cache(maxsize=64)  # the key object is the same until its file changes (keystore's cache)
def _file_seal_signer(key: rsa.RSAPrivateKey, certificate: x509.Certificate,
                      chain: tuple[x509.Certificate, ...]) -> signers.Signer:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    signer = seal._FileKeySigner(
        signing_cert=_asn1_certificate(certificate),
        signing_key=asn1_keys.PrivateKeyInfo.load(der),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in chain]),
    )
    signer._rsa_key = key
    return signer


def _token_config() -> keystore.TokenConfig:
    try:
        return keystore.TokenConfig.from_settings()
    except keystore.KeyUnavailable as exc:
        raise SealNotConfigured(str(exc)) from None


def pkcs11_signer(commune: Commune) -> signers.Signer:
    """The commune's seal on the PKCS#11 token (see the module's docstring). The certificate is read from the token
    at each call (cheap), so a renewed certificate is used at once; the signer is kept while it stays the same."""
    config = _token_config()
    certificate = pkcs11_seal_certificate(commune)
    try:
        chain = _chain()
    except keystore.KeyUnavailable as exc:
        raise SealNotConfigured(str(exc)) from None
    _check_certificate(certificate, f"labelled {seal_label(commune)!r}")
    return _token_seal_signer(config, seal_label(commune), certificate, chain)


@functools.lru_cache(maxsize=64)
def _token_seal_signer(config: keystore.TokenConfig, label: str, certificate: x509.Certificate,
                       chain: tuple[x509.Certificate, ...]) -> signers.Signer:
    signer = _TokenSealSigner(config, label, certificate, chain)
    # Once per signer: the key on the token must be the certificate's, or every seal would fail to verify.
    probe = b"jamaa: does the seal key match its certificate?"
    public_key = certificate.public_key()
    assert isinstance(public_key, rsa.RSAPublicKey)
    try:
        public_key.verify(signer.sign_now(probe, "sha256"), probe, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SealNotConfigured(f"The private key labelled {label!r} on {config.describe()} is not the key of its "
                                "certificate: replace both together.") from None
    return signer


class _TokenSealSigner(signers.Signer):
    """A pyHanko signer whose RSA key stays on the PKCS#11 token: each signature runs through the process's token
    session (`keystore.with_session`), so it survives a session opened again after a failure."""

    def __init__(self, config: keystore.TokenConfig, label: str, certificate: x509.Certificate,
                 chain: tuple[x509.Certificate, ...]) -> None:
        asn1_certificate = _asn1_certificate(certificate)
        super().__init__(signing_cert=asn1_certificate,
                         cert_registry=SimpleCertificateStore.from_certs([_asn1_certificate(c) for c in chain]))
        self._config = config
        self._label = label
        self._signature_size = asn1_certificate.public_key.bit_size // 8
        self._key_handle: Any = None
        self._generation = -1

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            return bytes(self._signature_size)
        return self.sign_now(data, digest_algorithm)

    def sign_now(self, data: bytes, digest_algorithm: str) -> bytes:
        from pyhanko.sign.pkcs11 import select_pkcs11_signing_params

        spec = select_pkcs11_signing_params(self.get_signature_mechanism_for_digest(digest_algorithm),
                                            digest_algorithm.lower(), use_raw_mechanism=False, sign_kwargs={})
        if spec.pre_sign_transform is not None:
            data = spec.pre_sign_transform(data)

        def sign(session: Any, generation: int) -> bytes:
            if generation != self._generation or self._key_handle is None:
                import pkcs11

                key = keystore.find_object(session, pkcs11.ObjectClass.PRIVATE_KEY, self._label,
                                           config=self._config, what="private key")
                if key is None:
                    raise keystore.KeyUnavailable(f"No private key labelled {self._label!r} on "
                                                  f"{self._config.describe()}.")
                self._key_handle, self._generation = key, generation
            signature = bytes(self._key_handle.sign(data, **spec.sign_kwargs))
            return spec.post_sign_transform(signature) if spec.post_sign_transform is not None else signature

        try:
            return keystore.with_session(self._config, sign)
        except keystore.KeyUnavailable as exc:
            raise SealNotConfigured(str(exc)) from None


def seal_certificate(commune: Commune) -> x509.Certificate | None:
    """The certificate of the commune's seal (published in the trust list, so a verifier can tell that a PDF was
    sealed by the commune its QR names), or None when the commune has no seal. Raises SealNotConfigured."""
    source = settings.DOCUMENT_SEAL_SOURCE
    if source == "dev":
        return x509.load_pem_x509_certificate(dev_pki([commune]).seals[commune.slug].cert.read_bytes())
    if source == "file":
        return file_seal_certificate(commune)
    if source == "pkcs11":
        return pkcs11_seal_certificate(commune)
    raise SealNotConfigured(f"Unknown DOCUMENT_SEAL_SOURCE {source!r}.")


def file_seal_certificate(commune: Commune) -> x509.Certificate | None:
    """The seal certificate of `file_signer(commune)`: `DOCUMENT_SEAL_DIR/seal-<slug>.pem`."""
    _key_path, cert_path = _file_paths(commune)
    try:
        return _certificate_file(cert_path)
    except keystore.KeyUnavailable as exc:
        raise SealNotConfigured(str(exc)) from None


def pkcs11_seal_certificate(commune: Commune) -> x509.Certificate | None:
    """The seal certificate of `pkcs11_signer(commune)`: the certificate labelled `seal-<slug>` on the token, else
    `DOCUMENT_SEAL_DIR/seal-<slug>.pem`."""
    config = _token_config()
    label = seal_label(commune)
    _key_path, cert_path = _file_paths(commune)
    try:
        certificate = keystore.certificate_on_token(config, label)
        if certificate is None and cert_path.exists():
            certificate = _certificate_file(cert_path)
    except keystore.KeyUnavailable as exc:
        raise SealNotConfigured(str(exc)) from None
    if certificate is None:
        raise SealNotConfigured(f"No certificate labelled {label!r} on {config.describe()}, and no {cert_path}.")
    return certificate


def trust_anchors() -> list[x509.Certificate]:
    """The certificates that anchor the communes' seals."""
    if settings.DOCUMENT_SEAL_SOURCE == "dev":
        root = Path(settings.DOCUMENT_DEV_PKI_DIR) / "root.pem"
        if not root.exists():
            return []
        return [x509.load_pem_x509_certificate(root.read_bytes())]
    anchors: list[x509.Certificate] = []
    for name in settings.DOCUMENT_SEAL_TRUST_ANCHORS:
        anchors.extend(x509.load_pem_x509_certificates(Path(name).read_bytes()))
    return anchors
