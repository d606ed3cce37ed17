"""`people:` in tocsin.yaml: who responds, how to reach them, in what order, and holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tocsin.config.duration import DURATION_PATTERN, parse_duration
from tocsin.config.fields import Email, IntOrStr, PhoneStr, Slug, TimeZoneName
from tocsin.core.errors import InvalidInput
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.core.oncall import wall_to_utc, zone_of
from tocsin.core.people import Holiday, NotificationRule, Person, normal_address


def _address(kind: ContactKind, value: str) -> str:
    try:
        return normal_address(kind, value)
    except InvalidInput as exc:
        raise PydanticCustomError("contact_address", "{problem}", {"problem": str(exc)}) from None


def _delay(value: Any) -> timedelta:
    """0m, 0 or a duration: how long after the page starts."""
    if value in (0, "0") or (isinstance(value, str) and value.strip() in ("0s", "0m", "0h")):
        return timedelta(0)
    return parse_duration(value)


Delay = Annotated[
    timedelta,
    BeforeValidator(_delay),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["0m", "5m"]}),
]


class ContactMethodConfig(BaseModel):
    """One way to reach a person."""

    model_config = ConfigDict(extra="forbid")

    kind: ContactKind
    address: IntOrStr = Field(description="e-mail, Slack member id, chat id, E.164 number, …")
    label: str = Field(default="", max_length=60, description='e.g. "work phone"')

    @field_validator("address")
    @classmethod
    def _valid_address(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return value if kind is None else _address(kind, value)

    def to_core(self) -> ContactMethod:
        return ContactMethod(self.kind, self.address, self.label)


class NotificationRuleConfig(BaseModel):
    """`after` a page starts (0m: at once), use these methods: kinds or labels."""

    model_config = ConfigDict(extra="forbid")

    after: Delay = timedelta(0)
    methods: list[str] = Field(min_length=1, description="e.g. [ntfy, slack] or [work phone]")


class HolidayConfig(BaseModel):
    """While away, the person's shifts go to `handed_to`. Dates are whole days in the
    person's time zone (`to` included); times with an offset are taken as written."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: date | datetime = Field(alias="from")
    to: date | datetime
    handed_to: Slug


class PersonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    handle: Slug
    name: str
    email: Email | None = None
    slack: str | None = Field(default=None, description="Slack member id, e.g. U012AB3CD")
    telegram: IntOrStr | None = None
    phone: PhoneStr | None = Field(default=None, description="SMS and voice calls (Twilio)")
    timezone: TimeZoneName = "UTC"
    contact_methods: list[ContactMethodConfig] = Field(default_factory=list)
    notification_rules: list[NotificationRuleConfig] = Field(
        default_factory=list, description="empty: every method at once"
    )
    on_holiday: HolidayConfig | None = None

    @field_validator("slack")
    @classmethod
    def _slack_id(cls, value: str | None) -> str | None:
        return None if value is None else _address(ContactKind.SLACK, value)

    @field_validator("telegram")
    @classmethod
    def _telegram_id(cls, value: str | None) -> str | None:
        return None if value is None else _address(ContactKind.TELEGRAM, value)

    @field_validator("phone")
    @classmethod
    def _phone_number(cls, value: str | None) -> str | None:
        if value is not None:
            _address(ContactKind.SMS, value)
        return value  # kept as written; contacts() uses the E.164 form

    @model_validator(mode="after")
    def _rules_name_methods(self) -> PersonConfig:
        for i, rule in enumerate(self.notification_rules):
            for j, name in enumerate(rule.methods):
                if not self._named(name):
                    have = sorted({m.kind.value for m in self.contacts()} | self._labels())
                    raise PydanticCustomError(
                        "unknown_method",
                        "{name} is not a kind or label of {handle}'s contact methods ({have})",
                        {
                            "name": repr(name),
                            "handle": self.handle,
                            "have": ", ".join(have) or "none",
                            "at": ("notification_rules", i, "methods", j),
                        },
                    )
        if self.on_holiday is not None:
            start, end = self.holiday_span()
            if end <= start:
                raise PydanticCustomError(
                    "holiday_order",
                    "on_holiday ends before it starts; `to` comes after `from`",
                    {"at": ("on_holiday", "to")},
                )
        return self

    def _labels(self) -> set[str]:
        return {m.label for m in self.contacts() if m.label}

    def _named(self, name: str) -> tuple[ContactMethod, ...]:
        return Person(self.handle, self.name, self.contacts()).matching(name)

    def contacts(self) -> tuple[ContactMethod, ...]:
        """The shorthand keys first (a phone is both SMS and voice), then contact_methods."""
        found = []
        if self.email:
            found.append(ContactMethod(ContactKind.EMAIL, self.email))
        if self.slack:
            found.append(ContactMethod(ContactKind.SLACK, self.slack))
        if self.telegram:
            found.append(ContactMethod(ContactKind.TELEGRAM, self.telegram))
        if self.phone:
            number = normal_address(ContactKind.SMS, self.phone)
            found += [
                ContactMethod(ContactKind.SMS, number),
                ContactMethod(ContactKind.VOICE, number),
            ]
        found += [m.to_core() for m in self.contact_methods]
        return tuple(dict.fromkeys(found))

    def holiday_span(self) -> tuple[datetime, datetime]:
        assert self.on_holiday is not None  # noqa: S101 - callers check
        zone = zone_of(self.timezone)
        return (
            _instant(self.on_holiday.from_, zone, end=False),
            _instant(self.on_holiday.to, zone, end=True),
        )

    def to_core(self) -> Person:
        contacts = self.contacts()
        person = Person(self.handle, self.name, contacts, time_zone=self.timezone)
        rules = tuple(
            NotificationRule(r.after, tuple(m for name in r.methods for m in person.matching(name)))
            for r in self.notification_rules
        )
        holiday = None
        if self.on_holiday is not None:
            start, end = self.holiday_span()
            holiday = Holiday(self.handle, start, end, self.on_holiday.handed_to)
        return Person(self.handle, self.name, contacts, rules, self.timezone, holiday)


def _instant(value: date | datetime, zone: ZoneInfo, end: bool) -> datetime:
    if isinstance(value, datetime):
        return wall_to_utc(zone, value) if value.tzinfo is None else value.astimezone(UTC)
    day = value + timedelta(days=1) if end else value  # `to: 2026-12-31` includes that day
    return wall_to_utc(zone, datetime.combine(day, datetime.min.time()))


def check_people(people: list[PersonConfig]) -> list[PersonConfig]:
    """Holidays hand shifts to someone listed, not to the person on holiday."""
    handles = {p.handle for p in people}
    for index, person in enumerate(people):
        away = person.on_holiday
        if away is None:
            continue
        if away.handed_to == person.handle or away.handed_to not in handles:
            raise PydanticCustomError(
                "unknown_person",
                "on_holiday.handed_to {name} is not another person in people: {known}",
                {
                    "name": repr(away.handed_to),
                    "known": ", ".join(sorted(handles - {person.handle})) or "none",
                    "at": (index, "on_holiday", "handed_to"),
                },
            )
    return people


People = Annotated[list[PersonConfig], AfterValidator(check_people)]
