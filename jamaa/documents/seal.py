"""The commune's electronic seal: a PAdES signature on issued acts (issue 4).

Two parts with a clear boundary between them:

* Where the seal key comes from. Development and demo use `ensure_dev_pki()`: a local root CA (the trust anchor a
  verifier imports) and one seal certificate per commune, created once as PEM files (keys 0600) and reused after.
  Production will load the key from a file or a PKCS#11 module named in the environment: anything that gives a
  pyHanko `Signer` (`load_file_signer()` here; `pyhanko.sign.pkcs11.PKCS11Signer` later) plugs into `seal_with()`.
* How a PDF is sealed: `seal_with()` adds one PAdES baseline B signature (SHA-256) covering the whole file, with
  the certificate chain embedded.

The keys are RSA and the digest SHA-256 on purpose: the acts are PDF/A-3b, which is PDF 1.7 based, and pyHanko
marks a file PDF 2.0 when it seals with an ECDSA key (ISO/TS 32002) — see "Known pitfalls" in the design notes.
"""

from __future__ import annotations

import fcntl
import functools
import io
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.general import get_pyca_cryptography_hash

RSA_BITS = 3072
ROOT_VALIDITY = timedelta(days=10 * 365)
SEAL_VALIDITY = timedelta(days=3 * 365)
SEAL_FIELD = "CommuneSeal"
SIGNATURE_BYTES_RESERVED = 16 * 1024


@dataclass(frozen=True)
class SealFiles:
    """One commune's seal: its private key and its certificate (PEM)."""

    key: Path
    cert: Path


@dataclass(frozen=True)
class DevPki:
    """The development trust anchor and the seals it issued, by commune code."""

    directory: Path
    root_cert: Path
    root_key: Path
    seals: dict[str, SealFiles]

    def chain(self) -> list[Path]:
        """The certificates to embed above a seal certificate."""
        return [self.root_cert]


def _write_private(path: Path, data: bytes) -> None:
    """Write a key readable by its owner only (0600 from creation on, never world-readable for a moment)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _create_root(directory: Path) -> None:
    key = _new_key()
    name = _name("Jamaa — autorité de développement (non valable)", "Jamaa (développement)")
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + ROOT_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                     crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / "root.key.pem", _key_pem(key))
    _write_public(directory / "root.pem", cert.public_bytes(serialization.Encoding.PEM))


def _create_seal(directory: Path, code: str, commune_name: str, files: SealFiles) -> None:
    root_key = serialization.load_pem_private_key((directory / "root.key.pem").read_bytes(), password=None)
    root_cert = x509.load_pem_x509_certificate((directory / "root.pem").read_bytes())
    assert isinstance(root_key, rsa.RSAPrivateKey)
    key = _new_key()
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(f"{commune_name} — cachet électronique", commune_name))
        .issuer_name(root_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(min(now + SEAL_VALIDITY, root_cert.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    _write_private(files.key, _key_pem(key))
    _write_public(files.cert, cert.public_bytes(serialization.Encoding.PEM))


def ensure_dev_pki(directory: Path, commune_codes: Sequence[str],
                   commune_names: Mapping[str, str] | None = None) -> DevPki:
    """The development trust anchor and one seal per commune under `directory`, created only where missing.

    `commune_names` gives the name printed in each certificate ("Commune de Salé"); a commune without one is named
    after its code. Files already there are reused as they are, so the trust anchor a verifier imported stays valid.
    """
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    # Several processes (test workers, gunicorn workers) may ask at once: one creates, the others wait and reuse.
    with open(directory / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            return _ensure_dev_pki_locked(directory, commune_codes, commune_names)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _ensure_dev_pki_locked(directory: Path, commune_codes: Sequence[str],
                           commune_names: Mapping[str, str] | None) -> DevPki:
    if not (directory / "root.pem").exists() or not (directory / "root.key.pem").exists():
        _create_root(directory)
    seals: dict[str, SealFiles] = {}
    for code in commune_codes:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", code):
            raise ValueError(f"Not a commune code: {code!r}")
        files = SealFiles(key=directory / f"seal-{code}.key.pem", cert=directory / f"seal-{code}.pem")
        if not files.key.exists() or not files.cert.exists():
            name = (commune_names or {}).get(code) or f"Commune {code}"
            _create_seal(directory, code, name, files)
        seals[code] = files
    return DevPki(directory=directory, root_cert=directory / "root.pem", root_key=directory / "root.key.pem",
                  seals=seals)


# ---- Where the key comes from (the production boundary: a file today, PKCS#11 later).

class _FileKeySigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner, keeping its RSA key parsed between signatures.

    SimpleSigner parses (and checks) the private key again for every signature, and signs twice per PDF (a dry run
    sizes the signature's placeholder): with a 3072-bit key that is most of the sealing time. Here the key is parsed
    once and the dry run returns placeholder bytes of the signature's exact size, as pyHanko's API allows.
    """

    _rsa_key: rsa.RSAPrivateKey | None = None

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run and self._loaded_rsa() is not None:
            return bytes(self._loaded_rsa().key_size // 8)  # type: ignore[union-attr]
        return self.sign_raw(data, digest_algorithm)

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        key = self._loaded_rsa()
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        if key is None or mechanism.signature_algo != "rsassa_pkcs1v15":
            return super().sign_raw(data, digest_algorithm)
        return key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))

    def _loaded_rsa(self) -> rsa.RSAPrivateKey | None:
        if self._rsa_key is None:
            key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
            if isinstance(key, rsa.RSAPrivateKey):
                self._rsa_key = key
        return self._rsa_key


