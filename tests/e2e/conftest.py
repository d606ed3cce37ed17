"""End-to-end fixtures: the real `tocsin` Typer app, run in a throwaway project directory.

`cli(*args)` runs one command the way a person would, with `--json` added unless
`json=False`, and returns `(exit_code, output)`: the parsed JSON document, or the text
(stdout and stderr together). Each run builds the app afresh (bootstrap is cached per
process) and disposes every database engine it created afterwards, so no connection
outlives the command, as in a real process.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from tocsin.cli import common
from tocsin.cli.main import app
from tocsin.store import database

ACTOR = "alice"
_BOX_AND_SPACE = re.compile(r"[\s│╭╮╰╯─]+")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Ran(NamedTuple):
    code: int
    out: Any


class Cli(Protocol):
    def __call__(self, *args: str, json: bool = True) -> Ran: ...


def flat(text: str) -> str:
    """Text without colour codes, Rich panel borders or line wrapping: one spaced line."""
    return _BOX_AND_SPACE.sub(" ", _ANSI.sub("", text)).strip()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def utc_time(text: str) -> datetime:
    """An ISO 8601 UTC time as the JSON carries it: ending in Z."""
    assert isinstance(text, str), text
    assert text.endswith("Z"), text
    moment = datetime.fromisoformat(text.removesuffix("Z") + "+00:00")
    assert moment.utcoffset() == timedelta(0)
    return moment


def recent(text: str) -> datetime:
    """An ISO time from the JSON, which must be within a minute of now (system clock)."""
    moment = utc_time(text)
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1), text
    return moment


_engines: list[Engine] = []


def _finish_run() -> None:
    """Forget the wired app and close every engine the command created."""
    common.reset()
    while _engines:
        _engines.pop().dispose()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty directory to run in, with the environment cleared of outside settings."""
    create = database.create

    def create_and_track(*args: Any, **kwargs: Any) -> Engine:
        engine = create(*args, **kwargs)
        _engines.append(engine)
        return engine

    monkeypatch.setattr(database, "create", create_and_track)
    for name in (
        "TOCSIN_CONFIG",
        "TOCSIN_DATABASE_URL",
        "TOCSIN_ACTOR",
        "TOCSIN_URL",
        "TOCSIN_TOKEN",
        "TOCSIN_PUBLIC_URL",
        "FORCE_COLOR",
        "PY_COLORS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TOCSIN_CONFIG", str(tmp_path / "tocsin.yaml"))
    monkeypatch.setenv("TOCSIN_ACTOR", ACTOR)
    monkeypatch.setenv("COLUMNS", "400")  # Rich panels do not wrap the messages we check
    _finish_run()
    yield tmp_path
    _finish_run()


@pytest.fixture
def bare_cli(project: Path) -> Cli:
    """Runs commands in `project`, which has no tocsin.yaml yet."""
    runner = CliRunner()

    def run(*args: str, json: bool = True) -> Ran:
        argv = [*args, "--json"] if json else list(args)
        _finish_run()
        try:
            result = runner.invoke(app, argv)
        finally:
            _finish_run()
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            # A crash is never an answer, even when its exit code happens to be 1.
            raise result.exception
        if not json:
            return Ran(result.exit_code, result.output)
        try:
            return Ran(result.exit_code, jsonlib.loads(result.stdout))
        except ValueError:
            raise AssertionError(
                f"tocsin {' '.join(argv)} (exit {result.exit_code}) printed no JSON:\n"
                f"{result.output}"
            ) from None

    return run


@pytest.fixture
def cli(bare_cli: Cli) -> Cli:
    """Runs commands in a project set up with `tocsin init` (preset p1-p4)."""
    code, out = bare_cli("init")
    assert code == 0, out
    return bare_cli


@pytest.fixture
def pg_or_sqlite_cli(cli: Cli, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`cli` on the database of tests/conftest.py's `database_url`: SQLite, then PostgreSQL."""
    monkeypatch.setenv("TOCSIN_DATABASE_URL", database_url)
    return cli


@pytest.fixture
def declare(cli: Cli) -> Callable[..., dict[str, Any]]:
    """Declares an incident (severity P2 unless given) and returns its JSON."""

    def run(title: str = "Checkout is slow", *options: str) -> dict[str, Any]:
        if "--severity" not in options and "-s" not in options:
            options = ("--severity", "P2", *options)
        code, out = cli("declare", title, *options)
        assert code == 0, out
        return out  # type: ignore[no-any-return]

    return run
