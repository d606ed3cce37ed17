"""Throwaway PostgreSQL servers for the test suite.

``running_postgres`` starts a private server (its own data directory under a fresh
temporary directory, a free TCP port on 127.0.0.1, its Unix socket beside the data
directory, never the system's ``/var/run/postgresql``), yields a SQLAlchemy URL for an
empty ``tocsin_test`` database, and on exit stops the server and deletes its files, also
when the body raises. ``fresh_database`` drops and re-creates a database on such a server.

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
``postgres`` system user that Debian's ``postgresql`` package creates.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import TupleRow
from sqlalchemy.engine import URL, make_url

SUPERUSER = "tocsin"
TEST_DATABASE = "tocsin_test"
READY_TIMEOUT_S = 30.0
SYSTEM_USER = "postgres"
"""The account the server runs as when the tests run as root."""

_LOG_TAIL_LINES = 40
_PORT_ATTEMPTS = 3


def find_pg_bindir() -> Path:
    """The directory holding ``initdb`` and ``pg_ctl``.

    The newest ``/usr/lib/postgresql/N/bin`` (Debian's layout), else wherever ``initdb`` is
    on PATH.
    """
    found: list[tuple[tuple[int, ...], Path]] = []
    for initdb in Path("/usr/lib/postgresql").glob("*/bin/initdb"):
        version = tuple(int(part) for part in re.findall(r"\d+", initdb.parent.parent.name))
        found.append((version, initdb.parent))
    if found:
        return max(found)[1]
    initdb_on_path = shutil.which("initdb")
    if initdb_on_path is not None:
        bindir = Path(initdb_on_path).parent
        if (bindir / "pg_ctl").exists():
            return bindir
    raise RuntimeError(
        "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin "
        "or on PATH; run scripts/install-system-deps.sh (Debian package: postgresql)"
    )


@contextlib.contextmanager
def running_postgres(tmp_dir: Path) -> Iterator[str]:
    """Run a throwaway PostgreSQL server for the duration of the ``with`` block.

    Yields ``postgresql+psycopg://tocsin@127.0.0.1:PORT/tocsin_test``: user ``tocsin`` is
    a superuser and needs no password. The server's files live in a private temporary
    directory (pytest's ``tmp_path`` may be unreadable to the ``postgres`` user); on exit
    the server log is copied to ``tmp_dir / "postgres.log"`` for post-mortems and the
    files are deleted. Raises ``RuntimeError`` with the server log's tail if the server
    does not start.
    """
    server = _Server(find_pg_bindir())
    try:
        server.start()
        yield _url(server.port, TEST_DATABASE)
    finally:
        try:
            server.stop()
        finally:
            server.cleanup(keep_log_in=tmp_dir)


def fresh_database(admin_url: str, name: str) -> str:
    """Drop (if present) and create database ``name``; return its SQLAlchemy URL.

    ``admin_url`` is any URL of the server as a superuser, such as the one
    ``running_postgres`` yields; the work is done from the ``postgres`` database, and
    sessions still connected to the old database are terminated.
    """
    if name == "postgres":
        raise ValueError("refusing to re-create the 'postgres' maintenance database")
    url = make_url(admin_url)
    with _admin_connection(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url.set(database=name).render_as_string(hide_password=False)


def _url(port: int, database: str) -> str:
    return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"


def _admin_connection(url: URL) -> psycopg.Connection[TupleRow]:
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname="postgres",
        autocommit=True,
        connect_timeout=10,
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    """The environment without libpq/server variables (PGDATA, PGPORT, ...) that would
    redirect pg_ctl or initdb."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


def _process_alive(pid: int) -> bool:
    """Whether ``pid`` is running; a zombie (nobody reaped it yet) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


class _Server:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.run_as: str | None = None
        if os.geteuid() == 0:
            self.run_as = SYSTEM_USER
            try:
                account = pwd.getpwnam(SYSTEM_USER)
            except KeyError:
                raise RuntimeError(
                    f"running as root, and PostgreSQL refuses to: the tests run it as the "
                    f"{SYSTEM_USER!r} user, which does not exist (Debian's postgresql package "
                    f"creates it)"
                ) from None
            if shutil.which("runuser") is None:
                raise RuntimeError("running as root, but runuser (util-linux) is not on PATH")
            # /tmp, not TMPDIR: every ancestor must be traversable by the postgres user,
            # and the socket path must stay well under the 107-byte limit.
            self.base = Path(tempfile.mkdtemp(prefix="tocsin-pg-", dir="/tmp"))
            os.chown(self.base, account.pw_uid, account.pw_gid)
        else:
            self.base = Path(tempfile.mkdtemp(prefix="tocsin-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = 0

    def _run(self, program: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as is not None else []
        return subprocess.run(
            [*prefix, str(self.bindir / program), *args],
            cwd=self.base,
            env=_clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def _log_tail(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()
        except OSError as exc:
            return f"(no server log: {exc})"
        return "\n".join(lines[-_LOG_TAIL_LINES:])

    def _postmaster_pid(self) -> int | None:
        try:
            first_line = (self.data / "postmaster.pid").read_text().split("\n", 1)[0]
            return int(first_line)
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        initdb = self._run(
            "initdb",
            "--pgdata",
            str(self.data),
            "--auth",
            "trust",
            "--username",
            SUPERUSER,
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
            timeout=120,
        )
        if initdb.returncode != 0:
            raise RuntimeError(
                f"initdb failed (exit {initdb.returncode}):\n{initdb.stdout}\n{initdb.stderr}"
            )
        socket_dir = str(self.base).replace("'", "''")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# tocsin test server\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{socket_dir}'\n"
                "max_connections = 100\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
            )

        for attempt in range(1, _PORT_ATTEMPTS + 1):
            self.port = _free_port()
            started = self._run(
                "pg_ctl",
                "--pgdata",
                str(self.data),
                "--log",
                str(self.log),
                "--options",
                f"-p {self.port}",
                "--wait",
                "--timeout",
                str(int(READY_TIMEOUT_S)),
                "start",
                timeout=READY_TIMEOUT_S + 30,
            )
            if started.returncode == 0:
                break
            log_tail = self._log_tail()
            # Another process may have taken the port between our probe and the bind.
            if "could not bind" in log_tail and attempt < _PORT_ATTEMPTS:
                self.stop()
                continue
            raise RuntimeError(
                f"PostgreSQL did not start (pg_ctl exit {started.returncode}):\n"
                f"{started.stdout}{started.stderr}\n"
                f"--- last lines of {self.log} ---\n{log_tail}"
            )

        self._wait_until_accepting()
        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=SUPERUSER,
            dbname="postgres",
            autocommit=True,
            connect_timeout=10,
        ) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEST_DATABASE)))

    def _wait_until_accepting(self) -> None:
        """pg_ctl --wait already waited; this makes sure TCP connections work too."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            try:
                psycopg.connect(
                    host="127.0.0.1",
                    port=self.port,
                    user=SUPERUSER,
                    dbname="postgres",
                    connect_timeout=5,
                ).close()
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"PostgreSQL on port {self.port} did not accept connections within "
                        f"{READY_TIMEOUT_S:.0f} s: {exc}\n"
                        f"--- last lines of {self.log} ---\n{self._log_tail()}"
                    ) from exc
                time.sleep(0.1)
            else:
                return

    def stop(self) -> None:
        """Stop the server if it runs; never leaves a postmaster behind."""
        pid = self._postmaster_pid()
        if pid is None:
            return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._run(
                "pg_ctl",
                "--pgdata",
                str(self.data),
                "--mode",
                "immediate",
                "--wait",
                "--timeout",
                "30",
                "stop",
                timeout=40,
            )
        if _process_alive(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while _process_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        # Safe to remove now: a later start must not mistake it for a running server.
        with contextlib.suppress(FileNotFoundError):
            (self.data / "postmaster.pid").unlink()

    def cleanup(self, keep_log_in: Path) -> None:
        with contextlib.suppress(OSError):
            shutil.copyfile(self.log, keep_log_in / "postgres.log")
        shutil.rmtree(self.base, ignore_errors=True)
