"""ConfigError: everything wrong with a tocsin.yaml, one line per problem, each with its line."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tocsin.core.errors import ErrorKind, TocsinError


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong with the file: where (line, dotted field path) and what to do about it."""

    line: int | None
    field: str
    message: str


def format_field(loc: Sequence[Hashable]) -> str:
    """('severities', 0, 'response_target') -> 'severities[0].response_target'."""
    text = ""
    for part in loc:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class ConfigError(TocsinError):
    """The config file is missing or invalid. `str()` gives one `path:line: field: message` each."""

    kind = ErrorKind.UNAVAILABLE  # Tocsin cannot run on it as it is (exit 1, not a usage error)

    def __init__(self, path: Path, problems: Sequence[ConfigProblem]) -> None:
        self.path = path
        self.problems = list(problems)
        super().__init__("\n".join(self._format(p) for p in self.problems))

    def _format(self, problem: ConfigProblem) -> str:
        where = str(self.path) if problem.line is None else f"{self.path}:{problem.line}"
        field = f"{problem.field}: " if problem.field else ""
        return f"{where}: {field}{problem.message}"
