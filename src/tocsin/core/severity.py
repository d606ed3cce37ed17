"""Severity model: an ordered list of severities, most severe first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from tocsin.core.errors import UnknownSeverity


@dataclass(frozen=True, slots=True)
class Severity:
    key: str
    label: str
    emoji: str = ""
    description: str = ""
    examples: tuple[str, ...] = ()
    response_target: timedelta | None = None
    update_every: timedelta | None = None
    postmortem_required: bool = False
    postmortem_due_within: timedelta | None = None

    @property
    def title(self) -> str:
        """'🔴 P1 (Critical)': the seeds' way of naming a severity."""
        prefix = f"{self.emoji} " if self.emoji else ""
        return f"{prefix}{self.key} ({self.label})"


@dataclass(frozen=True, slots=True)
class SeverityModel:
    severities: tuple[Severity, ...]
    _by_key: dict[str, Severity] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.severities:
            raise ValueError("a severity model needs at least one severity")
        by_key = {s.key.casefold(): s for s in self.severities}
        if len(by_key) != len(self.severities):
            raise ValueError("severity keys must be unique (case-insensitively)")
        object.__setattr__(self, "_by_key", by_key)

    @property
    def keys(self) -> list[str]:
        return [s.key for s in self.severities]

    def get(self, key: str) -> Severity:
        """The severity named `key` (case-insensitive); UnknownSeverity lists the valid keys."""
        found = self._by_key.get(key.strip().casefold())
        if found is None:
            raise UnknownSeverity(key, self.keys)
        return found

    def rank(self, key: str) -> int:
        """0 for the most severe."""
        return self.severities.index(self.get(key))
