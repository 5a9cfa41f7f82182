"""Production keys: the seal (RSA) and the QR key (P-256) loaded from PEM files or from a PKCS#11 token.

The token is a real SoftHSM2 token made for the test run (its own configuration and token directory): the seal key
is imported with `softhsm2-util --import` and its certificate written next to it, as an operator would; the QR key is
generated on the token and never leaves it. Acts are issued through the real services and checked with pdfsig,
pyHanko's validator and the QR verifier; refusals leave the case approved with a message that says what to fix.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from jamaa.cases.models import Case, CaseState
from jamaa.cases.workflow import TransitionNotAllowed
from jamaa.documents import keys, keystore, payload, sealing, services, verification
from jamaa.documents.models import IssuedDocument, SigningKey

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _operator_language():
    """The refusals are read in English, the language of the operator's part of each message."""
    with translation.override("en"):
        yield

PIN = "4827-1593"
SO_PIN = "9182-7364"
TOKEN = "jamaa-test"
PASSWORD = "correct horse battery staple"
SOFTHSM_MODULES = ("/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: scripts/lib.sh installs it (softhsm2, poppler-utils, libnss3-tools).")
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([_tool(args[0]), *args[1:]], capture_output=True, text=True, check=False)


# ---- Keys and certificates made for the tests, under the development trust anchor.

def _root() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    pki = sealing.dev_pki()
    key = serialization.load_pem_private_key(pki.root_key.read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key, x509.load_pem_x509_certificate(pki.root_cert.read_bytes())


def seal_certificate_for(public_key: rsa.RSAPublicKey, name: str, *, expired: bool = False) -> x509.Certificate:
    root_key, root_cert = _root()
    now = datetime.now(UTC)
    start, end = (now - timedelta(days=30), now - timedelta(days=1)) if expired else (
        now - timedelta(minutes=5), now + timedelta(days=365))
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "MA"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, name),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"{name} — cachet électronique")])
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(root_cert.subject).public_key(public_key)
        .serial_number(x509.random_serial_number()).not_valid_before(start).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )


def pem_key(key: Any, password: str | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password.encode()) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


# ---- The SoftHSM2 token (one per test process).

@dataclass(frozen=True)
class Token:
    module: str
    seal_certificate: x509.Certificate
    qr_public_key: ec.EllipticCurvePublicKey


def _rw_session(module: str) -> Any:
    """A read-write session logged in as the user, for the test's own setup (the platform only reads and signs).
    The platform's session is closed first: a token has one login per process."""
    import pkcs11

    keystore.reset()
    return pkcs11.lib(module).get_token(token_label=TOKEN).open(rw=True, user_pin=PIN)


def _write_certificate(session: Any, label: str, certificate: x509.Certificate) -> None:
    from pkcs11 import Attribute, CertificateType, ObjectClass

    session.create_object({
        Attribute.CLASS: ObjectClass.CERTIFICATE, Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
        Attribute.TOKEN: True, Attribute.LABEL: label, Attribute.ID: label.encode(),
        Attribute.SUBJECT: certificate.subject.public_bytes(),
        Attribute.VALUE: certificate.public_bytes(serialization.Encoding.DER),
    })


def generate_qr_key(module: str, label: str) -> ec.EllipticCurvePublicKey:
    """A P-256 key pair generated on the token (the private key is not extractable)."""
    from pkcs11 import Attribute, KeyType
    from pkcs11.util.ec import encode_named_curve_parameters

    session = _rw_session(module)
    try:
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True)
        params.generate_keypair(store=True, label=label, id=label.encode())
    finally:
        session.close()
    return keystore.ec_public_key(keystore.TokenConfig(module=module, token=TOKEN, pin=PIN), label)


