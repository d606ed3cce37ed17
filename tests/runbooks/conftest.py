"""A wired Tocsin with a runbooks directory, configured values, a secret and approvals."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_HASHER
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset

SECRET = "sekrit-admin-token-123"  # noqa: S105 - a test value
RUNBOOKS = """
runbooks:
  dir: runbooks
  output_limit: 1KiB
  timeout: 10s
  redact: ['tenant-\\d+']
  values: {REGION: eu-west-1}
  secrets: {ADMIN_TOKEN: TEST_ADMIN_TOKEN}
  approval: [P1]
"""


@pytest.fixture
def runbook_dir(tmp_path: Path) -> Path:
    path = tmp_path / "runbooks"
    path.mkdir()
    return path


@pytest.fixture
def write_runbook(runbook_dir: Path) -> Callable[[str, str], Path]:
    def write(name: str, text: str) -> Path:
        path = runbook_dir / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def extra_env() -> dict[str, str]:
    return {}


@pytest.fixture
def wired(
    tmp_path: Path,
    database_url: str,
    clock: ManualClock,
    runbook_dir: Path,
    extra_env: dict[str, str],
) -> Iterator[Tocsin]:
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4") + RUNBOOKS, encoding="utf-8")
    env = {
        "TOCSIN_CONFIG": str(config),
        "TOCSIN_DATABASE_URL": database_url,
        "TEST_ADMIN_TOKEN": SECRET,
        "TOCSIN_SECRET_KEY": "not-for-steps",
        **extra_env,
    }
    app = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)
    yield app
    app.engine.dispose()
