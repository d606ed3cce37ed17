"""Serve Tocsin for the benchmark, as `tocsin serve` does: one uvicorn worker process.

    python bench/api_latency/serve_app.py --config C --database-url U --port P --token-file F

Wires the app with `tocsin.bootstrap.build` (migrations applied), creates a viewer API token
and writes its secret to --token-file (mode 0600, written then renamed, so a reader never sees
half of it), then runs uvicorn with the same settings as `tocsin serve`.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from tocsin.api.app import create_app
from tocsin.bootstrap import build


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token-file", type=Path, required=True)
    args = parser.parse_args(argv)

    env = {"TOCSIN_CONFIG": str(args.config), "TOCSIN_DATABASE_URL": args.database_url}
    tocsin = build(env=env, cwd=args.config.parent)
    _, secret = tocsin.accounts.create_token("api-latency bench", "viewer", "bench")
    partial = args.token_file.with_name(args.token_file.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secret)
    partial.replace(args.token_file)
    # The settings of `tocsin serve` (src/tocsin/cli/server.py): one process, access log on.
    uvicorn.run(create_app(tocsin), host="127.0.0.1", port=args.port, log_level="info")


if __name__ == "__main__":
    main()