def delete_objects(module: str, label: str) -> None:
    from pkcs11 import Attribute

    session = _rw_session(module)
    try:
        for obj in list(session.get_objects({Attribute.LABEL: label})):
            obj.destroy()
    finally:
        session.close()


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Token]:
    _tool("softhsm2-util")
    module = next((m for m in SOFTHSM_MODULES if Path(m).exists()), None)
    if module is None:
        pytest.fail("SoftHSM2's PKCS#11 module is missing: scripts/lib.sh installs the softhsm2 package.")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\n"
                    "log.level = ERROR\nslots.removable = false\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(conf)  # read by SoftHSM when the module is first loaded in this process
    result = run("softhsm2-util", "--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", SO_PIN)
    assert result.returncode == 0, result.stderr
    # The seal key made outside and imported, as an operator would with a key and certificate from their CA.
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    key_file = directory / "seal-sale.key.pem"
    key_file.write_bytes(pem_key(seal_key))
    result = run("softhsm2-util", "--import", str(key_file), "--token", TOKEN, "--label", "seal-sale",
                 "--id", "5301", "--pin", PIN)
    key_file.unlink()
    assert result.returncode == 0, result.stdout + result.stderr
    certificate = seal_certificate_for(seal_key.public_key(), "Commune de Salé")
    session = _rw_session(module)
    try:
        _write_certificate(session, "seal-sale", certificate)
    finally:
        session.close()
    qr_public_key = generate_qr_key(module, "qr-sale")
    yield Token(module=module, seal_certificate=certificate, qr_public_key=qr_public_key)
    keystore.clear_caches()
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    # The trust list cache is cleared on commit, and a test's transaction never commits.
    cache.delete(verification.TRUST_LIST_CACHE_KEY)
    keystore.clear_caches()
    yield
    keystore.clear_caches()
    cache.delete(verification.TRUST_LIST_CACHE_KEY)


@pytest.fixture
def seal_dir(settings, tmp_path: Path) -> Path:
    """DOCUMENT_SEAL_DIR with the chain above the seals (the development root)."""
    directory = tmp_path / "seal"
    directory.mkdir()
    directory.joinpath("chain.pem").write_bytes(sealing.dev_pki().root_cert.read_bytes())
    settings.DOCUMENT_SEAL_DIR = directory
    return directory


@pytest.fixture
def on_token(settings, softhsm: Token, seal_dir: Path) -> Token:
    settings.DOCUMENT_SEAL_SOURCE = "pkcs11"
    settings.DOCUMENT_SEAL_PKCS11_MODULE = softhsm.module
    settings.DOCUMENT_SEAL_PKCS11_TOKEN = TOKEN
    settings.DOCUMENT_SEAL_PKCS11_PIN = PIN
    return softhsm


@dataclass(frozen=True)
class Files:
    directory: Path
    seal_key: rsa.RSAPrivateKey
    seal_certificate: x509.Certificate
    qr_key: ec.EllipticCurvePrivateKey
    qr_path: Path


@pytest.fixture
def in_files(settings, seal_dir: Path, tmp_path: Path) -> Files:
    """The file source: an encrypted seal key, its certificate and an encrypted QR key, all under one password."""
    seal_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    certificate = seal_certificate_for(seal_key.public_key(), "Commune de Salé")
    (seal_dir / "seal-sale.key.pem").write_bytes(pem_key(seal_key, PASSWORD))
    (seal_dir / "seal-sale.pem").write_bytes(pem_cert(certificate))
    qr_key = keys.generate_private_key()
    qr_path = tmp_path / "keys" / "qr-sale.key.pem"
    qr_path.parent.mkdir()
    qr_path.write_bytes(pem_key(qr_key, PASSWORD))
    settings.DOCUMENT_SEAL_SOURCE = "file"
    settings.DOCUMENT_SEAL_KEY_PASSWORD = PASSWORD
    return Files(directory=seal_dir, seal_key=seal_key, seal_certificate=certificate, qr_key=qr_key, qr_path=qr_path)


def use_key(world: Any, *, source: str, key_path: str) -> SigningKey:
    """The commune's next QR key, registered through the service and in use from half an hour ago."""
    return services.key_rotate(commune=world.sale, source=source, key_path=key_path, publish_days_before_use=0,
                               now=timezone.now() - timedelta(minutes=30))


