"""Where the documents' private keys live in production: PEM files, or a PKCS#11 token (an HSM, a smart card).

An act is signed with two keys of its commune: the seal (RSA, the PAdES signature of the PDF, see `sealing.py`) and
the QR key (P-256, the COSE signature of the QR payload, see `services.signer_for`). Either can live in a file or on a
token; this module loads them, keeps what it loaded for the life of the process (opening a token session, logging
in and parsing an RSA key are the slow parts) and turns every failure into `KeyUnavailable`, whose message tells the
operator what to fix. Messages name files, settings and labels; never a PIN, a password or key material.

Files are read again when they change on disk (another inode, size or modification time), so replacing a key or a
certificate with `mv` takes effect at the next signature, without a restart.

One token session per process: the module named by `DOCUMENT_SEAL_PKCS11_MODULE`, the token labelled
`DOCUMENT_SEAL_PKCS11_TOKEN`, logged in with `DOCUMENT_SEAL_PKCS11_PIN`. A session is not safe for concurrent
operations, so every use holds the token's lock (`with_session`). When the token stops answering (HSM restarted,
token removed) the session is opened again once before giving up. A refused PIN is never tried twice by one process:
a real token locks itself after a few wrong PINs, and a wrong PIN in the configuration would otherwise spend them all.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from django.conf import settings

logger = logging.getLogger(__name__)


class KeyUnavailable(Exception):
    """A private key (or its certificate) cannot be used; the message says what to fix, for the operator."""


# ---- Files


def file_fingerprint(path: Path) -> tuple[int, int, int]:
    """What changes when a file is replaced or rewritten: inode, size, modification time."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise KeyUnavailable(f"{path} is missing.") from None
    except OSError as exc:
        raise KeyUnavailable(f"{path} cannot be read ({exc.strerror}).") from None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _secret_digest(secret: str | None) -> str:
    # Caches are keyed by a digest, so that a password changed in the settings (tests, a reload) is tried again.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest() if secret else ""


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise KeyUnavailable(f"{path} is missing.") from None
    except OSError as exc:
        raise KeyUnavailable(f"{path} cannot be read ({exc.strerror}).") from None


def load_private_key_file(path: Path, password: str | None, *, password_setting: str) -> PrivateKeyTypes:
    """The private key in a PEM file (PKCS#8 or traditional, encrypted with `password` or not); kept while the file
    stays the same. `password_setting` names the setting to fix in messages."""
    path = Path(path)
    return _load_private_key(path, file_fingerprint(path), password, password_setting)


@functools.lru_cache(maxsize=64)
def _load_private_key(path: Path, _fingerprint: tuple[int, int, int], password: str | None,
                      password_setting: str) -> PrivateKeyTypes:
    data = _read(path)
    secret = password.encode("utf-8") if password else None
    try:
        return serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        # cryptography says TypeError when a password is missing for an encrypted key, or given for a clear one.
        if secret is None:
            raise KeyUnavailable(f"{path} is encrypted: set {password_setting}.") from None
        try:
            return serialization.load_pem_private_key(data, password=None)
        except (TypeError, ValueError):
            raise KeyUnavailable(f"{path} cannot be read as a PEM private key.") from None
    except ValueError:
        if secret is not None and b"ENCRYPTED" in data:
            raise KeyUnavailable(f"{path} cannot be decrypted: {password_setting} is not its password.") from None
        raise KeyUnavailable(f"{path} is not a PEM private key (or its format is not supported).") from None
    except UnsupportedAlgorithm:
        raise KeyUnavailable(f"{path} is not a PEM private key (or its format is not supported).") from None


def load_certificates_file(path: Path) -> list[x509.Certificate]:
    """The PEM certificates in `path` (at least one)."""
    path = Path(path)
    return list(_load_certificates(path, file_fingerprint(path)))


