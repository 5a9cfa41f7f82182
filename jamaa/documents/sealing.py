"""Where each commune's seal key comes from, per `settings.DOCUMENT_SEAL_SOURCE`.

* `dev` (development, demo, tests): `seal.ensure_dev_pki()` under `DOCUMENT_DEV_PKI_DIR` — a local trust anchor
  (`root.pem`, to import into a verifier) and one seal per commune, created once and reused.
* `file` (production): PEM files under `DOCUMENT_SEAL_DIR`: `seal-<commune slug>.key.pem` (optionally encrypted with
  `DOCUMENT_SEAL_KEY_PASSWORD`), `seal-<commune slug>.pem` and `chain.pem` (the CA certificates above it).
* `pkcs11` (production with an HSM or a token): the module `DOCUMENT_SEAL_PKCS11_MODULE`, token label
  `DOCUMENT_SEAL_PKCS11_TOKEN`, PIN `DOCUMENT_SEAL_PKCS11_PIN`; the key and certificate labelled
  `seal-<commune slug>`.

`seal_signer(commune)` gives a pyHanko signer for the commune; `trust_anchors()` the certificates a PDF verifier
trusts (published in the trust list, so an offline verifier needs nothing else).
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from django.conf import settings
from pyhanko.sign import signers

from jamaa.core.models import Commune
from jamaa.documents import seal


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


def file_signer(commune: Commune) -> signers.Signer:
    raise SealNotConfigured("DOCUMENT_SEAL_SOURCE=file is not supported yet.")


def pkcs11_signer(commune: Commune) -> signers.Signer:
    raise SealNotConfigured("DOCUMENT_SEAL_SOURCE=pkcs11 is not supported yet.")


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
    """The seal certificate of `file_signer(commune)` (hook: to be filled with the file source)."""
    raise SealNotConfigured("DOCUMENT_SEAL_SOURCE=file is not supported yet.")


def pkcs11_seal_certificate(commune: Commune) -> x509.Certificate | None:
    """The seal certificate of `pkcs11_signer(commune)` (hook: to be filled with the PKCS#11 source)."""
    raise SealNotConfigured("DOCUMENT_SEAL_SOURCE=pkcs11 is not supported yet.")


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
