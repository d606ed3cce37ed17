"""Runbooks: the Markdown teams already write, read as steps Tocsin can run and record.

Headings give sections; fenced ``bash``/``sh``/``shell`` blocks are runnable steps, with
settings in the info string (```` ```bash {kind=mitigation timeout=60} ````) so the file still
renders anywhere; task-list items (``- [ ] …``) are checklist steps; everything else is prose,
kept as written. Optional front matter (between ``---`` lines) gives the title, services,
severities, triggers (run the diagnostics when an incident is declared for these services)
and variables (asked for when the step runs). Nothing here runs anything.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from tocsin.core import frontmatter
from tocsin.core.actions import (
    ACTIONS,
    VARIABLE,
    ActionSpec,
    action_params,
    action_spec,
    check_params,
)
from tocsin.core.classify import classify
from tocsin.core.errors import DomainError, ErrorKind, InvalidInput, NotFound
from tocsin.core.shell import scan

SHELLS = frozenset({"bash", "sh", "shell"})
ACTION_LANGUAGE = "tocsin"  # a typed action: core/actions.py
FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
TASK = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s+(.*\S)\s*$")
SETTING = re.compile(r"""([A-Za-z_][A-Za-z0-9_-]*)=("[^"]*"|'[^']*'|[^\s"'}]+)""")
DURATION = re.compile(r"^(?=\d)(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SETTINGS = ("kind", "timeout", "name", "auto")
KIND_WORDS = {
    "diagnostic": "diagnostic",
    "read": "diagnostic",
    "mitigation": "mitigation",
    "change": "mitigation",
}
# Filled in from the incident the step runs for, whenever a step uses them.
INCIDENT_VARIABLES = frozenset(
    {
        "INCIDENT_ID",
        "INCIDENT_NUMBER",
        "INCIDENT_TITLE",
        "INCIDENT_SEVERITY",
        "SERVICE",
        "SERVICES",
        "TENANT",
        "TENANTS",
    }
)
MAX_TIMEOUT = timedelta(hours=6)


class RunbookExists(DomainError):
    kind = ErrorKind.CONFLICT


class StepKind(StrEnum):
    DIAGNOSTIC = "diagnostic"  # reads; may run by itself
    MITIGATION = "mitigation"  # changes production: the responder role and a confirmation
    CHECK = "check"  # a checklist item, ticked by a person


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    message: str
    error: bool = True  # False: a warning; the runbook still runs

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class Trigger:
    """Run the diagnostics by themselves when an incident is declared for these services
    (`*`: any) and, if given, only at these severities."""

    services: tuple[str, ...]
    severities: tuple[str, ...] = ()

    def matches(self, services: Iterable[str], severity: str) -> bool:
        wanted = {s.casefold() for s in self.services}
        hit = "*" in wanted or any(s.casefold() in wanted for s in services)
        sev_ok = not self.severities or severity.casefold() in {
            s.casefold() for s in self.severities
        }
        return hit and sev_ok


@dataclass(frozen=True, slots=True)
class Step:
    number: int  # 1, 2, 3 … in document order, checklist items included
    line: int  # the fence (or the checklist item), 1-based
    section: str  # the headings above it: "3. Mitigation › High CPU/Memory"
    title: str
    kind: StepKind
    reason: str  # why it is that kind: "marked kind=mitigation", "aws ecs update-service …"
    marked: bool  # the author said the kind
    command: str  # the block's text; a checklist item's words
    language: str = ""
    timeout: timedelta | None = None
    auto: bool = True  # a diagnostic that runs by itself on a trigger
    variables: tuple[str, ...] = ()  # what it needs from outside
    checked: bool = False
    action: str = ""  # a typed action (a ```tocsin block), not a shell command

    @property
    def runnable(self) -> bool:
        return self.kind is not StepKind.CHECK

    def summary(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "line": self.line,
            "section": self.section,
            "title": self.title,
            "kind": self.kind.value,
            "reason": self.reason,
            "marked": self.marked,
            "command": self.command,
            "timeout_s": self.timeout.total_seconds() if self.timeout else None,
            "auto": self.auto,
            "variables": list(self.variables),
            "action": self.action or None,
        }


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    title: str
    line: int


@dataclass(frozen=True, slots=True)
class Prose:
    line: int
    text: str


Part = Heading | Prose | Step


@dataclass(frozen=True)
class Runbook:
    name: str
    title: str
    parts: tuple[Part, ...]
    services: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    trigger: Trigger | None = None
    variables: dict[str, str] = field(default_factory=dict)  # declared: name -> what it is
    problems: tuple[Problem, ...] = ()

    @property
    def steps(self) -> tuple[Step, ...]:
        return tuple(p for p in self.parts if isinstance(p, Step))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.error)

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)

    def diagnostics(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.kind is StepKind.DIAGNOSTIC)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "services": list(self.services),
            "severities": list(self.severities),
            "triggers": None
            if self.trigger is None
            else {
                "services": list(self.trigger.services),
                "severities": list(self.trigger.severities),
            },
            "variables": dict(self.variables),
            "steps": [s.summary() for s in self.steps],
            "problems": [
                {"line": p.line, "message": p.message, "error": p.error} for p in self.problems
            ],
        }


