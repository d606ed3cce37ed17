"""Checking that an SNS message was signed by Amazon SNS.

The string to sign is `key\\nvalue\\n` for each of these keys present, in this order:
- Notification: Message, MessageId, Subject (if present), Timestamp, TopicArn, Type.
- SubscriptionConfirmation, UnsubscribeConfirmation: Message, MessageId, SubscribeURL,
  Timestamp, Token, TopicArn, Type.
`Signature` is its base64 RSA PKCS#1 v1.5 signature: SHA-1 for SignatureVersion "1",
SHA-256 for "2". The certificate comes from `SigningCertURL`, which must pass
`allowed_cert_url`; fetching it is I/O, so the caller supplies the fetcher and
`CertificateCache` keeps what was fetched.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from urllib.parse import SplitResult, urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tocsin.core.errors import InvalidInput

_SNS_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
_CONFIRMATION_KEYS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}


class DisallowedCertificateURL(InvalidInput):
    """A SigningCertURL that is not an SNS certificate on an SNS host."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"SigningCertURL {url!r} is not an SNS certificate on an SNS host")


def string_to_sign(message: Mapping[str, object]) -> bytes | None:
    """The signed text of `message`, or None if a field it needs is missing or not text."""
    kind = message.get("Type")
    if kind not in ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"):
        return None
    keys = _NOTIFICATION_KEYS if kind == "Notification" else _CONFIRMATION_KEYS
    lines: list[str] = []
    for key in keys:
        value = message.get(key)
        if key == "Subject" and value is None:
            continue
        if not isinstance(value, str):
            return None
        lines += [key, value]
    try:
        return ("\n".join(lines) + "\n").encode("utf-8")
    except UnicodeEncodeError:
        return None


def verify(message: Mapping[str, object], certificate_pem: bytes) -> bool:
    """Whether `message` carries a valid SNS signature by the certificate's key."""
    signed = string_to_sign(message)
    algorithm = _HASHES.get(str(message.get("SignatureVersion")))
    signature = _signature(message.get("Signature"))
    if signed is None or algorithm is None or signature is None:
        return False
    try:
        key = x509.load_pem_x509_certificate(certificate_pem).public_key()
    except ValueError:
        return False
    if not isinstance(key, rsa.RSAPublicKey):
        return False
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        return False
    return True


def allowed_cert_url(url: str) -> bool:
    """An https URL of a `.pem` on an `sns.<region>.amazonaws.com(.cn)` host, written plainly:
    no user, no port, no query or fragment, nothing but printable ASCII."""
    parts = _sns_https(url)
    return parts is not None and parts.path.endswith(".pem") and not parts.query


def allowed_subscribe_url(url: str) -> bool:
    """An https `ConfirmSubscription` URL on an SNS host, written plainly: the only URL
    worth a GET when a SubscriptionConfirmation arrives (after its signature checks out)."""
    parts = _sns_https(url)
    return parts is not None and "Action=ConfirmSubscription" in parts.query.split("&")


def _sns_https(url: str) -> SplitResult | None:
    """`url` split, if it is https to an SNS host with nothing hidden in it: no user or port
    (the host must be the whole netloc), no fragment, no spaces or control characters
    (which `urlsplit` would quietly drop)."""
    if not url.isascii() or not url.isprintable() or " " in url:
        return None
    parts = urlsplit(url)
    plain = parts.scheme == "https" and not parts.fragment
    return parts if plain and _SNS_HOST.fullmatch(parts.netloc) else None


class CertificateCache:
    """Signing certificates by URL. `fetch` does the I/O (and may raise); only URLs that pass
    `allowed_cert_url` are fetched, each once."""

    def __init__(self, fetch: Callable[[str], bytes], max_entries: int = 64) -> None:
        self._fetch = fetch
        self._max_entries = max_entries
        self._pems: dict[str, bytes] = {}

    def get(self, url: str) -> bytes:
        if not allowed_cert_url(url):
            raise DisallowedCertificateURL(url)
        if url not in self._pems:
            if len(self._pems) >= self._max_entries:
                self._pems.pop(next(iter(self._pems)))
            self._pems[url] = self._fetch(url)
        return self._pems[url]


def verify_message(message: Mapping[str, object], certificates: CertificateCache) -> bool:
    """Whether `message` is signed by SNS: an allowed SigningCertURL and a valid signature.
    Errors of the fetcher propagate (a transient failure, worth a 5xx so SNS retries)."""
    url = message.get("SigningCertURL")
    if not isinstance(url, str) or not allowed_cert_url(url):
        return False
    return verify(message, certificates.get(url))


def _signature(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
