"""Fixtures shared by every layer of tests: clocks, severity models, databases, services."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.support.postgres import fresh_database, running_postgres
from tocsin.api.app import create_app
from tocsin.app.bus import MessageBus
from tocsin.app.clock import ManualClock
from tocsin.app.incidents import IncidentService
from tocsin.app.messages import DEFAULT_TEMPLATES
from tocsin.app.uow import Outbox
from tocsin.bootstrap import Tocsin, build
from tocsin.config import TocsinConfig, render_preset
from tocsin.core.severity import SeverityModel
from tocsin.integrations.notifiers.renderers.jinja import JinjaRenderer
from tocsin.integrations.passwords import Argon2Hasher
from tocsin.store import database
from tocsin.store.uow import SqlUnitOfWork

# boto3 (typed AWS actions) never looks for credentials at the instance metadata address.
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")

START = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
_databases = itertools.count()


def preset_config(name: str = "p1-p4") -> TocsinConfig:
    return TocsinConfig.model_validate(yaml.safe_load(render_preset(name)))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def severities() -> SeverityModel:
    return preset_config("p1-p4").severity_model()


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server for the session: TOCSIN_TEST_POSTGRES_URL, or one we start."""
    given = os.environ.get("TOCSIN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    with running_postgres(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tocsin.db'}"
    admin: str = request.getfixturevalue("postgres_admin_url")
    return fresh_database(admin, f"tocsin_t{os.getpid()}_{next(_databases)}")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = database.create(database_url)
    database.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def outbox() -> Outbox:
    return Outbox()


@pytest.fixture
def bus(outbox: Outbox) -> MessageBus:
    return outbox.bus


@pytest.fixture
def make_service(
    clock: ManualClock, severities: SeverityModel, outbox: Outbox
) -> Callable[[Engine], IncidentService]:
    def make(engine: Engine) -> IncidentService:
        renderer = JinjaRenderer(DEFAULT_TEMPLATES, {})
        return IncidentService(
            lambda: SqlUnitOfWork(engine, outbox=outbox), clock, severities, renderer
        )

    return make


@pytest.fixture
def service(engine: Engine, make_service: Callable[[Engine], IncidentService]) -> IncidentService:
    return make_service(engine)


FAST_HASHER = Argon2Hasher(time_cost=1, memory_cost=1024)


@pytest.fixture
def tocsin(tmp_path: Path, database_url: str, clock: ManualClock) -> Iterator[Tocsin]:
    """The whole app wired as `tocsin serve` wires it, on SQLite or PostgreSQL."""
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": database_url}
    wired = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)
    yield wired
    wired.engine.dispose()


@pytest.fixture
def role_tokens(tocsin: Tocsin) -> dict[str, str]:
    """One API token secret per role."""
    return {
        role: tocsin.accounts.create_token(f"{role}-token", role, "tests")[1]
        for role in ("viewer", "responder", "admin")
    }


@pytest.fixture
def api(tocsin: Tocsin) -> Iterator[TestClient]:
    """An HTTP client for the API app (no credentials: pass headers per request)."""
    with TestClient(create_app(tocsin), raise_server_exceptions=False) as client:
        yield client


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
