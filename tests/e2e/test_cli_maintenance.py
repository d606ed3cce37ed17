"""`tocsin maintenance end|edit`: a window ended early or moved from the command line; an
overlap is refused naming the other window; bad times are usage errors naming the option."""

from __future__ import annotations

from tests.e2e.conftest import Cli, utc_time


def test_a_window_is_extended_refused_on_overlap_and_ended(cli: Cli) -> None:
    code, window = cli("maintenance", "add", "api", "--duration", "30m", "--comment", "deploy")
    assert code == 0, window
    code, out = cli("maintenance", "add", "api", "--duration", "1h", "--comment", "again")
    assert code == 1, out  # refused: it overlaps
    assert f"overlap maintenance {window['id']} for api" in out["error"]
    assert f"tocsin maintenance edit {window['id']} --ends" in out["error"]
    code, edited = cli("maintenance", "edit", str(window["id"]), "--duration", "2h")
    assert code == 0, edited
    assert utc_time(edited["ends_at"]) > utc_time(window["ends_at"])
    code, out = cli("maintenance", "edit", str(window["id"]), "--until", "next tuesday")
    assert code == 2
    assert "--until: 'next tuesday' is not an ISO time" in out["error"]
    code, out = cli("maintenance", "edit", str(window["id"]))
    assert (code, "what to change" in out["error"]) == (2, True)
    code, ended = cli("maintenance", "end", str(window["id"]))
    assert code == 0, ended
    assert cli("maintenance", "list")[1] == []
    code, out = cli("maintenance", "end", str(window["id"]))
    assert (code, "already ended" in out["error"]) == (2, True)
    code, audit = cli("audit", "list")
    assert code == 0, audit
    actions = [r["action"] for r in audit if r["action"].startswith("maintenance")]
    assert actions == ["maintenance.added", "maintenance.edited", "maintenance.ended"]
