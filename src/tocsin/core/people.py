"""People and how to reach them: contact methods, notification rules, holidays. Pure data.

The contact methods themselves are `core/notify.py`'s; this module says which ones a person
has, in what order they are tried, and whether an address can work at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from tocsin.core.errors import InvalidInput
from tocsin.core.notify import ContactKind, ContactMethod

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK_ID = re.compile(r"^[UWCGD][A-Z0-9]{2,20}$")
_TELEGRAM_CHAT = re.compile(r"^-?\d{1,20}$")
_NTFY_TOPIC = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

_RULES: dict[ContactKind, tuple[re.Pattern[str], str]] = {
    ContactKind.EMAIL: (_EMAIL, "an e-mail address, e.g. ann@example.com"),
    ContactKind.SLACK: (_SLACK_ID, "a Slack member id, e.g. U012AB3CD"),
    ContactKind.SLACK_WEBHOOK: (_NAME, "the name of a Slack incoming webhook, e.g. ops-hook"),
    ContactKind.TELEGRAM: (_TELEGRAM_CHAT, 'a Telegram chat id in quotes, e.g. "123456789"'),
    ContactKind.SMS: (E164, 'a phone number in E.164, e.g. "+49 170 1234567"'),
    ContactKind.VOICE: (E164, 'a phone number in E.164, e.g. "+49 170 1234567"'),
    ContactKind.NTFY: (_NTFY_TOPIC, "an ntfy topic: letters, digits, - and _"),
    ContactKind.WEBHOOK: (_NAME, "the name of a configured outbound webhook, e.g. pager-bridge"),
}


def normal_address(kind: ContactKind, address: str) -> str:
    """The address as it is stored and sent: phone numbers without spaces or punctuation.
    Raises InvalidInput naming what the kind expects."""
    text = address.strip()
    if kind in (ContactKind.SMS, ContactKind.VOICE):
        text = _PHONE_PUNCTUATION.sub("", text)
    pattern, expected = _RULES[kind]
    if not pattern.match(text):
        raise InvalidInput(f"{address!r} is not {expected}")
    return text


@dataclass(frozen=True, slots=True)
class NotificationRule:
    """`after` the page starts (0 for at once), try these methods."""

    after: timedelta
    methods: tuple[ContactMethod, ...]


@dataclass(frozen=True, slots=True)
class Holiday:
    """From `start` to `end`, `person`'s shifts are `handed_to` someone else."""

    person: str
    start: datetime
    end: datetime
    handed_to: str

    def covers(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True, slots=True)
class Person:
    handle: str
    name: str
    contacts: tuple[ContactMethod, ...] = ()
    rules: tuple[NotificationRule, ...] = ()
    time_zone: str = "UTC"
    holiday: Holiday | None = None

    @property
    def display(self) -> str:
        return self.name or self.handle

    def plan(self) -> tuple[NotificationRule, ...]:
        """The rules in time order; without rules, every method at once."""
        if self.rules:
            return tuple(sorted(self.rules, key=lambda r: r.after))
        return (NotificationRule(timedelta(0), self.contacts),) if self.contacts else ()

    def matching(self, name: str) -> tuple[ContactMethod, ...]:
        """The methods a rule's entry names: a kind (every method of it) or a label."""
        wanted = name.strip().casefold()
        return tuple(
            m for m in self.contacts if wanted in (m.kind.value, m.label.casefold()) and wanted
        )