def parse(text: str, name: str, actions: Mapping[str, ActionSpec] | None = None) -> Runbook:
    """The runbook the text describes. What cannot be read is a Problem with its line, never
    an exception: lint lists them all, and a runbook with errors does not run. `actions`: the
    typed actions ```tocsin blocks may name (the built-in ones, else)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _Parser(text, name, ACTIONS if actions is None else actions).parse()


class _Parser:
    def __init__(self, text: str, name: str, actions: Mapping[str, ActionSpec]) -> None:
        self.lines = text.split("\n")
        self.name = name
        self.actions = actions
        self.problems: list[Problem] = []
        self.parts: list[Part] = []
        self.headings: list[Heading] = []
        self.prose: list[str] = []
        self.prose_line = 1
        self.meta: dict[str, Any] = {}

    def parse(self) -> Runbook:
        if not NAME.match(self.name):
            self.problems.append(
                Problem(1, f"runbook name {self.name!r}: use letters, digits, . _ - (up to 100)")
            )
        i = self._front_matter()
        while i < len(self.lines):
            i = self._line(i)
        self._flush()
        return self._runbook()

    def _front_matter(self) -> int:
        if not self.lines or self.lines[0].strip() != "---":
            return 0
        end = next(
            (j for j in range(1, len(self.lines)) if self.lines[j].strip() in ("---", "...")),
            None,
        )
        if end is None:
            self.problems.append(Problem(1, "front matter opened with --- is never closed"))
            return 0
        try:
            self.meta = frontmatter.parse(self.lines[1:end], first_line=2)
        except frontmatter.FrontMatterError as exc:
            self.problems.append(
                Problem(exc.line, f"front matter: {exc}".replace(f"line {exc.line}: ", ""))
            )
        self.prose_line = end + 2
        return end + 1

    def _line(self, i: int) -> int:
        raw = self.lines[i]
        fence = FENCE.match(raw)
        if fence:
            return self._fence(i, fence)
        heading = HEADING.match(raw)
        if heading:
            self._flush()
            level, title = len(heading.group(1)), heading.group(2).strip()
            self.headings = [h for h in self.headings if h.level < level]
            found = Heading(level, title, i + 1)
            self.headings.append(found)
            self.parts.append(found)
            return i + 1
        task = TASK.match(raw)
        if task:
            self._flush()
            self._add_step(
                i + 1,
                task.group(2),
                "",
                StepKind.CHECK,
                "a checklist item",
                True,
                checked=task.group(1) != " ",
            )
            return i + 1
        if not self.prose:
            self.prose_line = i + 1
        self.prose.append(raw)
        return i + 1

    def _fence(self, i: int, fence: re.Match[str]) -> int:
        indent, marks, info = len(fence.group(1)), fence.group(2), fence.group(3).strip()
        closing = re.compile(rf"^\s*{re.escape(marks[0])}{{{len(marks)},}}\s*$")
        end = next((j for j in range(i + 1, len(self.lines)) if closing.match(self.lines[j])), None)
        if end is None:
            self.problems.append(
                Problem(i + 1, f"code block opened here ({marks}) is never closed")
            )
            end = len(self.lines)
        body = [_dedent(line, indent) for line in self.lines[i + 1 : end]]
        language = info.split("{", 1)[0].split()[0].lower() if info.split("{", 1)[0] else ""
        if language == ACTION_LANGUAGE:
            self._flush()
            self._action_step(i + 1, info, "\n".join(body))
            return end + 1
        if language not in SHELLS:
            if not self.prose:
                self.prose_line = i + 1
            self.prose.extend(self.lines[i : end + 1])
            return end + 1
        self._flush()
        self._shell_step(i + 1, language, info, "\n".join(body))
        return end + 1

    def _shell_step(self, line: int, language: str, info: str, command: str) -> None:
        settings = self._settings(line, info)
        found = scan(command)
        for offset, message in found.problems:
            self.problems.append(Problem(line + 1 + offset, f"does not parse: {message}"))
        kind_word = settings.get("kind")
        if kind_word is not None:
            kind, reason, marked = StepKind(KIND_WORDS[kind_word]), f"marked kind={kind_word}", True
        else:
            verdict = classify(found)
            kind = StepKind.MITIGATION if verdict.changes else StepKind.DIAGNOSTIC
            reason, marked = verdict.reason, False
        timeout = _duration(settings["timeout"]) if "timeout" in settings else None
        auto = settings.get("auto", "true").lower() not in ("false", "no", "0", "off")
        title = settings.get("name") or _first_comment(found.comments) or self._section()
        self._add_step(
            line,
            title,
            command,
            kind,
            reason,
            marked,
            language=language,
            timeout=timeout,
            auto=auto,
            variables=found.variables,
        )

    def _action_step(self, line: int, info: str, body: str) -> None:
        """```tocsin: `action: NAME` and its parameters as `key: value` lines."""
        settings = self._settings(line, info)
        try:
            name, params = action_params(body)
            spec = action_spec(name, self.actions)
            check_params(spec, params)
        except (InvalidInput, NotFound) as exc:
            self.problems.append(Problem(line, f"typed action: {exc}"))
            return
        kind_word = settings.get("kind") or spec.kind
        kind = StepKind(KIND_WORDS[kind_word])
        reason = f"typed action {name} ({spec.kind})"
        timeout = _duration(settings["timeout"]) if "timeout" in settings else None
        auto = settings.get("auto", "true").lower() not in ("false", "no", "0", "off")
        found = tuple(dict.fromkeys(m.group(1) for v in params.values()
                                    for m in VARIABLE.finditer(v)))  # fmt: skip
        title = settings.get("name") or spec.summary
        self._add_step(line, title, body, kind, reason, True, language=ACTION_LANGUAGE,
                       timeout=timeout, auto=auto, variables=found, action=name)  # fmt: skip

    def _settings(self, line: int, info: str) -> dict[str, str]:
        if "{" not in info:
            return {}
        inner = info.split("{", 1)[1]
        if not inner.rstrip().endswith("}"):
            self.problems.append(Problem(line, f"settings {{…}} not closed: {info!r}"))
            return {}
        inner = inner.rstrip()[:-1]
        settings = {m.group(1): m.group(2).strip("\"'") for m in SETTING.finditer(inner)}
        leftover = SETTING.sub("", inner).strip()
        if leftover:
            self.problems.append(
                Problem(
                    line,
                    f"cannot read settings {leftover!r}: write "
                    "key=value pairs, e.g. {kind=mitigation timeout=60}",
                )
            )
        for key, value in list(settings.items()):
            if key not in SETTINGS:
                self.problems.append(
                    Problem(line, f"unknown setting {key!r}; known: " + ", ".join(SETTINGS))
                )
                del settings[key]
            elif key == "kind" and value not in KIND_WORDS:
                self.problems.append(
                    Problem(
                        line,
                        f"kind={value}: use kind=diagnostic (reads "
                        "only) or kind=mitigation (changes things)",
                    )
                )
                del settings[key]
            elif key == "timeout" and _duration(value) is None:
                self.problems.append(
                    Problem(
                        line,
                        f"timeout={value}: use seconds or a duration up to 6h, e.g. 60, 90s, 5m",
                    )
                )
                del settings[key]
        return settings

    def _add_step(
        self,
        line: int,
        title: str,
        command: str,
        kind: StepKind,
        reason: str,
        marked: bool,
        **extra: Any,
    ) -> None:
        number = sum(1 for p in self.parts if isinstance(p, Step)) + 1
        self.parts.append(
            Step(number, line, self._section(), title, kind, reason, marked, command, **extra)
        )

    def _section(self) -> str:
        """The headings above, the document's title (its level-1 heading) left out."""
        return " › ".join(h.title for h in self.headings if h.level > 1)

    def _flush(self) -> None:
        text = "\n".join(self.prose).strip("\n")
        if text.strip():
            self.parts.append(Prose(self.prose_line, text))
        self.prose = []

    def _runbook(self) -> Runbook:
        meta = self.meta
        first_h1 = next((h.title for h in self.headings_all() if h.level == 1), None)
        title = str(meta.get("title") or first_h1 or self.name)
        trigger = self._trigger(meta.get("triggers"))
        variables = meta.get("variables") or {}
        if isinstance(variables, list):
            variables = {str(v): "" for v in variables}
        if not isinstance(variables, dict):
            self.problems.append(Problem(1, "variables: a mapping of NAME: what it is"))
            variables = {}
        known = ("title", "services", "severities", "triggers", "variables", "description")
        for key in meta:
            if key not in known:
                self.problems.append(
                    Problem(
                        1,
                        f"front matter: unknown key {key!r}; known: " + ", ".join(known),
                        error=False,
                    )
                )
        return Runbook(
            self.name,
            title,
            tuple(self.parts),
            _strings(meta.get("services")),
            _strings(meta.get("severities")),
            trigger,
            {str(k): str(v or "") for k, v in variables.items()},
            tuple(sorted(self.problems, key=lambda p: p.line)),
        )

    def headings_all(self) -> list[Heading]:
        return [p for p in self.parts if isinstance(p, Heading)]

    def _trigger(self, value: Any) -> Trigger | None:
        if value is None or value is False:
            return None
        if isinstance(value, (list, str)):
            return Trigger(_strings(value))
        if isinstance(value, dict) and value.get("services"):
            return Trigger(_strings(value["services"]), _strings(value.get("severities")))
        self.problems.append(
            Problem(
                1,
                "triggers: a list of services, or services: [...] with optional severities: [...]",
            )
        )
        return None


def lint(runbook: Runbook, known: Collection[str]) -> list[Problem]:
    """Problems of the text, and of the steps against what is known to supply variables
    (configured values and secrets): unknown variables, unmarked mitigations, and commands
    that never end by themselves."""
    found = list(runbook.problems)
    supplied = set(known) | set(runbook.variables) | INCIDENT_VARIABLES
    for step in runbook.steps:
        where = f"step {step.number}"
        missing = [v for v in step.variables if v not in supplied]
        if missing:
            names = ", ".join(f"${v}" for v in missing)
            found.append(
                Problem(
                    step.line,
                    f"{where} uses {names}, which nothing supplies: "
                    "set runbooks.values or runbooks.secrets in tocsin.yaml, list it "
                    "under variables: in the front matter, or pass --set NAME=VALUE",
                    error=False,
                )
            )
        if step.kind is StepKind.MITIGATION and not step.marked:
            found.append(
                Problem(
                    step.line,
                    f"{where} is an unmarked mitigation ({step.reason}):"
                    " mark its fence {kind=mitigation}, or {kind=diagnostic} if it"
                    " only reads",
                    error=False,
                )
            )
        if step.runnable and re.search(
            r"(^|\s)(watch\s|tail\s.*(-f\b|--follow))|--follow\b", step.command
        ):
            found.append(
                Problem(
                    step.line,
                    f"{where} never ends by itself (--follow or watch): it runs until its timeout",
                    error=False,
                )
            )
    return sorted(found, key=lambda p: p.line)


def _duration(text: str) -> timedelta | None:
    m = DURATION.match(text.strip())
    if not m or not text.strip():
        return None
    h, mi, s = (int(g) if g else 0 for g in m.groups())
    value = timedelta(hours=h, minutes=mi, seconds=s)
    return value if timedelta(0) < value <= MAX_TIMEOUT else None


def _dedent(line: str, indent: int) -> str:
    strip = min(indent, len(line) - len(line.lstrip(" ")))
    return line[strip:]


def _first_comment(comments: list[tuple[int, str]]) -> str | None:
    return next((text for _, text in comments if text), None)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)
