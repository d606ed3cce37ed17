"""`tocsin actions` on a server (TOCSIN_URL, TOCSIN_TOKEN): the same answers and exit codes as
on the local database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.remote_pairs import answers_alike, local_and_remote, point_at
from tests.e2e.remote_server import Server, running
from tocsin.config import render_preset


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(tmp_path / "server", f"sqlite:///{tmp_path / 'server.db'}") as s:
        yield s


SCRIPT: list[tuple[str, ...]] = [
    ("declare", "Payments down", "--severity", "P2"),
    ("actions", "add", "INC-1", "Alert on lag", "--owner", "bob", "--deadline", "2099-12-04",
     "--priority", "high", "--label", "database", "--category", "add monitoring/alerts"),
    ("actions", "add", "INC-1", "Fix the pool", "--owner", "ann"),
    ("actions", "set", "AI-1", "--status", "in_progress", "--deadline", "2020-01-01"),
    ("actions", "done", "AI-2"),
    ("actions", "list"),
    ("actions", "list", "--overdue"),
    ("actions", "list", "--incident", "INC-1", "--owner", "ann"),
    # refusals (exit 1) and usage errors (exit 2)
    ("actions", "done", "AI-9"),
    ("actions", "add", "INC-9", "x", "--owner", "bob"),
    ("actions", "add", "INC-1", "x", "--owner", "bob", "--priority", "P7"),
    ("actions", "export", "AI-1"),
]  # fmt: skip


def test_every_actions_command_answers_as_the_local_one(
    server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = local_and_remote(server, bare_cli, project, monkeypatch, render_preset("p1-p4"))
    codes = answers_alike(both, SCRIPT)
    assert codes[-4:] == [1, 1, 2, 2]
    [item] = server.tocsin.action_items.list(overdue=True)
    assert (item.ref, item.created_by) == ("AI-1", "alice via token:ci")


def test_sync_says_where_it_runs(
    server: Server, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, server.url, server.token("ci", "responder"))
    code, out = bare_cli("actions", "sync")
    assert code == 2
    assert "run it on the server's host" in out["error"]
