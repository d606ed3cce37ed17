"""Engines and schema: SQLite pragmas, PostgreSQL, and migrations applied safely on start."""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
import weakref
from collections import deque
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DatabaseError, OperationalError, SQLAlchemyError

from tocsin.app.errors import DatabaseCorrupt, DatabaseTooNew, DatabaseUnavailable

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# As many kept connections as the server's worker threads use at once, so a busy server
# does not open and close a connection per request.
POOL: dict[str, Any] = {"pool_size": 20, "max_overflow": 20}
# WAL checkpoints run in a thread of their own (see Checkpointer), not inside a request's
# commit. SQLite's own checkpoint on commit stays as a backstop at this many pages (~40 MB),
# reached only if the thread cannot keep up.
AUTOCHECKPOINT_BACKSTOP = 10_000
CHECKPOINT_DELAY = 0.05  # seconds after a commit: commits in a burst share one checkpoint
CHECKPOINT_IDLE_EXIT = 0.5  # seconds without a commit before the thread ends


def default_url(data_dir: Path) -> str:
    return f"sqlite:///{data_dir / 'tocsin.db'}"


def create(url: str, sqlite_synchronous: str = "NORMAL") -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, **POOL)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30}, **POOL)
    _sqlite_pragmas(engine, sqlite_synchronous)
    _WRITERS[engine] = WriterQueue()
    if parsed.database and parsed.database != ":memory:":
        checkpointer = Checkpointer(parsed.database)
        event.listen(engine, "commit", lambda _conn: checkpointer.committed())
    return engine


WRITER_WAIT_S = 30.0  # as SQLite's busy timeout


class WriterQueue:
    """This process's SQLite write transactions, one at a time, first come first served.

    SQLite has one writer; the others wait in its busy handler, which sleeps and retries
    (sleeps growing to 100 ms) in no order. Under many writers some lose every round: 100
    threads declaring at once left 35 failing after the 30 s busy timeout, and a job
    worker's claim starved until the burst was over. Queued here instead, each writer waits
    only for those ahead of it, and a worker's transaction gets its turn among requests'.
    Writers in other processes still meet in SQLite's busy handler. A thread already
    holding the turn passes straight through (its nested write would meet SQLite's lock)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._holder: int | None = None
        self._depth = 0

    def acquire(self, timeout: float = WRITER_WAIT_S) -> bool:
        me = threading.get_ident()
        with self._lock:
            if self._holder == me:
                self._depth += 1
                return True
            if self._holder is None and not self._waiting:
                self._holder, self._depth = me, 1
                return True
            turn = threading.Event()
            self._waiting.append(turn)
        if not turn.wait(timeout):
            with self._lock:
                if not turn.is_set():
                    self._waiting.remove(turn)
                    return False
        with self._lock:  # handed over by release(): ours now
            self._holder, self._depth = me, 1
        return True

    def release(self) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth:
                return
            self._holder = None
            if self._waiting:
                self._holder = -1  # handed over: nobody else may take it meanwhile
                self._waiting.popleft().set()


_WRITERS: weakref.WeakKeyDictionary[Engine, WriterQueue] = weakref.WeakKeyDictionary()


def writer_queue(engine: Engine) -> WriterQueue | None:
    """The queue of this process's write transactions on a SQLite engine; None otherwise."""
    return _WRITERS.get(engine)


