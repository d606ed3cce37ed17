"""The alert sources' parsers behind one object, so entrypoints reach them through
bootstrap rather than importing adapters."""

from __future__ import annotations

from datetime import datetime

from tocsin.core.alerts import FieldProblem, Parsed
from tocsin.integrations.sources import alertmanager, generic, grafana
from tocsin.integrations.sources.fields import decode


class SourceParsers:
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
