"""Secrets out of what a step printed and ran, before anything is stored or shown.

Built in: AWS access key ids (AKIA…, ASIA…), AWS secret keys next to their name, bearer and
basic credentials, passwords in URLs (`https://user:pw@host`), `password=`/`token:`-style
pairs, private key blocks, GitHub and Slack tokens. Added by tocsin.yaml: `runbooks.redact`
patterns (regular expressions) and the values of the configured secrets themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from tocsin.core.errors import InvalidInput

MASK = "[REDACTED]"
MIN_SECRET = 4  # shorter values would mask ordinary words

BUILT_IN: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
        MASK,
    ),
    (re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[A-Z0-9]{16}\b"), MASK),
    (
        re.compile(r"(?i)((?:aws_)?secret_?access_?key[\"']?\s*[:=]\s*[\"']?)[A-Za-z0-9/+=]{40}"),
        rf"\1{MASK}",
    ),
    (re.compile(r"(?i)\b(bearer|basic|token)(\s+)[A-Za-z0-9\-._~+/]{8,}=*"), rf"\1\2{MASK}"),
    (re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), rf"\1{MASK}@"),
    (
        re.compile(
            r"(?i)\b((?:password|passwd|pwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token"
            r"|client[_-]?secret)[\"']?\s*[:=]\s*[\"']?)([^\s\"',;&}]{3,})"
        ),
        rf"\1{MASK}",
    ),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), MASK),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), MASK),
)


class BadPattern(InvalidInput):
    pass


@dataclass(frozen=True)
class Redactor:
    patterns: tuple[re.Pattern[str], ...] = ()
    secrets: tuple[str, ...] = ()

    @classmethod
    def build(cls, patterns: Iterable[str] = (), secrets: Iterable[str] = ()) -> Redactor:
        compiled = []
        for pattern in patterns:
            try:
                compiled.append(re.compile(pattern))
            except re.error as exc:
                raise BadPattern(f"redact pattern {pattern!r}: {exc}") from None
        values = sorted({s for s in secrets if len(s) >= MIN_SECRET}, key=len, reverse=True)
        return cls(tuple(compiled), tuple(values))

    def with_secrets(self, secrets: Iterable[str]) -> Redactor:
        return Redactor(self.patterns, Redactor.build((), [*self.secrets, *secrets]).secrets)

    def __call__(self, text: str) -> str:
        for value in self.secrets:
            text = text.replace(value, MASK)
        for pattern, replacement in BUILT_IN:
            text = pattern.sub(replacement, text)
        for pattern in self.patterns:
            text = pattern.sub(MASK, text)
        return text
