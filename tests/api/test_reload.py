"""Configuration changes without a restart: `POST /api/v1/admin/reload` (what `tocsin
reload` calls on a server) swaps the wiring for the next request; a broken file is refused
with its problems and the old configuration keeps answering."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.bootstrap import LiveWiring, Tocsin
from tocsin.config import ConfigError
from tocsin.worker.loop import Worker

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def retitle(tocsin: Tocsin, old: str, new: str) -> None:
    path = tocsin.config_path
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def label_of(api: TestClient, admin: dict[str, str], key: str) -> str:
    items = api.get("/api/v1/severities", headers=admin).json()["items"]
    return str(next(s["label"] for s in items if s["key"] == key))


@pytest.fixture
def admin(tocsin: Tocsin) -> dict[str, str]:
    return bearer(tocsin.accounts.create_token("ops", "admin", "tests")[1])


def test_a_reload_applies_the_new_file_to_the_next_request(
    api: TestClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    before = label_of(api, admin, "P2")
    retitle(tocsin, f"label: {before}", "label: Major feature down")
    assert label_of(api, admin, "P2") == before  # nothing changes until asked
    answer = api.post("/api/v1/admin/reload", headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "reloaded": True,
        "config": str(tocsin.config_path),
        "restart_needed": [],
    }
    assert label_of(api, admin, "P2") == "Major feature down"
    current: Tocsin = api.app.state.tocsin  # type: ignore[attr-defined]
    assert current is not tocsin  # one new wiring, swapped in whole
    assert tocsin.incidents.severities.get("P2").label == before  # the old one is untouched
    assert current.engine is tocsin.engine  # what outlives a configuration is shared
    assert current.accounts is tocsin.accounts


def test_a_broken_file_is_refused_with_its_problems_and_the_old_one_stays(
    api: TestClient, tocsin: Tocsin, admin: dict[str, str]
) -> None:
    before = label_of(api, admin, "P2")
    text = tocsin.config_path.read_text(encoding="utf-8")
    tocsin.config_path.write_text(text.replace("key: P2", "key: 'P 2'", 1), encoding="utf-8")
    answer = api.post("/api/v1/admin/reload", headers=admin)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["kind"] == "invalid_input"
    assert "the old configuration stays in force" in error["message"]
    assert "invalid severity key" in error["message"]
    field = error["fields"][0]
    assert field["field"].startswith("severities[1].key")
    assert field["message"].startswith("line ")
    assert label_of(api, admin, "P2") == before
    assert api.app.state.tocsin is tocsin  # type: ignore[attr-defined]


def test_only_an_admin_may_reload(api: TestClient, tocsin: Tocsin) -> None:
    responder = bearer(tocsin.accounts.create_token("ci", "responder", "tests")[1])
    assert api.post("/api/v1/admin/reload", headers=responder).status_code == 403
    assert api.post("/api/v1/admin/reload").status_code == 401


def test_the_job_worker_takes_the_new_wiring(tocsin: Tocsin) -> None:
    live = LiveWiring(tocsin)
    worker = Worker.wired(tocsin)
    live.on_change(worker.rewire)
    retitle(tocsin, "organization: ", "organization: Reloaded ")
    done = live.reload()
    assert worker._runner is done.tocsin.job_runner  # the next batch runs with it
    assert done.tocsin.job_signal is tocsin.job_signal  # and still wakes this worker
    tocsin.config_path.write_text("severities: []\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        live.reload()
    assert worker._runner is done.tocsin.job_runner
    assert live.current is done.tocsin