@functools.lru_cache(maxsize=64)
def _load_certificates(path: Path, _fingerprint: tuple[int, int, int]) -> tuple[x509.Certificate, ...]:
    try:
        certificates = x509.load_pem_x509_certificates(_read(path))
    except ValueError:
        raise KeyUnavailable(f"{path} is not a PEM certificate file.") from None
    return tuple(certificates)


# ---- PKCS#11 tokens


@dataclass(frozen=True)
class TokenConfig:
    """Which module and token to open, with which PIN (never shown: not in repr, not in messages)."""

    module: str
    token: str
    pin: str = field(repr=False)

    @classmethod
    def from_settings(cls) -> TokenConfig:
        module = settings.DOCUMENT_SEAL_PKCS11_MODULE
        token = settings.DOCUMENT_SEAL_PKCS11_TOKEN
        pin = settings.DOCUMENT_SEAL_PKCS11_PIN
        missing = [name for name, value in (("DOCUMENT_SEAL_PKCS11_MODULE", module),
                                             ("DOCUMENT_SEAL_PKCS11_TOKEN", token),
                                             ("DOCUMENT_SEAL_PKCS11_PIN", pin)) if not value]
        if missing:
            raise KeyUnavailable(f"The PKCS#11 token is not configured: set {', '.join(missing)}.")
        return cls(module=str(module), token=str(token), pin=str(pin))

    @property
    def key(self) -> tuple[str, str]:
        return (self.module, self.token)

    @property
    def pin_digest(self) -> str:
        return _secret_digest(self.pin)

    def describe(self) -> str:
        return f"token {self.token!r} of {self.module}"


class _Token:
    """The process's session with one token, and the lock every operation on it holds."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.session: Any = None
        self.pin_digest = ""
        self.generation = 0  # goes up each time a session is opened: what was found in an older one is stale


_tokens: dict[tuple[str, str], _Token] = {}
_tokens_lock = threading.Lock()
_refused_pins: set[tuple[str, str, str]] = set()


def _token(config: TokenConfig) -> _Token:
    with _tokens_lock:
        return _tokens.setdefault(config.key, _Token())


def _pkcs11() -> Any:
    try:
        import pkcs11
    except ImportError:  # pragma: no cover - a dependency of requirements/base.txt
        raise KeyUnavailable("The python-pkcs11 package is not installed (see requirements/base.txt).") from None
    return pkcs11


def _close(token: _Token) -> None:
    token.generation += 1  # what was found in this session is forgotten (see `_remember`)
    if token.session is not None:
        try:
            token.session.close()
        except Exception:  # a dead session cannot be closed cleanly; it is dropped all the same
            logger.info("closing a PKCS#11 session failed", exc_info=True)
    token.session = None


def _open(config: TokenConfig, token: _Token) -> Any:
    """A logged-in session; the caller holds the token's lock."""
    pkcs11 = _pkcs11()
    if token.session is not None and token.pin_digest == config.pin_digest:
        return token.session
    _close(token)  # another PIN in the settings: log out first (one login per application and token)
    refused = (*config.key, config.pin_digest)
    if refused in _refused_pins:
        raise KeyUnavailable(f"The PIN of {config.describe()} was refused earlier: this process does not try it "
                             "again, so that the token does not lock itself. Fix DOCUMENT_SEAL_PKCS11_PIN and "
                             "restart.")
    try:
        lib = pkcs11.lib(config.module)
    except pkcs11.PKCS11Error:
        raise KeyUnavailable(f"The PKCS#11 module {config.module} cannot be loaded (DOCUMENT_SEAL_PKCS11_MODULE): "
                             "check the path and that the library is installed.") from None
    try:
        device = lib.get_token(token_label=config.token)
    except pkcs11.NoSuchToken:
        raise KeyUnavailable(f"No token labelled {config.token!r} in {config.module} "
                             "(DOCUMENT_SEAL_PKCS11_TOKEN): is it plugged in and initialised?") from None
    except pkcs11.MultipleTokensReturned:
        raise KeyUnavailable(f"Several tokens are labelled {config.token!r} in {config.module}: give each its own "
                             "label.") from None
    except pkcs11.PKCS11Error as exc:
        raise KeyUnavailable(f"The PKCS#11 module {config.module} does not list its tokens "
                             f"({type(exc).__name__}).") from None
    flags = pkcs11.TokenFlag(device.flags)
    if flags & pkcs11.TokenFlag.USER_PIN_LOCKED:
        raise KeyUnavailable(f"The user PIN of {config.describe()} is locked: unlock it with the security "
                             "officer's PIN.")
    if flags & pkcs11.TokenFlag.USER_PIN_FINAL_TRY:
        raise KeyUnavailable(f"One more wrong PIN would lock {config.describe()}: not trying. Check "
                             "DOCUMENT_SEAL_PKCS11_PIN, then log in once by hand to reset the token's counter.")
    try:
        session = device.open(user_pin=config.pin)
    except (pkcs11.PinIncorrect, pkcs11.PinInvalid, pkcs11.PinLenRange):
        _refused_pins.add(refused)
        raise KeyUnavailable(f"{config.describe()} refused the PIN (DOCUMENT_SEAL_PKCS11_PIN).") from None
    except pkcs11.PinLocked:
        raise KeyUnavailable(f"The user PIN of {config.describe()} is locked: unlock it with the security "
                             "officer's PIN.") from None
    except pkcs11.PinExpired:
        raise KeyUnavailable(f"The user PIN of {config.describe()} has expired: set a new one.") from None
    except pkcs11.UserAlreadyLoggedIn:
        # Someone else in this process logged in to the token (the login is shared by the application's sessions).
        session = device.open()
    except pkcs11.PKCS11Error as exc:
        raise KeyUnavailable(f"{config.describe()} cannot be opened ({type(exc).__name__}).") from None
    token.session = session
    token.pin_digest = config.pin_digest
    token.generation += 1
    return session


