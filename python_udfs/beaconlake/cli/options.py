"""Options and output helpers that several commands share."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from beaconlake.confirm.scoring import SEVERITIES
from beaconlake.errors import ConfigError

if TYPE_CHECKING:
    from click.decorators import FC

DAY = click.DateTime(["%Y-%m-%d"])

TARGET = click.option(
    "--target",
    type=click.Choice(["duckdb", "trino"]),
    default="duckdb",
    show_default=True,
    help="Warehouse: embedded DuckDB or a Trino cluster.",
)
DB = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="DuckDB file (default: $BEACONLAKE_DUCKDB_PATH or beaconlake.duckdb).",
)
VAR = click.option("--var", "var_items", multiple=True, help="Override a dbt var: KEY=VALUE.")
WORKERS = click.option(
    "--workers", type=click.IntRange(1), help="Confirmation processes (default 2)."
)
SEVERITY = click.Choice(list(SEVERITIES))


def wait_option(default: float, what: str) -> Callable[[FC], FC]:
    return click.option(
        "--wait",
        type=click.FloatRange(0),
        default=default,
        show_default=True,
        help=f"Seconds to wait while another process writes the DuckDB file ({what}).",
    )


def say(line: str) -> None:
    """A one-line notice on stderr (waiting for another process, for instance)."""
    click.echo(line, err=True)


def floats(text: str | None) -> tuple[float, ...] | None:
    """``"1,2.5"`` → ``(1.0, 2.5)``; None stays None."""
    if text is None:
        return None
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise ConfigError(f"expected comma-separated numbers, got {text!r}") from exc


def exported_line(rows: dict[str, int], out: Path) -> str:
    counts = ", ".join(f"{name} {n:,} rows" for name, n in rows.items())
    return f"exported {counts} to {out}"


class Progress:
    """The confirmation's progress on stderr: a bar with counts and rate on a terminal, a
    plain line every ``every`` seconds (and at the end) in a scheduler's log."""

    def __init__(self, every: float = 10.0) -> None:
        self.stream = click.get_text_stream("stderr")
        self.tty = self.stream.isatty()
        self.every = every
        self.started: float | None = None  # the first report starts the clock
        self.shown = -every

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        self.started = now if self.started is None else self.started
        elapsed = now - self.started
        rate = f"{done / elapsed:,.0f}/s" if elapsed > 0 and done else "-"
        share = done / total if total else 1.0
        finished = done >= total
        if self.tty:
            bar = "#" * int(30 * share)
            self.stream.write(
                f"\rconfirming [{bar:.<30}] {done:,}/{total:,} candidates, {rate}"
                + ("\n" if finished else "")
            )
        elif finished or elapsed - self.shown >= self.every:
            line = f"confirming: {done:,} of {total:,} candidates ({share:.0%}), {rate}"
            self.stream.write(line + "\n")
            self.shown = elapsed
        self.stream.flush()
