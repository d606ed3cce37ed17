"""What `tocsin config check` warns about beyond validity: people nobody can reach, and gaps
in a schedule's coverage in the coming days. The file still loads (a business-hours-only
schedule has gaps on purpose); `config check --strict` fails on them.

Overrides made at run time live in the database: `tocsin oncall check` counts them too.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime, timedelta
from pathlib import Path

from tocsin.config.problems import ConfigProblem, format_field
from tocsin.config.schema import TocsinConfig
from tocsin.config.yamlsource import YamlProblems, parse_yaml
from tocsin.core.oncall import gaps, utc_to_wall, zone_of

AHEAD = timedelta(days=30)
Lines = Mapping[tuple[Hashable, ...], int]


def reachability_warnings(config: TocsinConfig, lines: Lines, now: datetime) -> list[ConfigProblem]:
    """A warning for each person without a contact method, and for each schedule with a gap
    in its coverage between `now` and 30 days later (naming the first gap)."""
    found = []
    for i, person in enumerate(config.people):
        if not person.contacts():
            found.append(
                _at(
                    lines,
                    ("people", i),
                    f"{person.handle} has no contact method, so no page can reach them; add "
                    "email, slack, telegram, phone or contact_methods",
                )
            )
    holidays = [p.to_core().holiday for p in config.people if p.on_holiday is not None]
    for i, schedule in enumerate(config.schedules):
        core = schedule.to_core()
        holes = gaps(core, [], now, now + AHEAD, [h for h in holidays if h is not None])
        if holes:
            zone = zone_of(core.zone)
            start, end = (utc_to_wall(zone, t).strftime("%a %Y-%m-%d %H:%M") for t in holes[0])
            more = f" and {len(holes) - 1} more" if len(holes) > 1 else ""
            found.append(
                _at(
                    lines,
                    ("schedules", i),
                    f"nobody is on call from {start} to {end} ({core.zone}){more} in the next "
                    f"{AHEAD.days} days; add a layer or an override, or widen the restrictions",
                )
            )
    return sorted(found, key=lambda p: p.line or 0)


def _at(lines: Lines, loc: tuple[Hashable, ...], message: str) -> ConfigProblem:
    return ConfigProblem(lines.get(loc), format_field(loc), message)


def lines_of(path: Path) -> Lines:
    """The line of each key and list item of a file that already loaded."""
    try:
        return parse_yaml(path.read_text(encoding="utf-8-sig")).lines
    except (OSError, UnicodeDecodeError, YamlProblems):
        return {}