def load_file_signer(*, key_path: Path, cert_path: Path, chain: Sequence[Path] = ()) -> signers.Signer:
    """A signer from an unencrypted PEM key and its certificate, with the chain to embed. Keep it for the next
    seals: loading the key is the slow part."""
    loaded = signers.SimpleSigner.load(str(key_path), str(cert_path), ca_chain_files=[str(p) for p in chain])
    if loaded is None:
        raise ValueError(f"Could not load the seal key {key_path} or its certificate {cert_path}.")
    signer = _FileKeySigner(signing_cert=loaded.signing_cert, signing_key=loaded.signing_key,
                            cert_registry=loaded.cert_registry)
    signer._loaded_rsa()
    return signer


# ---- How a PDF is sealed.

def seal_with(pdf: bytes, signer: signers.Signer, *, reason: str | None = None) -> bytes:
    """`pdf` with one PAdES baseline B seal (SHA-256, chain embedded) covering the whole file."""
    metadata = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason,
        # A seal, not a personal signature: the key usage of a seal certificate is what pyHanko checks.
        signer_key_usage={"digital_signature", "non_repudiation"},
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = io.BytesIO()
    # Reserving the signature's room up front skips pyHanko's dry run (a whole CMS built and thrown away just to
    # measure it): a 3072-bit signature with a two-certificate chain takes about 4 KB; 16 KB leaves room for a
    # longer chain (an intermediate CA) and is still small next to the act.
    signers.PdfSigner(metadata, signer=signer).sign_pdf(writer, output=out, bytes_reserved=SIGNATURE_BYTES_RESERVED)
    return out.getvalue()


@functools.lru_cache(maxsize=64)  # one signer per commune; a file changed on disk (new mtime) is loaded again
def _cached_file_signer(key_path: Path, cert_path: Path, chain: tuple[Path, ...],
                        _mtimes: tuple[int, ...]) -> signers.Signer:
    return load_file_signer(key_path=key_path, cert_path=cert_path, chain=chain)


def seal_pdf(pdf: bytes, *, key_path: Path, cert_path: Path, chain: Sequence[Path] = ()) -> bytes:
    """`pdf` sealed with the key and certificate in these files (see `seal_with`); the loaded key is kept."""
    paths = (Path(key_path), Path(cert_path), *(Path(p) for p in chain))
    mtimes = tuple(p.stat().st_mtime_ns for p in paths)
    return seal_with(pdf, _cached_file_signer(paths[0], paths[1], paths[2:], mtimes))
