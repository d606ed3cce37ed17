"""A tocsin.yaml for paging through outbound webhooks to one local receiver, shared by the
chaos test (tests/e2e/test_paging_chaos.py) and bench/paging.

Each person's only contact method is a webhook of their own (`<receiver>/<handle>`), so the
receiver's request log says whom each page was for (the path) and for which incident (the
CloudEvents `subject`) without reading Tocsin's tables. The one step is due at once
(`after: 0m`): separate worker processes share no injected clock.
"""

from __future__ import annotations

from typing import Any

import yaml

from tocsin.config import render_preset

PEOPLE = ("ann", "bob")  # ann through the schedule, bob named by the step


def paging_config(receiver_url: str, people: tuple[str, ...] = PEOPLE) -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load(render_preset("p1-p4"))
    config["people"] = [
        {
            "handle": who,
            "name": who.title(),
            "contact_methods": [{"kind": "webhook", "address": who}],
        }
        for who in people
    ]
    layer = {"name": "all", "people": [people[0]], "rotation": "daily", "handoff": "00:00",
             "start": "2026-01-05"}  # fmt: skip
    config["schedules"] = [{"name": "primary", "time_zone": "UTC", "layers": [layer]}]
    targets = ["schedule:primary", *(f"person:{who}" for who in people[1:])]
    config["escalation"] = {
        "policies": [{"name": "now", "steps": [{"after": "0m", "notify": targets}]}],
        "default_policy": "now",
    }
    config["notifiers"] = {"webhooks": {who: {"url": f"{receiver_url}/{who}"} for who in people}}
    return config


def paging_yaml(receiver_url: str, people: tuple[str, ...] = PEOPLE) -> str:
    return yaml.safe_dump(paging_config(receiver_url, people), allow_unicode=True)
