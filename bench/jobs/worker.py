"""`tocsin worker` with one more job kind: `bench.record` (bench/jobs/records.py).

    TOCSIN_CONFIG=... TOCSIN_DATABASE_URL=... TOCSIN_BENCH_RECORDS=DIR \\
        python bench/jobs/worker.py [tocsin worker options, e.g. --lease 3]

The CLI command itself runs (its options, signals, logging, `Worker.wired`): this script only
builds the app the CLI would (`local_app()`, cached for the command) and registers the kind
on its job runner first, so no benchmark code lives in src/. With TOCSIN_BENCH_PRODUCE set to
JSON `{"rate": 100, "seconds": 30, "go": PATH, "out": PATH}`, a thread of this process waits
for the file `go` (holding the start, epoch s), then schedules jobs at that rate
(bench/jobs/producer.py), as `tocsin serve` would beside its in-process worker, and writes
what it managed to `out`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.jobs import producer  # noqa: E402
from bench.jobs.records import EFFECT_ENV, KIND, RECORDS_ENV, Recorder  # noqa: E402
from tocsin.cli.common import local_app  # noqa: E402
from tocsin.cli.main import app  # noqa: E402


def main(argv: list[str]) -> None:
    tocsin = local_app()  # the instance `tocsin worker` will use
    runner = tocsin.job_runner
    effect = os.environ.get(EFFECT_ENV) == "1"
    recorder = Recorder(Path(os.environ[RECORDS_ENV]), lambda: runner.lease, effect)
    runner.handlers.register(KIND, recorder)
    spec = os.environ.get(producer.PRODUCE_ENV)
    if spec:
        settings = json.loads(spec)
        go = Path(settings["go"])

        def run() -> None:
            while not go.exists():
                time.sleep(0.05)
            start = float(go.read_text())
            found = producer.produce(tocsin, settings["rate"], settings["seconds"], start)
            Path(settings["out"]).write_text(json.dumps(found))

        threading.Thread(target=run, name="bench-producer", daemon=True).start()
    app(["worker", *argv], prog_name="tocsin")


if __name__ == "__main__":
    main(sys.argv[1:])
