"""Waking workers on PostgreSQL: a dedicated connection LISTENing on `tocsin_jobs`.

`SqlJobRepository.schedule` sends `NOTIFY tocsin_jobs` in the scheduling transaction, so the
notification arrives at COMMIT and a sleeping worker claims a job due now at once instead of
at its next poll. Notifications sent while this connection is down are lost; `wait` then
answers True on reconnecting, and the worker looks for due jobs itself.

A notification whose payload is `skip` (the token of the JobSignal this listener's worker also
listens to) came from a commit that woke that worker in-process already: it is passed over,
so one commit costs the worker one claim, not two.
"""

from __future__ import annotations

import logging
import time

import psycopg
from sqlalchemy.engine import make_url

from tocsin.app.errors import DatabaseUnavailable
from tocsin.store.jobs import CHANNEL

log = logging.getLogger(__name__)
CONNECT_TIMEOUT_S = 5


class PgJobWakeups:
    def __init__(self, url: str, skip: str | None = None) -> None:
        self._conninfo = (
            make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._skip = skip or None

    def wait(self, timeout_s: float) -> bool:
        """True when a job was scheduled (or the connection was made anew) within the
        timeout; raises DatabaseUnavailable when PostgreSQL cannot be reached."""
        try:
            if self._conn is None:
                self._connect()
                return True
            deadline = time.monotonic() + timeout_s
            while True:  # looks at least once, even with no time left
                left = max(0.0, deadline - time.monotonic())
                # All of one packet's notifications: leaving the generator early drops the
                # rest of them.
                notes = list(self._conn.notifies(timeout=left, stop_after=1))
                if not notes:
                    return False  # the timeout, and nothing
                if any(note.payload != self._skip for note in notes):
                    return True
                if left == 0:  # only commits that woke the worker in-process already
                    return False
        except psycopg.Error as exc:
            self.close()
            reason = " ".join(str(exc).split())
            raise DatabaseUnavailable(f"job notifications: {reason}") from None

    def _connect(self) -> None:
        conn = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        try:
            conn.execute(f"LISTEN {CHANNEL}")
        except BaseException:
            conn.close()  # never left for the garbage collector to find open
            raise
        self._conn = conn
        log.info("listening for jobs on %s", CHANNEL)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except psycopg.Error:
                log.debug("closing the LISTEN connection failed", exc_info=True)
