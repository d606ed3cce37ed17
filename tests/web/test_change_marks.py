"""The markers the live streams compare (bootstrap.change_markers), on SQLite and PostgreSQL:
each list's moves when what the list shows changes, and only then; a watched incident's
version moves with its timeline."""

from __future__ import annotations

from datetime import timedelta

from tocsin import bootstrap
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.alerts import AlertAction, AlertIn, Parsed


def test_the_marks_move_with_what_the_lists_show(tocsin: Tocsin, clock: ManualClock) -> None:
    def marks() -> dict[str, tuple[object, ...]]:
        incidents, alerts, _ = bootstrap.change_markers(tocsin, frozenset())
        return {"incidents": incidents, "alerts": alerts}

    before = marks()
    tocsin.incidents.declare("ann", "One", "P3")
    declared = marks()
    assert declared["incidents"] != before["incidents"]
    assert declared["alerts"] == before["alerts"]
    clock.advance(timedelta(seconds=1))
    tocsin.incidents.acknowledge("INC-1", "ann")
    assert marks()["incidents"] != declared["incidents"]
    tocsin.alert_admin.add_integration("am", "alertmanager")
    alert = AlertIn(
        "alertmanager", "a", AlertAction.TRIGGER, "Disk", "warning", labels={"service": "db"}
    )
    tocsin.alerts.ingest("am", Parsed(alerts=[alert]))
    fired = marks()
    assert fired["alerts"] != declared["alerts"]
    silence = tocsin.alert_admin.silence(
        ["alertname=X"], None, clock.now() + timedelta(hours=1), "ann", "x"
    )
    silenced = marks()
    assert silenced["alerts"] != fired["alerts"]
    clock.advance(timedelta(seconds=1))
    tocsin.alert_admin.expire_silence(silence.id, "ann")
    assert marks()["alerts"] != silenced["alerts"]
    versions = bootstrap.change_markers(tocsin, frozenset({1, 99}))[2]
    assert versions == {1: tocsin.incidents.get("INC-1").version}  # an unknown one is left out
