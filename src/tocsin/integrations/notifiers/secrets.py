"""Secrets stay out of what a notifier says: its Delivery details and every log line.

A token can end up in text we did not write: Telegram puts the bot token in the URL, which
httpx logs at INFO; a Slack incoming webhook's URL is itself the secret; a far side may echo
a request back in its error. Each adapter registers its secrets here; `Redactor` cleans the
details it returns, and a logging filter on the HTTP clients' loggers cleans their lines.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from urllib.parse import urlsplit

MASK = "[redacted]"
MIN_SECRET = 6  # shorter strings would mask ordinary words
CLIENT_LOGGERS = ("httpx", "slack_sdk.web.base_client", "tocsin.notifiers")


class Redactor:
    """Replaces every registered secret (longest first) with [redacted]."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._lock = threading.Lock()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        with self._lock:
            found = set(self._secrets) | {s for s in secrets if len(s) >= MIN_SECRET}
            self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def url_secrets(url: str) -> list[str]:
    """A secret URL (a Slack incoming webhook) and its path, which some logs print alone."""
    path = urlsplit(url).path
    return [url, path] if len(path) >= MIN_SECRET else [url]


class _RedactingFilter(logging.Filter):
    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self._redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_everywhere = Redactor()
_installed = False
_install_lock = threading.Lock()


def protect(secrets: Iterable[str]) -> Redactor:
    """Register secrets with the log filter (installed once on the HTTP clients' loggers) and
    return a Redactor for this adapter's own details."""
    global _installed
    secrets = [s for s in secrets if s]
    _everywhere.add(secrets)
    with _install_lock:
        if not _installed:
            for name in CLIENT_LOGGERS:
                logging.getLogger(name).addFilter(_RedactingFilter(_everywhere))
            _installed = True
    return Redactor(secrets)
