"""`tocsin postmortem …` end to end: draft (refused while open), edit through $EDITOR (a
small script), stale edits refused, review/publish, history, list --overdue, close refused
while unpublished, config check of a team's template; and the same over TOCSIN_URL."""

from __future__ import annotations

import stat
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.remote_server import Server, running


def editor(project: Path, body: str) -> str:
    """An $EDITOR that appends `body` to the file it is given."""
    script = project / "fake-editor.py"
    script.write_text(
        f"import sys\nwith open(sys.argv[1], 'a', encoding='utf-8') as f:\n    f.write({body!r})\n",
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return f"{sys.executable} {script}"


def test_draft_edit_review_publish_close(
    cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, inc = cli("declare", "API down", "--severity", "P1")
    ref = inc["id"]
    code, text = cli("postmortem", "draft", ref, json=False)
    assert code == 1
    assert f"{ref} is still investigating: resolve it first (root cause, fix)" in text
    assert cli("resolve", ref, "--root-cause", "a lock", "--fix", "batches").code == 0
    code, text = cli("postmortem", "draft", ref, "--category", "database", json=False)
    assert code == 0, text
    assert f"# Incident Report {ref}: API down" in text
    assert "version 1 (draft)" in text
    monkeypatch.setenv("EDITOR", editor(project, "\nWe learned a lot.\n"))
    code, saved = cli("postmortem", "edit", ref)
    assert (code, saved["version"]) == (0, 2), saved
    code, shown = cli("postmortem", "show", ref)
    assert shown["text"].endswith("We learned a lot.\n")
    # Somebody saves while our editor is open: ours is refused, theirs kept.
    (project / "theirs.md").write_text("# Theirs\n", encoding="utf-8")
    meanwhile = (
        f"import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'tocsin', 'postmortem', "
        f"'edit', '{ref}', '--file', 'theirs.md'], check=True)\n"
        "open(sys.argv[1], 'a').write('mine')\n"
    )
    (project / "racing.py").write_text(meanwhile, encoding="utf-8")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {project / 'racing.py'}")
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2] / "src"))
    code, stale = cli("postmortem", "edit", ref)
    assert code == 1, stale
    assert "changed since version 2 (now at version 3)" in stale["error"]
    assert cli("postmortem", "show", ref).out["text"] == "# Theirs\n"
    code, stale = cli("postmortem", "review", ref, "--version", "1")
    assert code == 1
    assert "changed since version 1" in stale["error"]
    code, text = cli("close", ref, json=False)
    assert code == 1
    assert "its post-mortem is required" in text
    assert cli("postmortem", "review", ref).code == 0
    assert cli("postmortem", "publish", ref).out["status"] == "published"
    code, hist = cli("postmortem", "history", ref)
    assert [h["action"] for h in hist] == ["draft", "edit", "edit", "review", "publish"]
    assert cli("close", ref).code == 0
    code, listed = cli("postmortem", "list", "--overdue")
    assert (code, listed) == (0, [])
    far = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%MZ")
    code, out = cli("postmortem", "meeting", ref, "--at", far)
    assert code == 2
    assert "more than 48 hours after" in out["error"]
    assert "--force" in out["error"]
    code, out = cli("postmortem", "meeting", ref, "--at", far, "--force")
    assert code == 1  # the preset names nobody with an e-mail address
    assert "nobody to invite" in out["error"]


def test_config_check_names_the_line_of_a_broken_template(cli: Cli, project: Path) -> None:
    (project / "pm.md.j2").write_text("# {{ incident.id }}\n{% if x %}\n", encoding="utf-8")
    with (project / "tocsin.yaml").open("a", encoding="utf-8") as file:
        file.write("postmortem:\n  template: pm.md.j2\n  attendees: {product_owner: nobody}\n")
    code, out = cli("config", "check")
    assert code == 1
    assert "postmortem.template" in out["error"]
    assert "pm.md.j2: line 2" in out["error"]
    assert "nobody is not in people:" in out["error"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(tmp_path / "server", f"sqlite:///{tmp_path / 'server.db'}") as started:
        yield started


def test_the_same_over_a_server(
    server: Server, bare_cli: Cli, project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOCSIN_URL", server.url)
    monkeypatch.setenv("TOCSIN_TOKEN", server.token("ci", "responder"))
    ref = server.tocsin.incidents.declare("ann", "API down", "P2").incident.id
    code, out = bare_cli("postmortem", "draft", ref)
    assert code == 1
    assert "resolve it first (root cause, fix)" in out["error"]
    server.tocsin.incidents.resolve(ref, "ann", "a lock", "batches")
    code, made = bare_cli("postmortem", "draft", ref)
    assert (code, made["version"], made["author"]) == (0, 1, "alice via token:ci"), made
    monkeypatch.setenv("EDITOR", editor(project, "\nMore.\n"))
    assert bare_cli("postmortem", "edit", ref).out["version"] == 2
    server.tocsin.postmortems.edit(ref, "ann", "# theirs\n", expected=2)
    monkeypatch.setenv("EDITOR", editor(project, "\nMine.\n"))
    code, out = bare_cli("postmortem", "edit", ref)
    assert code == 0  # read version 3 first, so not stale
    code, shown = bare_cli("postmortem", "show", ref, "--version", "3")
    assert shown["text"] == "# theirs\n"
    code, listed = bare_cli("postmortem", "list")
    assert listed[0]["incident"] == ref
    assert not (project / "tocsin.yaml").exists()
