"""Runbooks as a library: list, show, lint and import the Markdown in the runbooks directory."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from tocsin.app.ports import RunbookLibrary
from tocsin.core.actions import ACTIONS, ActionSpec
from tocsin.core.errors import InvalidInput, TocsinError
from tocsin.core.runbook import Problem, Runbook, lint, parse
from tocsin.core.runbook_import import Imported, normalise

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunSettings:
    """`runbooks:` of tocsin.yaml, as the use cases need it."""

    shell: bool = True
    output_limit: int = 64 * 1024
    timeout: timedelta = timedelta(seconds=60)
    values: Mapping[str, str] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict)  # NAME -> environment variable
    approval: frozenset[str] = frozenset()  # casefolded severity keys
    redact: tuple[str, ...] = ()
    actions: Mapping[str, ActionSpec] = field(default_factory=lambda: dict(ACTIONS))

    @property
    def known(self) -> set[str]:
        return {*self.values, *self.secrets}


class Runbooks:
    """Reads runbooks from the library, parsed once per text."""

    def __init__(self, library: RunbookLibrary, settings: RunSettings) -> None:
        self.library = library
        self.settings = settings
        self._parsed: dict[str, tuple[str, Runbook]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return self.library.names()

    def get(self, name: str) -> Runbook:
        text = self.library.read(name)
        with self._lock:
            cached = self._parsed.get(name)
            if cached is not None and cached[0] == text:
                return cached[1]
        runbook = parse(text, name, self.settings.actions)
        with self._lock:
            self._parsed[name] = (text, runbook)
        return runbook

    def all(self) -> list[Runbook]:
        return [self.get(name) for name in self.names()]

    def readable(self) -> list[Runbook]:
        """Every runbook that can be read; the others are logged and left out (for the
        handlers inside a declare's transaction, which must not fail because of a file)."""
        found = []
        for name in self.names():
            try:
                found.append(self.get(name))
            except (TocsinError, OSError) as exc:
                log.warning("runbook %s left out: %s", name, exc)
        return found

    def runnable(self, name: str) -> Runbook:
        """The runbook, or InvalidInput naming its first errors: nothing is half-run."""
        runbook = self.get(name)
        if runbook.errors:
            first = "; ".join(str(p) for p in runbook.errors[:3])
            raise InvalidInput(f"runbook {name} does not parse, so nothing was run: {first} "
                               f"(see `tocsin runbook lint {name}`)")  # fmt: skip
        return runbook

    def lint(self, name: str) -> list[Problem]:
        return lint(self.get(name), self.settings.known)

    def import_text(
        self, raw: str, name: str | None = None, replace: bool = False, dry_run: bool = False
    ) -> tuple[Imported, str | None]:
        """Normalise a document and write it as NAME.md (unless dry_run); the import and where
        it was written."""
        imported = normalise(raw, name)
        if imported.runbook.errors:
            first = "; ".join(str(p) for p in imported.runbook.errors[:3])
            raise InvalidInput(f"the document does not parse, nothing was written: {first}")
        if dry_run:
            return imported, None
        path = self.library.write(imported.name, imported.text, replace)
        return imported, path
