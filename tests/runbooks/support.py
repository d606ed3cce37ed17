"""Runbook fixtures shared by the runbook tests: the seeds (skipped where absent) and our own."""

from __future__ import annotations

from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

OWN = """\
---
title: API errors
services: [api, worker]
severities: [P1, P2]
triggers: [api]
variables:
  API_ID: the REST API id
---

# API errors

Check the basics first.

## Look

```bash {name="Health" timeout=5}
echo "health of $SERVICE for $INCIDENT_ID"
```

```sh
git log --oneline -n 3 2>/dev/null || true
```

## Fix

- [ ] Tell the channel
- [x] Open the dashboard

```bash {kind=mitigation}
echo "throttling $API_ID"
```

```
plain text, not a step: rm -rf /
```
"""


def seed(marker: str) -> str:
    """The raw text of the seed containing `marker` (its first line is enough)."""
    if not SEEDS.is_dir():
        pytest.skip(f"no seed runbooks at {SEEDS}")
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if marker in text:
            return text
    pytest.skip(f"no seed in {SEEDS} contains {marker!r}")


def modax() -> str:
    return seed("Incident Response Workflow for ModAx")


def saas() -> str:
    return seed("## When to Use")
