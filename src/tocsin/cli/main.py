"""The `tocsin` command: one Typer app assembled from the command modules."""

from __future__ import annotations

import typer

from tocsin import __version__
from tocsin.cli import (
    accounts,
    action_items,
    actions,
    admin,
    alerting,
    incidents,
    jobs,
    oncall,
    paging,
    postmortems,
    queries,
    reloading,
    report,
    runbooks,
    server,
)

app = typer.Typer(
    name="tocsin",
    help="Tocsin: run an incident from the first alert to the last post-mortem action item.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
for group in (
    admin.commands,
    incidents.commands,
    queries.commands,
    server.commands,
    jobs.commands,
    reloading.commands,
):
    app.registered_commands.extend(group.registered_commands)
app.add_typer(admin.config_commands, name="config")
app.add_typer(admin.db_commands, name="db")
app.add_typer(accounts.user_commands, name="user")
app.add_typer(accounts.token_commands, name="token")
app.add_typer(alerting.integration_commands, name="integration")
app.add_typer(alerting.alert_commands, name="alert")
app.add_typer(alerting.silence_commands, name="silence")
app.add_typer(alerting.maintenance_commands, name="maintenance")
app.add_typer(jobs.job_commands, name="jobs")
app.add_typer(oncall.oncall_commands, name="oncall")
app.add_typer(paging.page_commands, name="page")
app.add_typer(runbooks.runbook_commands, name="runbook")
app.add_typer(runbooks.audit_commands, name="audit")
app.add_typer(actions.action_commands, name="action")
app.add_typer(postmortems.postmortem_commands, name="postmortem")
app.add_typer(action_items.action_items_commands, name="actions")
app.add_typer(report.report_commands, name="report")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"tocsin {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Tocsin: incident response."""


def main() -> None:
    app()
