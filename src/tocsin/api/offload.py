"""Where a route runs a read-model query (the incident list and page as stored JSON).

SQLite reads are a few hundred microseconds of local work: a hop to a thread and back costs
more than it saves, so they run inline, on the event loop. A server database answers over the
network: there the loop must not wait, so the read goes to the event loop's own executor (a
handful of threads, ended with the loop), not anyio's 40. So only as many connections are
busy as the database can serve from this process (`store/reads.py` keeps 8), none is opened
and closed per burst, and fewer threads fight for the GIL.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from tocsin.bootstrap import Tocsin

T = TypeVar("T")
A = TypeVar("A")


async def read_model(tocsin: Tocsin, read: Callable[[A], T], arg: A) -> T:
    if tocsin.engine.dialect.name == "sqlite":
        return read(arg)
    return await asyncio.get_running_loop().run_in_executor(None, read, arg)
