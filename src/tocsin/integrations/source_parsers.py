"""The alert sources' parsers behind one object, so entrypoints reach them through
bootstrap rather than importing adapters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import httpx

from tocsin.core.alerts import FieldProblem, Parsed
from tocsin.integrations.sources import (
    alertmanager,
    cloudwatch,
    generic,
    grafana,
    pagerduty,
    sns,
    sns_signature,
)
from tocsin.integrations.sources import pagerduty_change as change
from tocsin.integrations.sources.fields import decode

HTTP_TIMEOUT = 10.0


def https_get(url: str) -> bytes:
    """Fetch an SNS signing certificate or confirm a subscription: HTTPS, no redirects."""
    answer = httpx.get(url, timeout=HTTP_TIMEOUT, follow_redirects=False)
    answer.raise_for_status()
    return answer.content


class SourceParsers:
    """`sns_verified` and `fetch` are attributes so a test can replace them (moto's SNS signs
    with a fixed fake signature; the real check is tested with a generated certificate)."""

    def __init__(self, fetch: Callable[[str], bytes] = https_get) -> None:
        self.fetch = fetch
        self._certificates = sns_signature.CertificateCache(lambda url: self.fetch(url))
        self.sns_verified: Callable[[Mapping[str, object]], bool] = self._verify

    def _verify(self, envelope: Mapping[str, object]) -> bool:
        return sns_signature.verify_message(envelope, self._certificates)

    def pagerduty(self, body: bytes) -> pagerduty.EventResult:
        """PagerDuty Events API v2 `POST /v2/enqueue`; the routing key picks the integration."""
        return pagerduty.parse_bytes(body)

    def pagerduty_change(self, body: bytes) -> change.ChangeResult:
        return change.parse_change_bytes(body)

    def pagerduty_errors(self, problems: Sequence[FieldProblem]) -> dict[str, object]:
        return pagerduty.error_response(problems)

    def sns(self, headers: Mapping[str, str], body: bytes) -> cloudwatch.CloudWatchMessage:
        return cloudwatch.parse_sns(headers, body)

    def sns_kind(self, message: cloudwatch.CloudWatchMessage) -> str:
        """invalid, confirmation, unsubscribe or notification."""
        kinds: dict[type, str] = {
            sns.InvalidMessage: "invalid",
            sns.SubscriptionConfirmation: "confirmation",
            sns.UnsubscribeConfirmation: "unsubscribe",
            cloudwatch.AlarmNotification: "notification",
        }
        return kinds[type(message)]

    def sns_envelope(self, message: cloudwatch.CloudWatchMessage) -> dict[str, object]:
        """The signed envelope of a valid message (empty for an invalid one)."""
        if isinstance(message, cloudwatch.AlarmNotification):
            return message.notification.envelope
        if isinstance(message, sns.InvalidMessage):
            return {}
        return message.envelope

    def sns_alarm(self, message: cloudwatch.CloudWatchMessage) -> Parsed:
        """The alarm a notification carried, or the problems of an invalid message."""
        if isinstance(message, cloudwatch.AlarmNotification):
            return message.parsed
        if isinstance(message, sns.InvalidMessage):
            return Parsed(problems=message.problems)
        return Parsed()

    def confirm_subscription(self, url: str) -> bool:
        """GET the SubscribeURL, only if it is an SNS ConfirmSubscription URL."""
        if not sns_signature.allowed_subscribe_url(url):
            return False
        self.fetch(url)
        return True

    def alertmanager(self, body: bytes) -> Parsed:
        """Alertmanager's webhook (payload version 4)."""
        return alertmanager.parse_bytes(body)

    def alertmanager_api(self, body: bytes, now: datetime) -> Parsed:
        """Alertmanager's own `POST /api/v2/alerts`, as Prometheus sends it."""
        payload = decode(body)
        if isinstance(payload, FieldProblem):
            return Parsed(problems=[payload])
        return alertmanager.parse_api_v2(payload, now=now)

    def grafana(self, body: bytes) -> Parsed:
        return grafana.parse_bytes(body)

    def grafana_signature_ok(
        self, secret: bytes, body: bytes, signature: str, timestamp: str | None
    ) -> bool:
        return grafana.verify_hmac(secret, body, signature, timestamp)

    def generic(self, body: bytes) -> Parsed:
        payload = decode(body)
        if isinstance(payload, FieldProblem):
            return Parsed(problems=[payload])
        return generic.parse(payload)
