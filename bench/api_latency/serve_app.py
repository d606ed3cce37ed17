"""Serve Tocsin for the benchmark, as `tocsin serve` does.

    python bench/api_latency/serve_app.py --config C --database-url U --port P --token-file F \
        [--workers N] [--preset p1-p4] [--role responder]

With --preset, first writes that preset's config to --config (rendered by the tocsin being
served, which run.py may take from another checkout). Wires the app with
`tocsin.bootstrap.build` (migrations applied), creates an API token (viewer by default;
run.py asks for a responder, whose writes the open-loop mode makes) and writes its secret to
--token-file (mode 0600, written then renamed, so a reader never sees half of it), then runs
uvicorn with the settings of `tocsin serve` (src/tocsin/cli/server.py):
JSON log lines from the request middleware (to stderr, which run.py sends to a file), no
uvicorn access log, the garbage collector settled after start-up, and with --workers N that
many worker processes, each wiring its own app with `tocsin.api.asgi:worker_app`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from tocsin.api.app import create_app
from tocsin.api.asgi import settle
from tocsin.api.logs import configure_logging
from tocsin.bootstrap import build
from tocsin.config import render_preset


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", type=Path, required=True)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--preset", help="write this preset's config to --config first")
    parser.add_argument("--role", default="viewer", choices=("viewer", "responder", "admin"))
    args = parser.parse_args(argv)

    if args.preset:
        args.config.write_text(render_preset(args.preset), encoding="utf-8")

    env = {"TOCSIN_CONFIG": str(args.config), "TOCSIN_DATABASE_URL": args.database_url}
    os.environ.update(env)  # what the worker processes read
    tocsin = build(env=env, cwd=args.config.parent)
    _, secret = tocsin.accounts.create_token("api-latency bench", args.role, "bench")
    partial = args.token_file.with_name(args.token_file.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret)
    partial.replace(args.token_file)
    configure_logging()
    settings = {"log_config": None, "access_log": False, "host": "127.0.0.1", "port": args.port}
    if args.workers > 1:
        tocsin.engine.dispose()
        uvicorn.run("tocsin.api.asgi:worker_app", factory=True, workers=args.workers, **settings)
    else:
        app = create_app(tocsin)
        settle()
        uvicorn.run(app, **settings)


if __name__ == "__main__":
    main()