class Checkpointer:
    """Copies the WAL back into the database file after commits, in a daemon thread with
    its own connection, so that no request's commit runs the checkpoint (~10 ms every ~50
    declares when SQLite does it on commit). PASSIVE: it never waits for, nor blocks, a
    reader or a writer. The thread starts on the first commit and ends after
    CHECKPOINT_IDLE_EXIT seconds without one, so a stopped server leaves no thread behind."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def committed(self) -> None:
        self._wake.set()
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._run, name="tocsin-checkpoint", daemon=True
                    )
                    self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self._path, timeout=1, check_same_thread=False)
            while self._wake.wait(CHECKPOINT_IDLE_EXIT):
                self._wake.clear()
                time.sleep(CHECKPOINT_DELAY)
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:
            log.warning("WAL checkpoint failed; SQLite's own checkpoint takes over", exc_info=True)
        finally:
            with self._lock:
                self._thread = None
            if conn is not None:
                conn.close()
            if self._wake.is_set():  # a commit came in while the thread was ending
                self.committed()


def _sqlite_pragmas(engine: Engine, synchronous: str) -> None:
    if synchronous not in ("NORMAL", "FULL"):
        raise ValueError(f"sqlite synchronous must be NORMAL or FULL, not {synchronous!r}")

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below take over
        cur = dbapi_conn.cursor()
        if _ours_or_empty(cur):  # never switch somebody else's database to WAL
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_BACKSTOP}")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # Writers take the write lock up front, so two never deadlock upgrading a read lock;
        # readers take none (WAL lets them read beside a writer).
        read_only = conn.get_execution_options().get("tocsin_read_only", False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _ours_or_empty(cur: Any) -> bool:
    names = {row[0] for row in cur.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return not names or "alembic_version" in names


def _alembic_config(connection: Any = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_alembic_config()).get_current_head()
    assert head is not None  # noqa: S101 - the package ships its migrations
    return head


def current_revision(engine: Engine) -> str | None:
    with _connect(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ping(engine: Engine) -> None:
    """`SELECT 1`, for readiness; DatabaseUnavailable with the driver's message if it fails."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except SQLAlchemyError as exc:
        raise unavailable(exc) from exc


def unavailable(exc: SQLAlchemyError) -> DatabaseUnavailable:
    """A driver's failure as the StorageError entrypoints know how to show: its message."""
    return DatabaseUnavailable(" ".join(str(getattr(exc, "orig", exc)).split()))


HEAD = "0015_incident_facts"  # the newest migration; a test checks it against the scripts


def upgrade(engine: Engine) -> str:
    """Bring the schema to this Tocsin's head; refuse a newer or foreign database."""
    if _at_head(engine):
        return HEAD  # the common case, answered without loading Alembic's scripts
    current = _checked_revision(engine)
    head = head_revision()
    if current != head:
        with _connect(engine) as conn, conn.begin():
            command.upgrade(_alembic_config(conn), "head")
    return head


def _at_head(engine: Engine) -> bool:
    with _connect(engine) as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        found = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        return bool(found == HEAD)


def _checked_revision(engine: Engine) -> str | None:
    script = ScriptDirectory.from_config(_alembic_config())
    with _connect(engine) as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current is None:
            tables = set(inspect(conn).get_table_names())
            if tables - {"alembic_version"}:
                raise DatabaseCorrupt(
                    f"{_where(engine)} holds tables ({', '.join(sorted(tables)[:5])}) but no "
                    "Tocsin schema version; point TOCSIN_DATABASE_URL at an empty database "
                    "or a Tocsin one"
                )
            return None
    try:
        script.get_revision(current)
    except CommandError:
        raise DatabaseTooNew(
            f"{_where(engine)} was written by a newer Tocsin (schema {current}); "
            "upgrade Tocsin to use it. It is never migrated down."
        ) from None
    return current


def _connect(engine: Engine) -> Any:
    try:
        return engine.connect()
    except OperationalError as exc:
        if engine.dialect.name == "sqlite":
            raise _corrupt(engine, exc) from None
        raise DatabaseUnavailable(
            f"cannot reach {_where(engine)}: {_one_line(exc)}; check TOCSIN_DATABASE_URL"
        ) from None
    except DatabaseError as exc:
        raise _corrupt(engine, exc) from None


def _corrupt(engine: Engine, exc: DatabaseError) -> DatabaseCorrupt:
    return DatabaseCorrupt(
        f"{_where(engine)} is not a usable Tocsin database ({_one_line(exc)}); "
        "restore it from a backup or point TOCSIN_DATABASE_URL at another file. "
        "Tocsin will not overwrite it."
    )


def _where(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the database {url.render_as_string(hide_password=True)}"


def _one_line(exc: DatabaseError) -> str:
    return " ".join(str(exc.orig).split())
