"""Where one request's time goes, stage by stage, in-process and single-threaded.

    .venv/bin/python bench/api_latency/breakdown.py [--database-url URL] [--repeat 200]

Without --database-url it uses the SQLite seed that run.py caches (run it once first). Each
stage is what the list page (GET /api/v1/incidents?limit=50) or the incident page
(GET /api/v1/incidents/INC-n) does, timed alone as the median of --repeat runs; the stages add
up to the server's CPU per request that run.py reports, less the HTTP and framework floor
(/healthz) and the thread hand-offs. Incidents for the incident page are drawn at random, as
run.py does; the mean is what throughput pays, the median a typical (smaller) incident.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.api_latency import seed  # noqa: E402
from tocsin.app.ports import IncidentFilter  # noqa: E402
from tocsin.app.views import incident_json  # noqa: E402
from tocsin.bootstrap import build  # noqa: E402
from tocsin.config import render_preset  # noqa: E402
from tocsin.store.tables import counters, incidents  # noqa: E402
from tocsin.store.uow import SqlUnitOfWork  # noqa: E402


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Mean and median milliseconds of `fn()` (the mean is what throughput pays)."""
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.mean(samples) * 1000, statistics.median(samples) * 1000


def response_model_cost(model_name: str) -> Callable[[Any], object] | None:
    """Validate + serialize as FastAPI does for a `response_model`, if the API declares one."""
    try:
        from pydantic import TypeAdapter

        from tocsin.api import models
    except ImportError:
        return None
    model = getattr(models, model_name, None)
    if model is None:
        return None
    adapter: TypeAdapter[Any] = TypeAdapter(model)
    return lambda data: adapter.dump_json(adapter.validate_python(data))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args(argv)
    url = args.database_url
    if url is None:
        cached = sorted((ROOT / ".bench" / "api_latency").glob("seed-v*.db"))
        if not cached:
            sys.exit("no cached SQLite seed: run bench/api_latency/run.py first")
        url = f"sqlite:///{cached[-1]}"
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "tocsin.yaml"
        config.write_text(render_preset(seed.PRESET), encoding="utf-8")
        env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": url}
        tocsin = build(env=env, cwd=Path(tmp), migrate=False)
        report(tocsin, args.repeat)
        tocsin.engine.dispose()


def report(tocsin: Any, repeat: int) -> None:
    engine = tocsin.engine
    service = tocsin.incidents
    query = IncidentFilter(limit=50)
    rng = random.Random(1)  # noqa: S311 - not a secret
    numbers = [rng.randint(1, seed.INCIDENTS) for _ in range(repeat + 1)]
    it = iter(numbers * 2)
    rows: list[tuple[str, tuple[float, float]]] = []

    def uow_only() -> None:
        with SqlUnitOfWork(engine):
            pass

    def token_lookup() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.accounts.token_by_hash("0" * 64)

    def find_only() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.incidents.find(query)

    def count_only() -> None:
        with SqlUnitOfWork(engine) as uow:
            uow.incidents.count(query)

    page = service.find(query)
    items = [incident_json(i) for i in page.items]
    body = {"items": items, "total": page.total, "limit": 50, "offset": 0}
    rows.append(("one unit of work (connect, BEGIN, ROLLBACK)", timed(uow_only, repeat)))
    rows.append(("token lookup (own unit of work), per request", timed(token_lookup, repeat)))
    rows.append(("list: find 50 (query + JSON decode + from_dict)", timed(find_only, repeat)))
    rows.append(("list: count(*) of all incidents", timed(count_only, repeat)))
    rows.append(
        ("list: IncidentService.find (both, one UoW)", timed(lambda: service.find(query), repeat))
    )
    rows.append(
        ("list: incident_json x50", timed(lambda: [incident_json(i) for i in page.items], repeat))
    )
    rows.append(("list: json.dumps of the page", timed(lambda: json.dumps(body), repeat)))
    check = response_model_cost("IncidentPage")
    if check is not None:
        rows.append(
            ("list: response_model validate + dump_json", timed(lambda: check(body), repeat))
        )

    def raw_list() -> bytes:
        """What-if: the stored public JSON spliced into the body as it is, total from the
        counter (incidents are never deleted), no Incident objects, no validation."""
        with SqlUnitOfWork(engine) as uow:
            conn = uow.incidents._conn
            stmt = select(incidents.c.public).order_by(incidents.c.number.desc()).limit(50)
            items = conn.execute(stmt).scalars().all()
            total = conn.execute(
                select(counters.c.value).where(counters.c.name == "incident")
            ).scalar_one()
        return f'{{"items":[{",".join(items)}],"total":{total},"limit":50,"offset":0}}'.encode()

    json.loads(raw_list())
    rows.append(("what-if list: stored public JSON + counter, one UoW", timed(raw_list, repeat)))

    rows.append(("incident: service.get (own UoW)", timed(lambda: service.get(next(it)), repeat)))
    rows.append(
        (
            "incident: service.timeline (own UoW, get again)",
            timed(lambda: service.timeline(next(it)), repeat),
        )
    )
    sizes = []
    detail_bodies = []
    for n in numbers[:50]:
        detail = incident_json(service.get(n), service.timeline(n))
        detail_bodies.append(detail)
        sizes.append(len(json.dumps(detail)))
    loaded = [(service.get(n), service.timeline(n)) for n in numbers[:50]]
    cycle = iter(loaded * (repeat + 2))
    rows.append(
        (
            "incident: incident_json with timeline",
            timed(lambda: incident_json(*next(cycle)), repeat),
        )
    )
    bodies = iter(detail_bodies * (repeat + 2))
    rows.append(("incident: json.dumps", timed(lambda: json.dumps(next(bodies)), repeat)))
    check = response_model_cost("IncidentDetail")
    if check is not None:
        bodies = iter(detail_bodies * (repeat + 2))
        rows.append(
            (
                "incident: response_model validate + dump_json",
                timed(lambda: check(next(bodies)), repeat),
            )
        )

    print(f"{engine.dialect.name}: {repeat} runs each, one thread, no HTTP")
    print(f"(incident pages sampled: mean {statistics.mean(sizes) / 1000:.1f} kB of JSON)")
    print("     mean   median")
    for name, (mean, median) in rows:
        print(f"  {mean:7.3f} {median:7.3f} ms  {name}")


if __name__ == "__main__":
    main()
