"""`tocsin oncall` on a server (TOCSIN_URL, TOCSIN_TOKEN): the same answers and exit codes as
on the local database, with the same tocsin.yaml on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli, flat
from tests.e2e.remote_pairs import answers_alike, local_and_remote, point_at
from tests.e2e.remote_server import Server, running
from tests.support.oncall import oncall_config


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(tmp_path / "server", f"sqlite:///{tmp_path / 'server.db'}", oncall_config()) as s:
        yield s


SCRIPT: list[tuple[str, ...]] = [
    ("oncall",),
    ("oncall", "primary", "--at", "2026-11-23T10:00:00-05:00"),
    ("oncall", "business", "--at", "2026-11-23T15:00:00Z"),
    ("oncall", "check"),
    ("oncall", "override", "add", "primary", "cid", "--from", "2027-01-01T00:00:00Z",
     "--to", "2027-01-02T00:00:00Z", "--reason", "covering the holiday"),
    ("oncall", "override", "list"),
    ("oncall", "override", "list", "primary", "--all"),
    ("oncall", "primary", "--at", "2027-01-01T12:00:00Z"),
    ("oncall", "override", "remove", "1"),
    ("oncall", "feed", "list"),
    # refusals (exit 1) and usage errors (exit 2)
    ("oncall", "check"),
    ("oncall", "override", "remove", "1"),
    ("oncall", "nope"),
    ("oncall", "override", "add", "nope", "ann", "--to", "+1h"),
    ("oncall", "override", "add", "primary", "zed", "--to", "+1h"),
    ("oncall", "override", "add", "primary", "ann", "--from", "+2h", "--to", "+1h"),
    ("oncall", "primary", "--at", "2026-11-23T10:00"),
    ("oncall", "feed", "add", "--person", "zed"),
]  # fmt: skip


def test_every_oncall_command_answers_as_the_local_one(
    server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = local_and_remote(server, bare_cli, project, monkeypatch, oncall_config())
    codes = answers_alike(both, SCRIPT)
    assert codes[-8:] == [1, 1, 1, 1, 2, 2, 2, 1]
    for args in SCRIPT[:3]:
        local, remote = both(*args, json=False)
        assert (remote.code, flat(remote.out)) == (local.code, flat(local.out)), args


def test_a_feed_made_through_the_server_has_the_servers_url(
    server: Server, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_at(monkeypatch, server.url, server.token("ci", "responder"))
    code, feed = bare_cli("oncall", "feed", "add", "primary")
    assert code == 0, feed
    assert feed["url"] == f"{server.url}/api/v1/oncall/primary.ics?token={feed['token']}"
    assert feed["created_by"] == "alice via token:ci"
    assert [f.id for f in server.tocsin.oncall.feeds()] == [feed["id"]]


def test_page_test_on_a_server_answers_as_the_local_one(
    server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`tocsin page test` through /api/v1/people/{person}/page-tests: the same text and exit
    codes; the server's own worker then sends (here to no notifier: each fails for good)."""
    token = server.token("ci", "responder")
    (project / "local").mkdir()
    (project / "local" / "tocsin.yaml").write_text(oncall_config(), encoding="utf-8")
    monkeypatch.setenv("TOCSIN_CONFIG", str(project / "local" / "tocsin.yaml"))
    for args in (("page", "test", "ann"), ("page", "test", "zed"), ("page", "test", "cid")):
        monkeypatch.delenv("TOCSIN_URL", raising=False)
        local = bare_cli(*args, json=False)
        point_at(monkeypatch, server.url, token)
        remote = bare_cli(*args, json=False)
        assert (remote.code, flat(remote.out)) == (local.code, flat(local.out)), args
    code, status = bare_cli("page", "test", "ann", "--status")
    assert code == 0, status
    assert [t["method"]["kind"] for t in status] == ["email", "sms", "voice"]
    assert {t["last"]["requested_by"] for t in status} == {"alice via token:ci"}