def with_session[T](config: TokenConfig, operation: Callable[[Any, int], T]) -> T:
    """`operation(session, generation)` under the token's lock. When the token fails, the session is opened again
    and the operation tried once more (signing twice is harmless); a second failure raises KeyUnavailable."""
    pkcs11 = _pkcs11()
    token = _token(config)
    with token.lock:
        for attempt in (1, 2):
            session = _open(config, token)
            try:
                return operation(session, token.generation)
            except KeyUnavailable:
                raise
            except pkcs11.PKCS11Error as exc:
                logger.warning("PKCS#11 operation on %s failed (%s), attempt %d", config.describe(),
                               type(exc).__name__, attempt)
                _close(token)
                if attempt == 2:
                    raise KeyUnavailable(f"{config.describe()} failed to sign ({type(exc).__name__}).") from None
    raise AssertionError("unreachable")


def reset(config: TokenConfig | None = None) -> None:
    """Close the sessions (all, or one token's) and forget refused PINs: the next use logs in again."""
    with _tokens_lock:
        tokens = [_tokens[config.key]] if config and config.key in _tokens else (
            [] if config else list(_tokens.values()))
        if config is None:
            _refused_pins.clear()
        else:
            _refused_pins.difference_update({p for p in _refused_pins if p[:2] == config.key})
    for token in tokens:
        with token.lock:
            _close(token)


def find_object(session: Any, object_class: Any, label: str, *, config: TokenConfig, what: str) -> Any | None:
    """The one object of `object_class` labelled `label`, or None; several is an error (which one would sign?)."""
    pkcs11 = _pkcs11()
    found = list(session.get_objects({pkcs11.Attribute.CLASS: object_class, pkcs11.Attribute.LABEL: label}))
    if len(found) > 1:
        raise KeyUnavailable(f"{config.describe()} has {len(found)} {what}s labelled {label!r}: keep one.")
    return found[0] if found else None


