"""``beaconlake run``, ``confirm`` and ``build``: the pipeline's writers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from beaconlake.cli.options import (
    DAY,
    DB,
    TARGET,
    VAR,
    WORKERS,
    Progress,
    exported_line,
    say,
    wait_option,
)
from beaconlake.cli.results import incidents_table

if TYPE_CHECKING:
    import pandas as pd

    from beaconlake.pipeline import ConfirmResult, Window


@click.command()
@click.option(
    "--input",
    "input_path",
    required=True,
    help="Input contract: a simulate --out folder, an events folder or a Parquet glob.",
)
@TARGET
@DB
@click.option(
    "--start",
    type=DAY,
    help="First day (default: the input's first event_date).",
)
@click.option(
    "--end",
    type=DAY,
    help="Last day, inclusive (default: the input's last event_date).",
)
@WORKERS
@VAR
@click.option(
    "--top",
    type=click.IntRange(0),
    default=15,
    show_default=True,
    help="Open incidents to print at the end, as `beaconlake findings` lists them.",
)
@wait_option(0, "another run: 0 fails at once")
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB only: then copy the published marts to this file for BI tools (see export).",
)
def run(
    input_path: str,
    target: str,
    db_path: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
    workers: int | None,
    var_items: tuple[str, ...],
    top: int,
    wait: float,
    export_path: Path | None,
) -> None:
    """The whole job: dbt candidates, Python confirmation, dbt findings marts; then a summary.

    On DuckDB the run holds the database file's lock (<db>.lock) until it has read its summary
    and written the export: a second writer fails with one line (or waits, --wait)."""
    from beaconlake.errors import ConfigError
    from beaconlake.pipeline import run_pipeline
    from beaconlake.warehouse import parse_vars

    if export_path and target != "duckdb":
        raise ConfigError("--export copies a DuckDB warehouse; leave it out with --target trino")
    result = run_pipeline(
        input_path,
        target,
        db_path,
        start.date() if start else None,
        end.date() if end else None,
        workers,
        parse_vars(var_items),
        Progress(),
        wait,
        say,
        top,
        export_path,
    )
    if result.skipped_days:
        days = result.skipped_days
        click.echo(
            f"warning: {len(days)} input partition(s) outside the plausible days left out of the "
            f"window ({days[0]} .. {days[-1]}; see vars min_event_date, max_event_days_ahead)",
            err=True,
        )
    click.echo("\n" + _event_counts_table(result.event_counts))
    click.echo(_confirm_summary(result.window, result.confirm) + f", {result.alerts:,} alerts")
    click.echo("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.seconds.items()))
    top_incidents = result.top_incidents
    click.echo(
        incidents_table(top_incidents)
        if top_incidents is not None and len(top_incidents)
        else "no open incidents at medium or above"
    )
    if result.exported is not None and export_path is not None:
        click.echo(exported_line(result.exported, export_path))


@click.command("confirm")
@TARGET
@DB
@click.option("--start", type=DAY, required=True, help="First day.")
@click.option("--end", type=DAY, required=True, help="Last day, inclusive.")
@WORKERS
@VAR
@wait_option(0, "a run: 0 fails at once")
def confirm(
    target: str,
    db_path: str | None,
    start: dt.datetime,
    end: dt.datetime,
    workers: int | None,
    var_items: tuple[str, ...],
    wait: float,
) -> None:
    """The confirmation step alone, between two dbt runs: score the window's candidates and
    replace its findings rows; then `dbt build --selector findings` publishes them."""
    from beaconlake.pipeline import Window, confirm_stored_window
    from beaconlake.warehouse import parse_vars

    window = Window.of_days(start.date(), end.date())
    c = confirm_stored_window(
        target, db_path, window, workers, parse_vars(var_items), Progress(), wait, say
    )
    click.echo(_confirm_summary(window, c))


def _confirm_summary(window: Window, c: ConfirmResult) -> str:
    confirmed = int(c.findings.is_confirmed.sum()) if len(c.findings) else 0
    return (
        f"window {window.start} .. {window.last_day}: {c.candidates:,} candidates, "
        f"{c.beats:,} beats, {confirmed:,} confirmed periodic"
    )


def _event_counts_table(frame: pd.DataFrame) -> str:
    """Raw, staged, rejected and duplicate rows per day, thousands separated."""
    if frame.empty:
        return "no raw rows in the window"
    shown = frame.rename(columns=lambda c: c.removeprefix("n_")).assign(
        event_date=frame.event_date.astype(str)
    )
    for col in ("raw", "staged", "rejected", "duplicates"):
        shown[col] = shown[col].map(lambda v: f"{int(v):,}")
    return shown.rename(columns={"event_date": "day"}).to_string(index=False)


@click.command("build")
@click.option(
    "--input",
    "input_path",
    required=True,
    help="simulate --out folder, events folder, or a Parquet glob (the input contract).",
)
@click.option("--db", "db_path", type=click.Path(dir_okay=False), help="DuckDB database file.")
@click.option("--start-date", type=DAY, help="First UTC day to (re)build.")
@click.option("--end-date", type=DAY, help="Last UTC day to (re)build, inclusive.")
@click.option("--full-refresh", is_flag=True, help="Rebuild incremental models from scratch.")
@click.option("--select", help="dbt node selection (default: everything).")
@click.option(
    "--selector", help="A selector of selectors.yml: candidates, confirmation or findings."
)
@VAR
@click.option("--target", help="dbt target (duckdb or trino; default from the profile).")
@click.option(
    "--wait",
    type=click.FloatRange(0),
    default=0,
    help="Seconds to wait for another writer of the DuckDB file (default: fail at once).",
)
def build(
    input_path: str,
    db_path: str | None,
    start_date: dt.datetime | None,
    end_date: dt.datetime | None,
    full_refresh: bool,
    select: str | None,
    selector: str | None,
    var_items: tuple[str, ...],
    target: str | None,
    wait: float,
) -> None:
    """Run the dbt project (`dbt build`). On DuckDB that is the whole job, the confirmation
    included (a dbt Python model); on Trino run `--selector candidates`, then `beaconlake
    confirm`, then `--selector findings`."""
    from beaconlake.errors import DbtFailed
    from beaconlake.warehouse import build as build_project
    from beaconlake.warehouse import parse_vars

    result = build_project(
        input_path,
        db_path=db_path,
        start_date=start_date.date().isoformat() if start_date else None,
        end_date=end_date.date().isoformat() if end_date else None,
        full_refresh=full_refresh,
        select=select,
        extra_vars=parse_vars(var_items),
        target=target,
        selector=selector,
        wait=wait,
        notify=say,
    )
    if not result.success:
        raise DbtFailed("dbt build", result.log_path, result.error)