def nss_trusting_the_root(tmp_path: Path) -> str:
    db = tmp_path / "nss"
    db.mkdir()
    spec = f"sql:{db}"
    for args in (("certutil", "-N", "-d", spec, "--empty-password"),
                 ("certutil", "-A", "-n", "root", "-t", ",C,", "-i", str(sealing.dev_pki().root_cert), "-d", spec)):
        result = run(*args)
        assert result.returncode == 0, result.stderr
    return spec


def assert_sealed_by(pdf: bytes, certificate: x509.Certificate, tmp_path: Path) -> None:
    """pdfsig (with the root imported) and pyHanko's validator both accept the seal, over the whole file."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    assert pdf.startswith(b"%PDF-1.7")
    path = tmp_path / "act.pdf"
    path.write_bytes(pdf)
    out = run("pdfsig", "-nssdir", nss_trusting_the_root(tmp_path), str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "Signature Validation: Signature is Valid." in out.stdout
    assert "Certificate Validation: Certificate is Trusted." in out.stdout
    assert "Total document signed" in out.stdout
    assert "Commune de Salé — cachet électronique" in out.stdout

    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    root = asn1_x509.Certificate.load(_root()[1].public_bytes(serialization.Encoding.DER))
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[root], allow_fetching=False))
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.coverage.name == "ENTIRE_FILE"
    assert status.signing_cert.dump() == certificate.public_bytes(serialization.Encoding.DER)


def assert_refused(issue_act: Any, match: str) -> str:
    """Issuing fails with a message matching `match`; the case stays approved and no act exists."""
    with pytest.raises(TransitionNotAllowed, match=match) as info:
        issue_act()
    message = str(info.value)
    assert PIN not in message and PASSWORD not in message
    assert not IssuedDocument.all_communes.exists()
    assert Case.all_communes.order_by("-pk").first().state == CaseState.APPROVED
    return message


# ---- Issuing with the keys on a PKCS#11 token.

def test_an_act_sealed_and_signed_on_a_pkcs11_token_verifies(on_token: Token, issue_act, world, tmp_path) -> None:
    key = use_key(world, source="pkcs11", key_path="qr-sale")
    assert key.source == SigningKey.Source.PKCS11 and key.key_path == "qr-sale" and not key.private_key_pem
    assert keys.b64url_decode(key.kid) == keys.key_id(on_token.qr_public_key)
    document = issue_act()
    assert document.signing_key == key
    assert_sealed_by(document.pdf.read(), on_token.seal_certificate, tmp_path)
    result = verification.verify_qr(document.qr_url)
    assert result.status == "valid" and result.document == document
    # The loaded seal is kept: the next act reuses the same signer and the same token session.
    assert sealing.seal_signer(world.sale) is sealing.seal_signer(world.sale)


def test_the_seal_certificate_comes_from_the_token(on_token: Token, world) -> None:
    assert sealing.seal_certificate(world.sale) == on_token.seal_certificate
    with pytest.raises(sealing.SealNotConfigured, match="No certificate labelled 'seal-temara'"):
        sealing.seal_certificate(world.temara)


def test_a_wrong_pin_refuses_the_act_and_is_not_tried_again(on_token, issue_act, settings, world) -> None:
    use_key(world, source="pkcs11", key_path="qr-sale")
    settings.DOCUMENT_SEAL_PKCS11_PIN = "0000-0000"
    message = assert_refused(issue_act, "refused the PIN")
    assert "DOCUMENT_SEAL_PKCS11_PIN" in message and "0000-0000" not in message
    # A real token locks itself after a few wrong PINs: this process does not spend another one.
    with pytest.raises(sealing.SealNotConfigured, match="refused earlier"):
        sealing.seal_signer(world.sale)
    settings.DOCUMENT_SEAL_PKCS11_PIN = PIN
    assert sealing.seal_signer(world.sale) is not None


def test_a_seal_label_missing_on_the_token_refuses_the_act(on_token, issue_act, world) -> None:
    sealing.seal_signer(world.sale)  # Salé has its seal; Témara has none on this token
    services.key_create(commune=world.temara, publish_days_before_use=0, now=timezone.now() - timedelta(minutes=1))
    with pytest.raises(TransitionNotAllowed, match="No certificate labelled 'seal-temara'"):
        issue_act(commune="temara")
    assert not IssuedDocument.all_communes.exists()


def test_a_certificate_without_its_private_key_on_the_token_is_refused(on_token, world, settings) -> None:
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    session = _rw_session(on_token.module)
    try:
        _write_certificate(session, "seal-temara", seal_certificate_for(other.public_key(), "Commune de Témara"))
    finally:
        session.close()
    try:
        with pytest.raises(sealing.SealNotConfigured, match="No private key labelled 'seal-temara'"):
            sealing.seal_signer(world.temara)
    finally:
        delete_objects(on_token.module, "seal-temara")


def test_a_qr_key_removed_from_the_token_refuses_the_act(on_token, issue_act, world) -> None:
    generate_qr_key(on_token.module, "qr-doomed")
    use_key(world, source="pkcs11", key_path="qr-doomed")
    delete_objects(on_token.module, "qr-doomed")
    message = assert_refused(issue_act, "QR signing key cannot be used")
    assert "No public key labelled 'qr-doomed'" in message


def test_a_qr_key_replaced_on_the_token_under_its_label_is_not_used(on_token, issue_act, world) -> None:
    generate_qr_key(on_token.module, "qr-swapped")
    use_key(world, source="pkcs11", key_path="qr-swapped")
    delete_objects(on_token.module, "qr-swapped")
    generate_qr_key(on_token.module, "qr-swapped")  # same label, another key: the trust list does not know it
    try:
        assert "is no longer the key" in assert_refused(issue_act, "QR signing key cannot be used")
    finally:
        delete_objects(on_token.module, "qr-swapped")


@pytest.mark.parametrize(("setting", "value", "match"), [
    ("DOCUMENT_SEAL_PKCS11_TOKEN", "no-such-token", "No token labelled 'no-such-token'"),
    ("DOCUMENT_SEAL_PKCS11_MODULE", "/nonexistent/libpkcs11.so", "cannot be loaded"),
    ("DOCUMENT_SEAL_PKCS11_PIN", None, "set DOCUMENT_SEAL_PKCS11_PIN"),
])
def test_a_token_that_cannot_be_opened_refuses_the_act(on_token, issue_act, settings, setting, value, match) -> None:
    setattr(settings, setting, value)
    assert_refused(issue_act, match)


# The dead session's object search fails again when python-pkcs11 finalises it: expected here.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_dead_session_is_opened_again_once(on_token: Token, world) -> None:
    config = keystore.TokenConfig.from_settings()
    signer = services.signer_for(SigningKey(commune=world.sale, kid=keys.b64url_encode(
        keys.key_id(on_token.qr_public_key)), public_jwk=keys.public_jwk(on_token.qr_public_key),
        source=SigningKey.Source.PKCS11, key_path="qr-sale"))
    assert len(signer(b"first")) == 64
    keystore._token(config).session.close()  # the HSM restarted under the process's feet
    assert len(signer(b"second")) == 64


# ---- Issuing with the keys in files.

def test_an_act_sealed_and_signed_with_encrypted_key_files_verifies(in_files: Files, issue_act, world,
                                                                    tmp_path) -> None:
    key = use_key(world, source="file", key_path=str(in_files.qr_path))
    assert key.source == SigningKey.Source.FILE and key.key_path == str(in_files.qr_path.resolve())
    document = issue_act()
    assert document.signing_key == key
    assert_sealed_by(document.pdf.read(), in_files.seal_certificate, tmp_path)
    result = verification.verify_qr(document.qr_url)
    assert result.status == "valid", result
    assert sealing.seal_certificate(world.sale) == in_files.seal_certificate


def test_a_replaced_seal_file_is_picked_up_without_a_restart(in_files: Files, world) -> None:
    first = sealing.seal_signer(world.sale)
    assert sealing.seal_signer(world.sale) is first  # kept while the files stay the same
    renewed_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    renewed = seal_certificate_for(renewed_key.public_key(), "Commune de Salé")
    for name, data in (("seal-sale.key.pem", pem_key(renewed_key, PASSWORD)), ("seal-sale.pem", pem_cert(renewed))):
        staged = in_files.directory / f"{name}.new"
        staged.write_bytes(data)
        os.replace(staged, in_files.directory / name)
    second = sealing.seal_signer(world.sale)
    assert second is not first
    assert second.signing_cert.dump() == renewed.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize(("case", "match"), [
    ("missing key", r"seal-sale\.key\.pem is missing"),
    ("missing certificate", r"seal-sale\.pem is missing"),
    ("wrong password", "cannot be decrypted: DOCUMENT_SEAL_KEY_PASSWORD is not its password"),
    ("no password", "is encrypted: set DOCUMENT_SEAL_KEY_PASSWORD"),
    ("other key", "is not the key of the certificate"),
    ("expired", "expired on"),
])
def test_a_seal_file_problem_refuses_the_act(in_files: Files, issue_act, settings, case, match) -> None:
    key_file, cert_file = in_files.directory / "seal-sale.key.pem", in_files.directory / "seal-sale.pem"
    if case == "missing key":
        key_file.unlink()
    elif case == "missing certificate":
        cert_file.unlink()
    elif case == "wrong password":
        settings.DOCUMENT_SEAL_KEY_PASSWORD = "not the password"
    elif case == "no password":
        settings.DOCUMENT_SEAL_KEY_PASSWORD = None
    elif case == "other key":
        key_file.write_bytes(pem_key(rsa.generate_private_key(public_exponent=65537, key_size=2048), PASSWORD))
    elif case == "expired":
        cert_file.write_bytes(pem_cert(seal_certificate_for(in_files.seal_key.public_key(), "Commune de Salé",
                                                            expired=True)))
    message = assert_refused(issue_act, match)
    assert "seal cannot be used" in message


def test_a_qr_key_file_problem_refuses_the_act(in_files: Files, issue_act, world, settings) -> None:
    use_key(world, source="file", key_path=str(in_files.qr_path))
    in_files.qr_path.write_bytes(pem_key(keys.generate_private_key(), PASSWORD))  # another key in its place
    assert "no longer the key" in assert_refused(issue_act, "QR signing key cannot be used")
    in_files.qr_path.unlink()
    assert_refused(issue_act, r"qr-sale\.key\.pem is missing")
    in_files.qr_path.write_bytes(pem_key(in_files.qr_key, PASSWORD))
    settings.DOCUMENT_SEAL_KEY_PASSWORD = "not the password"
    assert_refused(issue_act, "cannot be decrypted")


def test_an_ecdsa_seal_key_is_refused(in_files: Files, world) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    root_key, root_cert = _root()
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(root_cert.subject).issuer_name(root_cert.subject)
            .public_key(ec_key.public_key()).serial_number(1).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1)).sign(root_key, hashes.SHA256()))
    (in_files.directory / "seal-sale.key.pem").write_bytes(pem_key(ec_key, PASSWORD))
    (in_files.directory / "seal-sale.pem").write_bytes(pem_cert(cert))
    with pytest.raises(sealing.SealNotConfigured, match="not for an RSA key"):
        sealing.seal_signer(world.sale)


# ---- The QR payload signed by a raw signer.

def claims() -> payload.Claims:
    return payload.Claims(issuer="SALE", kind="RES", reference="SAL-2026-000001", holder="فاطمة الزهراء بناني",
                          issued_at=datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1),
                          facts={1: "AB123456", 2: "حي الرحمة زنقة 12 رقم 5"})


def trust_for(public_key: ec.EllipticCurvePublicKey) -> keys.TrustList:
    trusted = keys.TrustedKey.for_public_key(public_key, valid_from=datetime(2020, 1, 1, tzinfo=UTC))
    return keys.TrustList.build([keys.TrustedCommune(code="SALE", name="Salé", host="sale.example.ma",
                                                     keys=(trusted,))])


def test_a_payload_signed_by_a_raw_signer_has_the_structure_of_sign_payload_and_verifies() -> None:
    private_key = keys.generate_private_key()
    kid = keys.key_id(private_key.public_key())
    by_cwt = cbor2.loads(payload.sign_payload(claims(), private_key=private_key, kid=kid))
    raw = payload.sign_payload_with(claims(), signer=payload.local_signer(private_key), kid=kid)
    by_hand = cbor2.loads(raw)
    assert by_hand.tag == by_cwt.tag == payload.COSE_SIGN1_TAG
    # Same protected header bytes, unprotected header and payload; only the (randomised) signature differs.
    assert by_hand.value[:3] == by_cwt.value[:3]
    assert len(by_hand.value[3]) == len(by_cwt.value[3]) == 64
    verified = payload.verify(raw, trust_list=trust_for(private_key.public_key()))
    assert verified.claims == claims()


def test_a_payload_signed_on_the_token_verifies_and_a_der_signature_is_refused(on_token: Token) -> None:
    config = keystore.TokenConfig.from_settings()
    kid = keys.key_id(on_token.qr_public_key)
    signed = payload.sign_payload_with(
        claims(), signer=lambda data: keystore.ecdsa_sign_sha256(config, "qr-sale", data), kid=kid)
    assert payload.verify(signed, trust_list=trust_for(on_token.qr_public_key)).claims.holder == claims().holder
    private_key = keys.generate_private_key()
    with pytest.raises(ValueError, match="raw 64-byte"):
        payload.sign_payload_with(claims(), signer=lambda data: private_key.sign(data, ec.ECDSA(hashes.SHA256())),
                                  kid=kid)


# ---- Registering a key kept outside the database.

def test_the_command_registers_a_token_key_listed_before_use_and_retires_the_current(on_token: Token,
                                                                                     world) -> None:
    current = services.current_signing_key(world.sale)
    out = io.StringIO()
    call_command("rotate_signing_key", "sale", "--source", "pkcs11", "--key-label", "qr-sale", "--days", "7",
                 stdout=out)
    key = SigningKey.all_communes.get(commune=world.sale, source=SigningKey.Source.PKCS11)
    assert key.kid == keys.b64url_encode(keys.key_id(on_token.qr_public_key)) and key.kid in out.getvalue()
    assert key.key_path == "qr-sale" and not key.private_key_pem
    assert key.published_at <= timezone.now() < key.valid_from
    assert services.current_signing_key(world.sale) == current  # still signing until the new key's first day
    current.refresh_from_db()
    assert current.valid_until == key.valid_from
    listed = services.trust_list().find(keys.key_id(on_token.qr_public_key))
    assert listed is not None and listed[0].code == world.sale.code
    with pytest.raises(CommandError, match="already registered"):
        call_command("rotate_signing_key", "sale", "--source", "pkcs11", "--key-label", "qr-sale")


def test_the_command_registers_an_encrypted_key_file(in_files: Files, world) -> None:
    call_command("rotate_signing_key", "sale", "--source", "file", "--key-path", str(in_files.qr_path),
                 "--days", "0", stdout=io.StringIO())
    key = SigningKey.all_communes.get(commune=world.sale, source=SigningKey.Source.FILE)
    assert keys.b64url_decode(key.kid) == keys.key_id(in_files.qr_key.public_key())
    assert key.key_path == str(in_files.qr_path.resolve())


@pytest.mark.parametrize(("args", "match"), [
    (["--source", "pkcs11", "--key-label", "no-such-key"], "No public key labelled 'no-such-key'"),
    (["--source", "pkcs11"], "needs --key-label"),
    (["--source", "file", "--key-label", "qr-sale"], "needs --key-path"),
    (["--key-path", "/tmp/x.pem"], "go with --source file or pkcs11"),
    (["--source", "file", "--key-path", "/nonexistent/qr.key.pem"], "is missing"),
])
def test_the_command_refuses_a_key_it_cannot_use(on_token, world, args, match) -> None:
    before = SigningKey.all_communes.count()
    with pytest.raises(CommandError, match=match):
        call_command("rotate_signing_key", "sale", *args)
    assert SigningKey.all_communes.count() == before


def test_a_seal_key_file_is_not_accepted_as_a_qr_key(in_files: Files, world) -> None:
    with pytest.raises(services.SigningKeyUnavailable, match="not a P-256 key"):
        services.key_register(commune=world.sale, source="file",
                              key_path=str(in_files.directory / "seal-sale.key.pem"))
