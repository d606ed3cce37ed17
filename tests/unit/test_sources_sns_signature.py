"""SNS signatures, checked with a key and certificate made here and messages signed here."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from tests import payloads
from tests.support.sns_signing import CERT_URL, make_certificate, make_key
from tests.support.sns_signing import sign as sign_message
from tocsin.integrations.sources import sns_signature
from tocsin.integrations.sources.sns_signature import CertificateCache, allowed_cert_url, verify

Signer = Callable[[dict[str, object], str], dict[str, object]]


@pytest.fixture(scope="module")
def key() -> rsa.RSAPrivateKey:
    return make_key()


@pytest.fixture(scope="module")
def certificate(key: rsa.RSAPrivateKey) -> bytes:
    return make_certificate(key)


@pytest.fixture(scope="module")
def sign(key: rsa.RSAPrivateKey) -> Signer:
    return lambda message, version: sign_message(key, message, version)


def recorded(name: str) -> dict[str, object]:
    message = payloads.load("cloudwatch", name)
    assert isinstance(message, dict)
    return message


def test_the_string_to_sign_follows_the_documented_order() -> None:
    message = {
        "Type": "Notification",
        "MessageId": "m-1",
        "TopicArn": "arn:t",
        "Subject": "S",
        "Message": "hello",
        "Timestamp": "2024-11-22T03:00:00.000Z",
        "UnsubscribeURL": "not signed",
    }
    assert sns_signature.string_to_sign(message) == (
        b"Message\nhello\nMessageId\nm-1\nSubject\nS\nTimestamp\n2024-11-22T03:00:00.000Z\n"
        b"TopicArn\narn:t\nType\nNotification\n"
    )
    del message["Subject"]
    assert b"Subject" not in (sns_signature.string_to_sign(message) or b"")
    confirmation = {
        "Type": "UnsubscribeConfirmation",
        "MessageId": "m-2",
        "Token": "t",
        "TopicArn": "arn:t",
        "Message": "bye",
        "SubscribeURL": "https://sns/",
        "Timestamp": "2024",
    }
    assert sns_signature.string_to_sign(confirmation) == (
        b"Message\nbye\nMessageId\nm-2\nSubscribeURL\nhttps://sns/\nTimestamp\n2024\n"
        b"Token\nt\nTopicArn\narn:t\nType\nUnsubscribeConfirmation\n"
    )
    assert sns_signature.string_to_sign({**confirmation, "Type": "Other"}) is None


@pytest.mark.parametrize("version", ["1", "2"])
@pytest.mark.parametrize(
    "name",
    ["notification_alarm.json", "notification_ok.json", "subscription_confirmation.json"],
)
def test_a_signed_message_verifies(
    sign: Signer, certificate: bytes, version: str, name: str
) -> None:
    assert verify(sign(recorded(name), version), certificate)


@pytest.mark.parametrize("version", ["1", "2"])
def test_a_tampered_message_does_not(sign: Signer, certificate: bytes, version: str) -> None:
    message = sign(recorded("notification_alarm.json"), version)
    assert not verify(
        {**message, "Message": str(message["Message"]).replace("ALARM", "OK")}, certificate
    )
    assert not verify({**message, "Subject": "OK"}, certificate)
    assert not verify({k: v for k, v in message.items() if k != "Subject"}, certificate)
    assert not verify({**message, "Type": "SubscriptionConfirmation"}, certificate)


def test_the_wrong_key_bad_versions_and_bad_signatures_fail(
    sign: Signer, certificate: bytes
) -> None:
    message = sign(recorded("notification_alarm.json"), "2")
    other = make_certificate(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    assert verify(message, certificate)
    assert not verify(message, other)
    assert not verify({**message, "SignatureVersion": "1"}, certificate)  # signed with SHA-256
    assert not verify({**message, "SignatureVersion": "3"}, certificate)
    assert not verify({**message, "SignatureVersion": None}, certificate)
    assert not verify({**message, "Signature": "not base64!"}, certificate)
    assert not verify({**message, "Signature": base64.b64encode(b"short").decode()}, certificate)
    assert not verify({**message, "Signature": 7}, certificate)
    assert not verify({**message, "MessageId": None}, certificate)
    assert not verify(message, b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n")


@pytest.mark.parametrize(
    "url",
    [
        CERT_URL,
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
    ],
)
def test_sns_certificate_urls_are_allowed(url: str) -> None:
    assert allowed_cert_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.pem.txt",
        "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com@evil.example/cert.pem",
        "https://user:pw@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:443/cert.pem",
        "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
        "https://sns.eu-west-1.amazonaws.com./cert.pem",
        "https://SNS.EU-WEST-1.AMAZONAWS.COM/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.pem?x=1",
        "https://sns.eu-west-1.amazonaws.com/cert.pem#frag",
        "https://evil.example\\@sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com\n/cert.pem",
        "https://sns.eu-west-1.amazonaws\t.com/cert.pem",
        "https://sns.eu_west.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/ cert.pem",
        "https://snsХ.eu-west-1.amazonaws.com/cert.pem",
        "//sns.eu-west-1.amazonaws.com/cert.pem",
        "",
    ],
)
def test_other_certificate_urls_are_not(url: str) -> None:
    assert not allowed_cert_url(url)


def test_subscribe_urls_must_confirm_on_an_sns_host() -> None:
    confirmation = recorded("subscription_confirmation.json")
    assert sns_signature.allowed_subscribe_url(str(confirmation["SubscribeURL"]))
    assert not sns_signature.allowed_subscribe_url(
        "https://evil.example/?Action=ConfirmSubscription"
    )
    assert not sns_signature.allowed_subscribe_url(
        "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"
    )


class FakeFetcher:
    def __init__(self, pem: bytes) -> None:
        self.pem = pem
        self.fetched: list[str] = []

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        return self.pem


def test_the_cache_fetches_each_allowed_url_once(certificate: bytes) -> None:
    fetcher = FakeFetcher(certificate)
    cache = CertificateCache(fetcher, max_entries=2)
    assert cache.get(CERT_URL) == cache.get(CERT_URL) == certificate
    assert fetcher.fetched == [CERT_URL]
    with pytest.raises(sns_signature.DisallowedCertificateURL):
        cache.get("https://evil.example/cert.pem")
    others = [CERT_URL.replace(".pem", f"-{i}.pem") for i in range(3)]
    for url in others:
        cache.get(url)
    cache.get(CERT_URL)  # evicted by the two newest, so fetched again
    assert fetcher.fetched == [CERT_URL, *others, CERT_URL]


def test_verify_message_fetches_through_the_cache(sign: Signer, certificate: bytes) -> None:
    fetcher = FakeFetcher(certificate)
    cache = CertificateCache(fetcher)
    message = sign(recorded("notification_alarm.json"), "1")
    assert sns_signature.verify_message(message, cache)
    assert sns_signature.verify_message(message, cache)
    assert fetcher.fetched == [CERT_URL]
    elsewhere = {**message, "SigningCertURL": "https://evil.example/cert.pem"}
    assert not sns_signature.verify_message(elsewhere, cache)
    assert not sns_signature.verify_message({**message, "SigningCertURL": None}, cache)
    assert fetcher.fetched == [CERT_URL]


def test_the_recorded_example_signatures_do_not_verify(certificate: bytes) -> None:
    assert not verify(recorded("notification_alarm.json"), certificate)


def test_a_certificate_without_an_rsa_key_verifies_nothing(sign: Signer) -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "not-sns")])
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ec_certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(ec_key.public_key())
        .serial_number(2)
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=1))
        .sign(ec_key, hashes.SHA256())
        .public_bytes(serialization.Encoding.PEM)
    )
    assert not verify(sign(recorded("notification_alarm.json"), "2"), ec_certificate)