def certificate_on_token(config: TokenConfig, label: str) -> x509.Certificate | None:
    """The certificate labelled `label` on the token, or None."""
    pkcs11 = _pkcs11()

    def read(session: Any, _generation: int) -> bytes | None:
        obj = find_object(session, pkcs11.ObjectClass.CERTIFICATE, label, config=config, what="certificate")
        return None if obj is None else bytes(obj[pkcs11.Attribute.VALUE])

    der = with_session(config, read)
    if der is None:
        return None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        raise KeyUnavailable(f"The certificate labelled {label!r} on {config.describe()} cannot be read.") from None


# What was found on a token, by (module, token, session generation, what, label): a later session finds it again.
# Each lookup costs a round trip to the token (a millisecond on SoftHSM, more on a network HSM). A key replaced
# under the same label while the session lives goes unnoticed here, but not by the callers: `services.signer_for`
# checks every QR signature against the published key, and the seal's signer matched its certificate when made.
_found: dict[tuple[str, str, int, str, str], Any] = {}
_found_lock = threading.Lock()


def _remember(config: TokenConfig, generation: int, what: str, label: str, find: Callable[[], Any]) -> Any:
    """`find()`'s result, kept for this session of the token (the caller holds the token's lock)."""
    key = (*config.key, generation, what, label)
    with _found_lock:
        if key in _found:
            return _found[key]
        for old in [k for k in _found if k[:2] == config.key and k[2] != generation]:
            del _found[old]
    value = find()
    with _found_lock:
        _found[key] = value
    return value


def ec_public_key(config: TokenConfig, label: str) -> ec.EllipticCurvePublicKey:
    """The P-256 public key of the key pair labelled `label` on the token (its public key object)."""
    pkcs11 = _pkcs11()
    from pkcs11.util.ec import encode_ec_public_key

    def read(session: Any, generation: int) -> bytes:
        return _remember(config, generation, "public", label, lambda: read_now(session))

    def read_now(session: Any) -> bytes:
        obj = find_object(session, pkcs11.ObjectClass.PUBLIC_KEY, label, config=config, what="public key")
        if obj is None:
            raise KeyUnavailable(f"No public key labelled {label!r} on {config.describe()}: the key pair needs "
                                 "its public key object, with the same label.")
        if obj.key_type != pkcs11.KeyType.EC:
            raise KeyUnavailable(f"The key labelled {label!r} on {config.describe()} is not an EC key.")
        return encode_ec_public_key(obj)

    public_key = serialization.load_der_public_key(with_session(config, read))
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(public_key.curve, ec.SECP256R1):
        raise KeyUnavailable(f"The key labelled {label!r} on {config.describe()} is not a P-256 key.")
    return public_key


def ecdsa_sign_sha256(config: TokenConfig, label: str, data: bytes) -> bytes:
    """ECDSA with SHA-256 over `data` by the private key labelled `label`: the raw signature r||s (64 bytes for
    P-256), as PKCS#11 returns it. The digest is computed here and signed with CKM_ECDSA, which every token has
    (the hash-and-sign mechanisms are not everywhere)."""
    pkcs11 = _pkcs11()
    digest = hashlib.sha256(data).digest()

    def find(session: Any) -> Any:
        key = find_object(session, pkcs11.ObjectClass.PRIVATE_KEY, label, config=config, what="private key")
        if key is None:
            raise KeyUnavailable(f"No private key labelled {label!r} on {config.describe()}.")
        return key

    def sign(session: Any, generation: int) -> bytes:
        key = _remember(config, generation, "private", label, lambda: find(session))
        return bytes(key.sign(digest, mechanism=pkcs11.Mechanism.ECDSA))

    return with_session(config, sign)


def same_public_key(a: Any, b: Any) -> bool:
    der = serialization.Encoding.DER
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    return bool(a.public_bytes(der, spki) == b.public_bytes(der, spki))


def sha256_hex(data: bytes) -> str:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize().hex()


def clear_caches() -> None:
    """Forget every loaded file and token session (tests; a process that wants to start afresh)."""
    _load_private_key.cache_clear()
    _load_certificates.cache_clear()
    reset()
    _found.clear()
