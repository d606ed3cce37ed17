"""A tocsin.yaml with people and schedules, and the app wired on it, for the on-call tests."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import FAST_HASHER
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin, build
from tocsin.config import render_preset

ONCALL_YAML = """\
people:
  - handle: ann
    name: Ann Example
    email: ann@example.com
    phone: "+49 170 1234567"
  - handle: bob
    name: Bob Example
    slack: U0BOB1234
  - handle: cid
    name: Cid Nocontact
schedules:
  - name: primary
    time_zone: Europe/Berlin
    layers:
      - people: [ann, bob]
        rotation: daily
        handoff: "09:00"
        start: 2026-01-01
  - name: business
    time_zone: America/New_York
    layers:
      - people: [cid]
        rotation: weekly
        start: 2026-01-05
        restrictions: [{days: [mon-fri], from: "09:00", to: "17:00"}]
"""


def oncall_config(preset: str = "p1-p4") -> str:
    """A preset with people and two schedules: `primary` covers every hour (ann and bob,
    daily at 09:00 Berlin time); `business` only weekdays 9 to 5 in New York, by cid, who
    has no contact method."""
    return render_preset(preset) + ONCALL_YAML


def wire(directory: Path, database_url: str, clock: ManualClock | None, text: str) -> Tocsin:
    config = directory / "tocsin.yaml"
    config.write_text(text, encoding="utf-8")
    env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": database_url}
    return build(env=env, cwd=directory, clock=clock, hasher=FAST_HASHER)
