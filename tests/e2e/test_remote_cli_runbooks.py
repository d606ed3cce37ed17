"""`tocsin runbook …` with TOCSIN_URL: the server's runbooks, run by the server's worker, and
the output printed as the local command prints it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import Cli
from tests.e2e.remote_server import Server, running
from tocsin.core.scope import Scope
from tocsin.worker.loop import Worker

BOOK = """\
# Ops
```bash {name=Hello}
echo "hello $SERVICE from $WHO"
```
```bash {kind=mitigation name=Throttle}
echo "throttle $API_ID"
```
"""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    with running(tmp_path / "server", f"sqlite:///{tmp_path / 'server.db'}") as started:
        folder = started.tocsin.config_path.parent / "runbooks"
        folder.mkdir()
        (folder / "ops.md").write_text(BOOK, encoding="utf-8")
        worker = Worker.wired(started.tocsin, 1, 0.05)
        worker.start()
        try:
            yield started
        finally:
            worker.stop()


@pytest.fixture
def remote(server: Server, bare_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("TOCSIN_URL", server.url)
    monkeypatch.setenv("TOCSIN_TOKEN", server.token("ci", "responder"))
    return bare_cli


def test_a_step_runs_on_the_server_and_its_output_comes_back(
    server: Server, remote: Cli, project: Path
) -> None:
    ref = server.tocsin.incidents.declare("ann", "API down", "P2", Scope(("api",))).incident.id
    code, listed = remote("runbook", "list")
    assert (code, [b["name"] for b in listed]) == (0, ["ops"])
    code, out = remote("runbook", "run", "ops", "-i", ref, "-n", "1", "--set", "WHO=ci")
    assert code == 0, out
    assert (out[0]["status"], out[0]["output"]) == ("succeeded", "hello api from ci\n")
    assert out[0]["requested_by"] == "alice via token:ci"
    code, text = remote("runbook", "run", "ops", "-i", ref, "-n", "2", "--set", "API_ID=x",
                        json=False)  # fmt: skip
    assert code == 1
    assert "is a mitigation" in text
    code, out = remote("runbook", "run", "ops", "-i", ref, "-n", "2", "--set", "API_ID=x", "--yes")
    assert (code, out[0]["output"]) == (0, "throttle x\n")
    code, runs = remote("runbook", "runs", ref)
    assert [r["status"] for r in runs] == ["succeeded", "succeeded"]
    assert not (project / "tocsin.yaml").exists()  # nothing local was needed
