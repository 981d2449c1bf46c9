"""Commands of the always-on side: ``run`` and ``alerts``."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table
from rich.text import Text

from reports.alerting import send_test
from reports.channels import ChannelError
from storage.alerting import recent_alerts
from umot.cli import AppContext, pass_app
from umot.console import console, err_console
from umot.runner import AlreadyRunning, CycleReport, RunLock, Runner, Shutdown


def _print_cycle(report: CycleReport) -> None:
    collected = sum(r.inserted for r in report.collected)
    parts = [f"collected {collected:,} new", f"classified {report.classified:,}"]
    if report.alerts is not None:
        delivered = sum(report.alerts.delivered.values())
        parts.append(f"{report.alerts.new:,} new alerts, {delivered:,} deliveries")
    if report.weekly_report is not None:
        parts.append(f"weekly report written to {report.weekly_report}")
    line = Text(f"[{report.started:%Y-%m-%d %H:%M:%S} UTC] cycle: " + ", ".join(parts))
    console.print(line)
    for source in report.collected:
        if source.error:
            err_console.print(Text(f"  source {source.source}: {source.error}", style="red"))
    for why in report.skipped:
        err_console.print(Text(f"  skipped: {why}", style="yellow"))
    for step, error in report.errors.items():
        err_console.print(Text(f"  {step} failed: {error} (retried next cycle)", style="red"))
    if report.alerts is not None:
        for channel, error in report.alerts.failed.items():
            err_console.print(Text(f"  channel {channel}: {error} (retried)", style="red"))


@click.command()
@click.option("--once", is_flag=True, help="Run one cycle and exit (exit 1 if a step failed).")
@pass_app
def run(app: AppContext, once: bool) -> None:
    """Collect, classify and alert every `schedule.every_minutes` minutes, until stopped.

    SIGINT or SIGTERM stop it cleanly: the batch in flight is stored, an alert being sent
    is recorded first, and the next start carries on from there. Only one `umot run`
    works on a database at a time.
    """
    config = app.config
    db = app.open_db(create=True)
    shutdown = Shutdown()
    shutdown.install()
    runner = Runner(
        db, config, shutdown=shutdown, console_print=lambda text: console.print(Text(text))
    )
    try:
        with RunLock(app.database_path):
            if once:
                report = runner.cycle()
                _print_cycle(report)
                if not report.ok:
                    sys.exit(1)
                return
            console.print(
                f"umot runs every {config.schedule.every_minutes} min on {app.database_path}; "
                "Ctrl-C or SIGTERM stops it."
            )
            streams = [n for n, c in config.enabled_sources().items() if c.streaming]
            if streams:
                console.print(f"Listening all the time to: {', '.join(streams)}.")
            runner.forever(_print_cycle, app.database_path)
    except AlreadyRunning as error:
        raise click.ClickException(str(error)) from None
    except KeyboardInterrupt:
        err_console.print("Stopped cleanly; the next run continues where this one stopped.")


@click.group(invoke_without_command=True)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def alerts(ctx: click.Context, limit: int, as_json: bool) -> None:
    """List recent alerts, newest first, with their delivery per channel.

    `umot alerts test CHANNEL` sends a test message through one configured channel.
    """
    if ctx.invoked_subcommand is not None:
        return
    app: AppContext = ctx.obj
    rows = recent_alerts(app.open_db(), limit) if app.database_path.exists() else []
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not rows:
        console.print("No alerts yet.")
        return
    table = Table(title="Recent alerts")
    for column in ("id", "when", "rule", "brand", "alert", "delivery"):
        table.add_column(column, justify="right" if column == "id" else "left")
    for row in rows:
        style = "red" if row["severity"] == "critical" else "yellow"
        table.add_row(
            str(row["id"]),
            row["created_at"],
            row["rule"],
            Text(row["brand"] or "-"),
            Text(row["message"], style=style),
            Text(
                row["deliveries"] or ("waiting (cool-down)" if row["released_at"] is None else "-")
            ),
        )
    console.print(table)


@alerts.command("test")
@click.argument("channel")
@pass_app
def alerts_test(app: AppContext, channel: str) -> None:
    """Send a test message through CHANNEL (a name under [alerts.channels])."""
    channels = app.config.alerts.channels
    if channel not in channels:
        raise click.ClickException(
            f"no channel named {channel!r}; configured: {', '.join(channels)}"
        )
    try:
        send_test(app.config, channel, console_print=lambda text: console.print(Text(text)))
    except ChannelError as error:
        raise click.ClickException(str(error)) from None
    console.print(f"Test message sent through {channel!r}.")
