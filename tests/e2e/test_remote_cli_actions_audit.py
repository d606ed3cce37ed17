"""`tocsin action …`, `tocsin audit …` and `tocsin runbook lint|import` with TOCSIN_URL, over a
real server: actions run on the server (its catalogue, its credentials, its audit log), the
audit is the server's chain checked by the server, lint reads the server's runbooks with its
settings, and import refuses, saying why. The project directory has no tocsin.yaml: nothing
local is read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.remote_server import Server, running
from tests.support.fakes.admin_api import AdminApi, admin_api
from tocsin.config import render_preset
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind

BOOK = """\
# Checkout
```tocsin {name="Checkout off"}
action: feature.set
flag: new-checkout
enabled: false
```
"""
BROKEN = "# Broken\n```tocsin\naction: feature.nope\n```\n"


@pytest.fixture
def admin() -> Iterator[AdminApi]:
    with admin_api() as server:
        yield server


@pytest.fixture
def server(tmp_path: Path, admin: AdminApi) -> Iterator[Server]:
    text = (
        render_preset("p1-p4")
        + f"""
runbooks:
  http_actions:
    feature.set:
      base_url: {admin.url}
      path: /admin/features
      body: {{flag: "{{{{ flag }}}}", enabled: "{{{{ enabled }}}}"}}
      params: {{flag: {{}}, enabled: {{type: bool}}}}
      before: {{path: "/admin/features/{{{{ flag }}}}"}}
"""
    )
    with running(tmp_path / "server", f"sqlite:///{tmp_path / 'server.db'}", text) as started:
        folder = started.tocsin.config_path.parent / "runbooks"
        folder.mkdir()
        (folder / "checkout.md").write_text(BOOK, encoding="utf-8")
        (folder / "broken.md").write_text(BROKEN, encoding="utf-8")
        yield started


def as_role(server: Server, cli: Cli, mp: pytest.MonkeyPatch, role: str) -> Cli:
    mp.setenv("TOCSIN_URL", server.url)
    mp.setenv("TOCSIN_TOKEN", server.token(f"ci-{role}", role))
    return cli


def test_an_action_runs_on_the_server_with_its_catalogue_and_audit(
    server: Server, admin: AdminApi, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = server.tocsin.incidents.declare("ann", "Checkout", "P2", Scope(("api",))).incident.id
    viewer = as_role(server, bare_cli, monkeypatch, "viewer")
    flag = ["-i", ref, "-p", "flag=new-checkout", "-p", "enabled=false"]
    code, text = viewer("action", "run", "feature.set", *flag, "--yes", json=False)
    assert code != 0
    assert "responder" in text
    cli = as_role(server, bare_cli, monkeypatch, "responder")
    code, listed = cli("action", "list")
    assert code == 0
    assert "feature.set" in [a["name"] for a in listed]  # the server's tocsin.yaml
    code, dry = cli("action", "run", "feature.set", *flag, "--dry-run")
    assert (code, dry["ok"], dry["summary"]) == (0, True, f"would POST {admin.url}/admin/features")
    assert admin.flags["new-checkout"] is True
    code, text = cli("action", "run", "feature.set", *flag, json=False)
    assert code == 1
    assert "is a mitigation: confirm it" in text
    code, done = cli("action", "run", "feature.set", *flag, "--yes")
    assert (code, done["ok"], done["before"]) == (
        0, True, {"state": {"flag": "new-checkout", "enabled": True}}
    )  # fmt: skip
    assert admin.flags["new-checkout"] is False
    (entry,) = [e for e in server.tocsin.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert entry.actor == "alice via token:ci-responder"
    actions = [r.action for r in server.tocsin.audit.records()]
    assert actions == ["runbook.refused", "runbook.refused", "action.executed"]
    assert not (project / "tocsin.yaml").exists()


def test_audit_verify_and_list_are_the_servers_chain_for_an_admin(
    server: Server, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = server.tocsin.incidents.declare("ann", "Checkout", "P2", Scope(("api",))).incident.id
    responder = as_role(server, bare_cli, monkeypatch, "responder")
    assert responder("action", "run", "feature.set", "-i", ref, "-p", "flag=x",
                     "-p", "enabled=on", "--yes").code == 0  # fmt: skip
    code, text = responder("audit", "verify", json=False)
    assert code != 0
    assert "admin" in text
    admin_cli = as_role(server, bare_cli, monkeypatch, "admin")
    code, verdict = admin_cli("audit", "verify")
    assert (code, verdict) == (0, {"checked": 1, "ok": True, "broken": None})
    code, records = admin_cli("audit", "list")
    assert code == 0
    assert [(r["action"], r["actor"]) for r in records] == [
        ("action.executed", "alice via token:ci-responder")
    ]
    code, text = admin_cli("audit", "verify", json=False)
    assert "Audit log intact: 1 record(s)" in text


def test_lint_reads_the_servers_runbooks_and_import_refuses_saying_why(
    server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli = as_role(server, bare_cli, monkeypatch, "viewer")
    code, report = cli("runbook", "lint")
    assert code == 1
    assert report["checkout"] == []  # feature.set is known there, with the server's settings
    (problem,) = report["broken"]
    assert problem["error"]
    assert "no action 'feature.nope'" in problem["message"]
    code, report = cli("runbook", "lint", "checkout")
    assert (code, report) == (0, {"checkout": []})
    (project / "notes.md").write_text("# Notes\n```bash\necho hi\n```\n", encoding="utf-8")
    code, text = cli("runbook", "import", "notes.md", json=False)
    assert code == 2
    assert "runbook import runs locally only" in text
    assert "never written through its API" in text
    assert not (project / "runbooks").exists()
    served = server.tocsin.config_path.parent / "runbooks"
    assert sorted(p.name for p in served.iterdir()) == ["broken.md", "checkout.md"]
