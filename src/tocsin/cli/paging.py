"""`tocsin page test PERSON`: a test page through each of PERSON's contact methods;
`--status` shows the last delivered test of each method and whether it was acknowledged."""

from __future__ import annotations

from typing import Annotated

import typer

from tocsin.app.pagetests import MethodTest, method_test_json, notice_json
from tocsin.cli import common
from tocsin.cli.common import ActorOpt, JsonOpt, actor, handled, out, print_json
from tocsin.core.notify import ContactMethod
from tocsin.core.timeline import iso

page_commands = typer.Typer(help="Test pages: prove each contact method reaches its person.")


@page_commands.command("test")
@handled
def page_test(
    person: Annotated[str, typer.Argument(help="A handle from people: in tocsin.yaml.")],
    status: Annotated[
        bool, typer.Option("--status", help="Show the last tests instead of sending one.")
    ] = False,
    as_: ActorOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Send a test page through each of PERSON's contact methods (as jobs: `tocsin serve` or
    `tocsin worker` sends them), each with an acknowledge link; or, with --status, show the
    last delivered test of each method and when it was acknowledged."""
    tests = common.app().page_tests
    if status:
        found = tests.status(person)
        if as_json:
            print_json([method_test_json(t) for t in found])
            return
        for line in _status_lines(found):
            out.print(line, markup=False)
        return
    made = tests.start(person, actor(as_))
    if as_json:
        print_json([notice_json(n) for n in made])
        return
    methods = ", ".join(_how(n.method) for n in made)
    pages = "test page" if len(made) == 1 else "test pages"
    out.print(f"[green]✔[/green] {len(made)} {pages} queued for {made[0].person}: ", end="")
    out.print(methods, markup=False)
    out.print(f"The worker sends them; see `tocsin page test {made[0].person} --status`.")


def _how(method: ContactMethod) -> str:
    label = f" ({method.label})" if method.label else ""
    return f"{method.kind.value}{label} {method.address}"


def _status_lines(found: list[MethodTest]) -> list[str]:
    lines = []
    for t in found:
        if t.delivered is None:
            state = "never delivered"
        else:
            ack = t.delivered.acknowledged_at
            state = f"delivered {iso(t.delivered.sent_at)}, " + (
                f"acknowledged {iso(ack)} via {t.delivered.acknowledged_via}"
                if ack
                else "not acknowledged"
            )
        if t.last is not None and (t.delivered is None or t.last.id != t.delivered.id):
            detail = f" ({t.last.detail})" if t.last.detail else ""
            state += f"; last test {iso(t.last.created_at)}: {t.last.status.value}{detail}"
        lines.append(f"{t.person}\t{_how(t.method)}\t{state}")
    return lines
