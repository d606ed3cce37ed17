"""`schedules:` in tocsin.yaml: rotation layers, restrictions, time zones."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from tocsin.config.duration import Duration, parse_duration
from tocsin.config.fields import Slug, TimeZoneName, check_unique
from tocsin.core.oncall import MAX_ROTATION, MIN_ROTATION, Layer, Restriction, Schedule

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_GROUPS = {"weekdays": range(5), "weekend": range(5, 7), "weekends": range(5, 7)}
_TIME = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")
_WEEKS = re.compile(r"^(\d{1,2})w$")
ROTATION_PATTERN = r"^(daily|weekly|\d{1,2}w|(?=\d)(\d+d)?(\d+h)?(\d+m)?)$"


def _time_of_day(value: Any) -> time:
    """'09:00' (24:00 is the end of the day, as 00:00)."""
    if isinstance(value, time):
        return value
    match = _TIME.match(value.strip()) if isinstance(value, str) else None
    if match is None or (match[1] == "24" and match[2] != "00"):
        raise PydanticCustomError(
            "time_of_day",
            'invalid time of day {value}: write HH:MM, e.g. "09:00"',
            {"value": repr(value)},
        )
    return time(int(match[1]) % 24, int(match[2]))


TimeOfDay = Annotated[
    time,
    BeforeValidator(_time_of_day),
    WithJsonSchema({"type": "string", "pattern": _TIME.pattern, "examples": ["09:00"]}),
]


def _rotation(value: Any) -> timedelta:
    text = value.strip().lower() if isinstance(value, str) else value
    if text == "daily":
        return timedelta(days=1)
    if text == "weekly":
        return timedelta(days=7)
    weeks = _WEEKS.match(text) if isinstance(text, str) else None
    try:
        length = timedelta(weeks=int(weeks[1])) if weeks else parse_duration(text)
    except PydanticCustomError:
        length = timedelta(0)
    if not MIN_ROTATION <= length <= MAX_ROTATION or length % timedelta(minutes=1):
        raise PydanticCustomError(
            "rotation",
            "invalid rotation {value}: use daily, weekly, a number of weeks (2w) or a length "
            "from 1h to 366d in whole minutes (36h, 3d)",
            {"value": repr(value)},
        )
    return length


Rotation = Annotated[
    timedelta,
    BeforeValidator(_rotation),
    WithJsonSchema({"type": "string", "pattern": ROTATION_PATTERN, "examples": ["weekly", "36h"]}),
]


def _days(value: Any) -> frozenset[int]:
    """[mon, tue], [mon-fri], [weekdays], [weekend]; full names too, any case."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise _bad_day(value)
    found: set[int] = set()
    for item in items:
        text = str(item).strip().lower()
        if text in _GROUPS:
            found.update(_GROUPS[text])
            continue
        first, _, last = text.partition("-")
        start, end = _day(first, item), _day(last or first, item)
        found.update(range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)])
    return frozenset(found)


def _day(text: str, item: Any) -> int:
    for names in (DAYS, _FULL_DAYS):
        if text in names:
            return names.index(text)
    raise _bad_day(item)


def _bad_day(value: Any) -> PydanticCustomError:
    return PydanticCustomError(
        "day",
        "invalid day {value}: use mon, tue, wed, thu, fri, sat, sun, a range like mon-fri, "
        "weekdays or weekend",
        {"value": repr(value)},
    )


Days = Annotated[
    frozenset[int],
    BeforeValidator(_days),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "examples": ["mon-fri", "sat", "weekdays", "weekend"]},
        }
    ),
]


class RestrictionConfig(BaseModel):
    """A weekly window: on these days, from `from` to `to` local time. A `to` at or before
    `from` ends the next day: 18:00 to 08:00 is a night; 00:00 to 00:00 is the whole day."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    days: Days = frozenset(range(7))
    from_: TimeOfDay = Field(default=time(0), alias="from")
    to: TimeOfDay = time(0)

    def to_core(self) -> Restriction:
        return Restriction(self.days, self.from_, self.to)


class LayerConfig(BaseModel):
    """People in turn: the first from `start` at `handoff`, the next one `rotation` later."""

    model_config = ConfigDict(extra="forbid")

    name: Slug | None = Field(default=None, description="layer-1, layer-2, … when left out")
    people: list[Slug] = Field(min_length=1, description="handles from people, in order")
    rotation: Rotation
    handoff: TimeOfDay = Field(default=time(9), description='local time, e.g. "09:00"')
    start: date = Field(description="the local date of the first hand-off, e.g. 2026-01-05")
    time_zone: TimeZoneName | None = Field(default=None, description="the schedule's when empty")
    restrictions: list[RestrictionConfig] = Field(
        default_factory=list, description="only inside these weekly windows; empty: always"
    )

    @field_validator("start", mode="before")
    @classmethod
    def _date_only(cls, value: Any) -> Any:
        if (isinstance(value, str) and "T" in value) or hasattr(value, "hour"):
            raise PydanticCustomError(
                "date_only", "start is a date (2026-01-05); the time of day is `handoff`"
            )
        return value


class ScheduleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Slug
    description: str = ""
    time_zone: TimeZoneName = "UTC"
    layers: list[LayerConfig] = Field(
        min_length=1, description="a later layer wins where it has someone"
    )
    notify_handoff: bool = Field(
        default=False, description="tell the incoming person when their shift starts"
    )
    handoff_lead: Duration = Field(
        default=timedelta(0), description="how long before the hand-off to tell them (<= 1d)"
    )
    notify_outgoing: bool = Field(
        default=False, description="tell the outgoing person too (with notify_handoff)"
    )

    @field_validator("handoff_lead")
    @classmethod
    def _lead(cls, value: timedelta) -> timedelta:
        # at most a day: the once-per-hand-off job keys are kept two days
        if not timedelta(0) <= value <= timedelta(days=1):
            raise ValueError("handoff_lead is from 0m to 1d, e.g. 15m")
        return value

    @field_validator("layers")
    @classmethod
    def _unique_layers(cls, value: list[LayerConfig]) -> list[LayerConfig]:
        names = [layer.name or f"layer-{i}" for i, layer in enumerate(value, start=1)]
        check_unique(names, lambda name: name, "layers", "name", "layer name")
        return value

    def to_core(self) -> Schedule:
        layers = tuple(
            Layer(
                tuple(layer.people),
                layer.rotation,
                layer.handoff,
                layer.start,
                layer.time_zone or self.time_zone,
                tuple(r.to_core() for r in layer.restrictions),
                layer.name or f"layer-{index}",
            )
            for index, layer in enumerate(self.layers, start=1)
        )
        return Schedule(self.name, layers, self.time_zone)


def check_schedules(schedules: list[ScheduleConfig], info: ValidationInfo) -> list[ScheduleConfig]:
    """Unique names; every person a schedule names is in `people`."""
    check_unique(schedules, lambda s: s.name, "schedules", "name", "schedule name")
    people = info.data.get("people")
    if people is None:  # people itself is invalid: that error is reported instead
        return schedules
    known = {p.handle for p in people}
    for i, schedule in enumerate(schedules):
        for j, layer in enumerate(schedule.layers):
            for k, handle in enumerate(layer.people):
                if handle not in known:
                    raise PydanticCustomError(
                        "unknown_person",
                        "unknown person {name}: add them to people, or use one of: {known}",
                        {
                            "name": repr(handle),
                            "known": ", ".join(sorted(known)) or "nobody yet",
                            "at": (i, "layers", j, "people", k),
                        },
                    )
    return schedules


Schedules = Annotated[list[ScheduleConfig], AfterValidator(check_schedules)]
