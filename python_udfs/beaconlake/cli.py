"""The ``beaconlake`` command line: a thin layer over the library's functions."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from beaconlake import __version__


class BadInput(click.ClickException):
    """An error the user can fix (bad option, missing file): one line, exit code 2."""

    exit_code = 2


class _Main(click.Group):
    """The command group; the one place where a library error becomes an exit code, and
    where the files it writes lose their access for other users (umask 007).

    ``BeaconlakeError`` (what the user can fix): its one line, exit 2. Anything else is a
    defect: its first line and exit 1, the traceback only with ``BEACONLAKE_DEBUG=1``.
    """

    def invoke(self, ctx: click.Context) -> object:
        from beaconlake.errors import BeaconlakeError

        # DNS logs say who visited what: what we write is not for every user of the machine
        os.umask(os.umask(0) | 0o007)
        try:
            return super().invoke(ctx)
        except BeaconlakeError as exc:
            raise BadInput(_one_line(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except Exception as exc:
            if os.environ.get("BEACONLAKE_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {_one_line(exc)} "
                "(BEACONLAKE_DEBUG=1 shows the traceback)"
            ) from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _floats(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError as exc:
        raise BadInput(f"expected comma-separated numbers, got {text!r}") from exc


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beaconlake")
def main() -> None:
    """Find malware command-and-control beacons in DNS telemetry."""


@main.command()
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(path_type=Path),
    help="Output folder: events/ (Parquet), ground_truth.csv, manifest.json.",
)
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML scenario file; options given here override its values.",
)
@click.option("--hosts", type=click.IntRange(1), help="Number of hosts (default 1000).")
@click.option("--days", type=click.IntRange(1), help="Days to simulate (default 1).")
@click.option("--start-date", type=click.DateTime(["%Y-%m-%d"]), help="First day (UTC).")
@click.option("--tenants", type=click.IntRange(1, 250), help="Number of tenants (default 3).")
@click.option("--seed", type=int, help="Random seed (default 0); same arguments, same files.")
@click.option(
    "--events-per-host",
    type=click.FloatRange(0),
    help="Mean benign DNS events per workstation and day (default 10000).",
)
@click.option(
    "--server-share",
    type=click.FloatRange(0, 1),
    help="Share of hosts that are 24/7 servers (default 0.1).",
)
@click.option(
    "--beacons",
    type=click.IntRange(0),
    default=None,
    help="Number of C2 families drawn at random from the mix below (default 12).",
)
@click.option(
    "--grid",
    is_flag=True,
    help="Plant one single-host C2 beacon per combination of "
    "the mix below instead of a random draw (balanced buckets for evaluation).",
)
@click.option("--periods", help="Beacon periods in seconds, comma-separated.")
@click.option("--jitters", help="Jitter fractions, comma-separated (0.3 = 30 %).")
@click.option(
    "--jitter-models", help="Comma-separated: uniform, sleep_reduction, gaussian, additive."
)
@click.option("--drop-probs", help="Probabilities of a missing beat, comma-separated.")
@click.option(
    "--subdomain-share",
    type=click.FloatRange(0, 1),
    default=0.25,
    show_default=True,
    help="Share of random C2 families that use a fresh subdomain per beat.",
)
@click.option(
    "--shape-beacons",
    type=click.IntRange(0),
    default=None,
    help="C2 families per hard shape (rotation, popular_domain, interactive, strobe, slow, "
    "campaign; campaigns need --days 3 or more); "
    "default 2, or 0 with --grid or a scenario file's own beacons.",
)
@click.option("--c2-shapes", help="Comma-separated hard shapes to plant (default: all six).")
@click.option(
    "--benign-mix",
    type=click.Choice(["realistic", "legacy", "none"]),
    help="Default benign periodic services: realistic (TTL apps, directory, local discovery, "
    "agents; the default), legacy (the earlier small set) or none.",
)
@click.option(
    "--niche-apps-per-host",
    type=click.FloatRange(0),
    help="Niche applications (each on 1-3 hosts) per host of the fleet (default 0.1).",
)
@click.option("--workers", type=click.IntRange(1), help="Worker processes (default: 2).")
@click.option("--overwrite", is_flag=True, help="Replace an existing events/ folder.")
def simulate(
    out: Path,
    scenario: Path | None,
    hosts: int | None,
    days: int | None,
    start_date: dt.datetime | None,
    tenants: int | None,
    seed: int | None,
    events_per_host: float | None,
    server_share: float | None,
    beacons: int | None,
    grid: bool,
    periods: str | None,
    jitters: str | None,
    jitter_models: str | None,
    drop_probs: str | None,
    subdomain_share: float,
    shape_beacons: int | None,
    c2_shapes: str | None,
    benign_mix: str | None,
    niche_apps_per_host: float | None,
    workers: int | None,
    overwrite: bool,
) -> None:
    """Write simulated DNS events with planted C2 beacons, plus their ground truth."""
    from beaconlake.simulate import scenario as sc
    from beaconlake.simulate.generator import simulate as run

    overrides = {
        "hosts": hosts, "days": days, "tenants": tenants, "seed": seed,
        "events_per_host": events_per_host, "server_share": server_share,
        "start_date": start_date.date() if start_date else None,
        "niche_apps_per_host": niche_apps_per_host,
    }  # fmt: skip
    mix = {
        "periods": _floats(periods),
        "jitters": _floats(jitters),
        "models": tuple(m.strip() for m in jitter_models.split(",")) if jitter_models else None,
        "drop_probs": _floats(drop_probs),
    }
    mix = {k: v for k, v in mix.items() if v}
    try:
        base = (
            sc.load_scenario(scenario, **overrides)
            if scenario
            else sc.Scenario(**{k: v for k, v in overrides.items() if v is not None})
        )
        if grid:
            planted = sc.grid_beacons(**mix)
        elif beacons is not None or not base.beacons:
            n = 12 if beacons is None else beacons
            planted = sc.random_beacons(n, base.seed, subdomain_share=subdomain_share, **mix)
        else:
            planted = ()
        if shape_beacons is None:
            shape_beacons = 0 if grid or (base.beacons and beacons is None) else 2
        shapes = tuple(x.strip() for x in c2_shapes.split(",")) if c2_shapes else sc.SHAPES[1:]
        planted += sc.shape_beacons(shape_beacons, base.seed, shapes)
        if benign_mix:
            base = replace(base, services=sc.benign_services(benign_mix))
        spec = replace(base, beacons=base.beacons + planted)

        def progress(done: int, total: int) -> None:
            click.echo(f"\rchunks {done}/{total}", nl=done == total, err=True)

        summary = run(spec, out, workers=workers, overwrite=overwrite, progress=progress)
    except (ValueError, FileExistsError, TypeError) as exc:
        raise BadInput(str(exc)) from exc
    rate = summary.events / max(summary.seconds, 1e-9)
    click.echo(
        f"wrote {summary.events:,} events ({summary.human_events:,} human, "
        f"{summary.periodic_events:,} periodic) in {summary.files} files to {out}/events\n"
        f"planted {summary.c2_channels} C2 channels and {summary.benign_periodic_channels:,} "
        f"benign periodic channels (ground truth: {out}/ground_truth.csv)\n"
        f"{summary.seconds:.1f} s, {rate:,.0f} events/s, peak memory {summary.peak_rss_mb:,.0f} MB"
    )
    for warning in summary.warnings:
        click.echo(f"warning: {warning}", err=True)


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default="figures",
    show_default=True,
    help="Folder for the PNG files.",
)
@click.option(
    "--window-minutes",
    type=click.IntRange(1),
    default=60,
    show_default=True,
    help="Sliding-window length of figure (c).",
)
@click.option("--seed", type=int, default=7, show_default=True)
def figures(out: Path, window_minutes: int, seed: int) -> None:
    """Reproduce the field report's FFT and sliding-window figures as PNG files."""
    from beaconlake.figures import write_figures

    for path in write_figures(out, window_minutes, seed):
        click.echo(str(path))


@main.group()
def ingest() -> None:
    """Convert DNS logs (Zeek, or any CSV / JSON-lines export) into the Parquet input contract."""


_INGEST_OPTIONS = [
    click.argument("paths", nargs=-1, required=True,
                   type=click.Path(exists=True, path_type=Path)),
    click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
                 help="Root of the output: event_date=YYYY-MM-DD/*.parquet folders."),
    click.option("--tenant", default="default", show_default=True,
                 help="tenant_id written on every row (unless the mapping names a column)."),
    click.option("--host-map", type=click.Path(exists=True, dir_okay=False, path_type=Path),
                 help="CSV with columns ip and host_id: replaces addresses by host names."),
    click.option("--shift-seconds", type=float, default=0.0,
                 help="Seconds added to every timestamp."),
    click.option("--rebase-date", type=click.DateTime(["%Y-%m-%d"]),
                 help="Shift by whole days so the first event falls on this date (for captures "
                      "with relative times); intervals and time of day are unchanged."),
    click.option("--min-date", type=click.DateTime(["%Y-%m-%d"]),
                 help="Reject rows before this day (UTC, after any shift).  [default: 2000-01-01]"),
    click.option("--max-date", type=click.DateTime(["%Y-%m-%d"]),
                 help="Reject rows after this day (UTC, after any shift).  [default: tomorrow]"),
    click.option("--overwrite", is_flag=True,
                 help="Replace a non-empty output folder (only once the new output is complete)."),
]  # fmt: skip


def _ingest_options(fn):  # type: ignore[no-untyped-def]
    for option in reversed(_INGEST_OPTIONS):
        fn = option(fn)
    return fn


def _run_ingest(
    paths: tuple[Path, ...], out: Path, mapping_file: Path | None, *, tenant: str,
    host_map: Path | None, shift_seconds: float, rebase_date: dt.datetime | None,
    min_date: dt.datetime | None, max_date: dt.datetime | None, overwrite: bool,
) -> None:  # fmt: skip
    """Ingest, print the summary, and fail with exit code 2 when no row was written."""
    from beaconlake.errors import InputError
    from beaconlake.ingest import TimeRange, ingest, load_host_map
    from beaconlake.ingest.mapping import Mapping

    accepted = TimeRange.default(min_date and min_date.date(), max_date and max_date.date())
    report = ingest(
        list(paths), out,
        mapping=Mapping.load(mapping_file) if mapping_file else None,
        tenant_id=tenant,
        host_map=load_host_map(host_map) if host_map else None,
        shift_seconds=shift_seconds,
        rebase_date=rebase_date.date() if rebase_date else None,
        overwrite=overwrite,
        time_range=accepted,
    )  # fmt: skip
    headline, *details = report.summary(out, str(accepted))
    click.echo(headline)
    for line in details:
        click.echo(line, err=True)
    if not report.rows:
        raise InputError(f"nothing written to {out}: {report.why_nothing()}")


@ingest.command("zeek")
@_ingest_options
def ingest_zeek(paths: tuple[Path, ...], out: Path, **options: Any) -> None:
    """Zeek dns.log files (TSV or JSON lines, plain or gzip, rotated or concatenated)."""
    _run_ingest(paths, out, None, **options)


@ingest.command("mapped")
@click.option(
    "--mapping",
    "mapping_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML file naming the source column of each contract column.",
)
@_ingest_options
def ingest_mapped(paths: tuple[Path, ...], out: Path, mapping_file: Path, **options: Any) -> None:
    """CSV or JSON-lines exports (resolver, EDR, SIEM) described by a mapping file."""
    _run_ingest(paths, out, mapping_file, **options)


_TARGET = click.option(
    "--target",
    type=click.Choice(["duckdb", "trino"]),
    default="duckdb",
    show_default=True,
    help="Warehouse: embedded DuckDB or a Trino cluster.",
)
_DB = click.option(
    "--db",
    "db_path",
    type=click.Path(dir_okay=False),
    help="DuckDB file (default: $BEACONLAKE_DUCKDB_PATH or beaconlake.duckdb).",
)


def _wait_option(default: float, what: str):  # type: ignore[no-untyped-def]
    return click.option(
        "--wait",
        type=click.FloatRange(0),
        default=default,
        show_default=True,
        help=f"Seconds to wait while another process writes the DuckDB file ({what}).",
    )


def _say(line: str) -> None:
    """A one-line notice on stderr (waiting for another process, for instance)."""
    click.echo(line, err=True)


@main.command()
@click.option(
    "--input",
    "input_path",
    required=True,
    help="Input contract: a simulate --out folder, an events folder or a Parquet glob.",
)
@_TARGET
@_DB
@click.option(
    "--start",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day (default: the input's first event_date).",
)
@click.option(
    "--end",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Day after the last (exclusive; default: the day after the input's last event_date).",
)
@click.option("--workers", type=click.IntRange(1), help="Confirmation processes (default 2).")
@click.option("--var", "var_items", multiple=True, help="Override a dbt var: KEY=VALUE.")
@click.option(
    "--top",
    type=click.IntRange(0),
    default=15,
    show_default=True,
    help="Open incidents to print at the end, as `beaconlake findings` lists them.",
)
@_wait_option(0, "another run: 0 fails at once")
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB only: then copy the published marts to this file for BI tools (see export).",
)
def run(input_path: str, target: str, db_path: str | None, start: dt.datetime | None,
        end: dt.datetime | None, workers: int | None, var_items: tuple[str, ...],
        top: int, wait: float, export_path: Path | None) -> None:  # fmt: skip
    """The whole job: dbt candidates, Python confirmation, dbt findings marts; then a summary.

    On DuckDB the run holds the database file's lock (<db>.lock) until it has read its summary
    and written the export: a second writer fails with one line (or waits, --wait)."""
    from beaconlake.pipeline import PipelineError, run_pipeline
    from beaconlake.warehouse import parse_vars

    if export_path and target != "duckdb":
        raise BadInput("--export copies a DuckDB warehouse; leave it out with --target trino")
    try:
        result = run_pipeline(input_path, target, db_path, start.date() if start else None,
                              end.date() if end else None, workers, parse_vars(var_items),
                              _Progress(), wait, _say, top, export_path)  # fmt: skip
    except (PipelineError, ValueError, OSError) as exc:
        raise BadInput(str(exc)) from exc
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
        _incidents_table(top_incidents)
        if top_incidents is not None and len(top_incidents)
        else "no open incidents at medium or above"
    )
    if result.exported is not None:
        click.echo(_exported_line(result.exported, export_path))  # type: ignore[arg-type]


@main.command("confirm")
@_TARGET
@_DB
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day.")
@click.option(
    "--end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Day after the last (exclusive)"
)
@click.option("--workers", type=click.IntRange(1), help="Confirmation processes (default 2).")
@click.option("--var", "var_items", multiple=True, help="Override a dbt var: KEY=VALUE.")
@_wait_option(0, "a run: 0 fails at once")
def confirm_command(target: str, db_path: str | None, start: dt.datetime, end: dt.datetime,
                    workers: int | None, var_items: tuple[str, ...],
                    wait: float) -> None:  # fmt: skip
    """The confirmation step alone, between two dbt runs: score the window's candidates and
    replace its findings rows; then `dbt build --selector findings` publishes them."""
    from beaconlake.pipeline import PipelineError, Window, confirm_stored_window
    from beaconlake.warehouse import parse_vars

    window = Window(start.date(), end.date())
    try:
        c = confirm_stored_window(
            target, db_path, window, workers, parse_vars(var_items), _Progress(), wait, _say
        )
    except (PipelineError, ValueError, OSError) as exc:
        raise BadInput(str(exc)) from exc
    click.echo(_confirm_summary(window, c))


class _Progress:
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


def _confirm_summary(window, c) -> str:  # type: ignore[no-untyped-def]
    confirmed = int(c.findings.is_confirmed.sum()) if len(c.findings) else 0
    return (
        f"window {window.start} .. {window.end} (end exclusive): {c.candidates:,} candidates, "
        f"{c.beats:,} beats, {confirmed:,} confirmed periodic"
    )


def _event_counts_table(frame) -> str:  # type: ignore[no-untyped-def]
    """Raw, staged, rejected and duplicate rows per day, thousands separated."""
    if frame.empty:
        return "no raw rows in the window"
    shown = frame.rename(columns=lambda c: c.removeprefix("n_")).assign(
        event_date=frame.event_date.astype(str)
    )
    for col in ("raw", "staged", "rejected", "duplicates"):
        shown[col] = shown[col].map(lambda v: f"{int(v):,}")
    return shown.rename(columns={"event_date": "day"}).to_string(index=False)


def _findings_table(frame, wide: bool = False) -> str:  # type: ignore[no-untyped-def]
    cols = ["severity", "score", "tenant_id", "host_id", "domain", "reason"]
    shown = frame[cols].assign(score=frame.score.map(lambda v: f"{v:.2f}"))
    return _text_table(shown, wide)


def _incidents_table(frame, wide: bool = False) -> str:  # type: ignore[no-untyped-def]
    shown = frame.assign(
        score=frame.score.map(lambda v: f"{v:.2f}"),
        beacon=frame.beacon_kind + ": " + frame.beacon_key,
        last_seen=frame.last_seen_at.map(lambda v: str(v)[:16]),
    )[["severity", "status", "score", "tenant_id", "host_id", "beacon", "last_seen", "reason"]]
    return _text_table(shown, wide)


def _text_table(shown, wide: bool) -> str:  # type: ignore[no-untyped-def]
    """Aligned columns; the reason cut at 90 characters unless ``wide``, then printed whole."""
    if not wide:
        return shown.to_string(index=False, max_colwidth=90)
    import pandas as pd

    with pd.option_context("display.max_colwidth", None, "display.width", None):
        return shown.to_string(index=False, justify="left")


@main.command()
@_TARGET
@_DB
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="jsonl: one JSON object per line, for a SIEM.",
)
@click.option(
    "--min-severity",
    type=click.Choice(["info", "low", "medium", "high", "critical"]),
    default="medium",
    show_default=True,
    help="Lowest severity listed (alerts: medium).",
)
@click.option("--tenant", help="Only this tenant.")
@click.option("--host", help="Only this host.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only incidents last seen at or after this UTC day or time.",
)
@click.option(
    "--all", "closed", is_flag=True, help="Also incidents a benign or snoozed verdict closed."
)
@click.option(
    "--per-window",
    is_flag=True,
    help="List the findings of each window (fct_beacon_findings) instead of incidents.",
)
@click.option("--wide", is_flag=True, help="Show the whole reason in the table.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True)
@_wait_option(60, "a run")
def findings(target: str, db_path: str | None, fmt: str, min_severity: str, tenant: str | None,
             host: str | None, since: dt.datetime | None, closed: bool, per_window: bool,
             wide: bool, limit: int, wait: float) -> None:  # fmt: skip
    """List incidents (a beacon on a host across windows), new and changed first, then the most
    severe; or, with --per-window, every window's findings.

    Opens a DuckDB file read-only (a read-only file or mount will do). While a run writes it,
    waits up to --wait seconds with a note on stderr, then fails with one line naming the run."""
    from beaconlake.errors import BeaconlakeError
    from beaconlake.pipeline import PipelineError, read_findings, read_incidents

    if per_window and (tenant or host or since or closed):
        raise BadInput("--per-window lists every finding: --tenant, --host, --since and --all "
                       "apply to incidents")  # fmt: skip
    try:
        if per_window:
            frame = read_findings(target, db_path, min_severity, limit, wait, _say)
        else:
            frame = read_incidents(
                target, db_path, min_severity, tenant=tenant, host=host, since=since,
                closed=closed, limit=limit, wait=wait, notify=_say,
            )  # fmt: skip
    except PipelineError as exc:
        raise BadInput(str(exc)) from exc
    except BeaconlakeError:
        raise
    except Exception as exc:
        raise BadInput(f"cannot read findings: {str(exc).splitlines()[0]}") from exc
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt in ("json", "jsonl"):
        records = _json_records(frame)
        if fmt == "jsonl":
            for record in records:
                click.echo(json.dumps(record))
        else:
            click.echo(json.dumps(records, indent=2))
    elif per_window:
        click.echo(_findings_table(frame, wide) if len(frame) else "no findings")
    else:
        click.echo(_incidents_table(frame, wide) if len(frame) else "no incidents")


def _json_records(frame: Any) -> list[dict[str, Any]]:
    """Rows as JSON-ready objects: times in ISO 8601 (UTC), nulls as null, the ATT&CK ids and
    comma-separated lists as arrays."""
    import pandas as pd

    records = []
    for row in frame.to_dict(orient="records"):
        out: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (not isinstance(value, str | list) and pd.isna(value)):
                out[key] = None
            elif isinstance(value, pd.Timestamp | dt.datetime):
                out[key] = value.isoformat() + ("Z" if value.tzinfo is None else "")
            elif isinstance(value, dt.date):
                out[key] = value.isoformat()
            elif key in ("attack_techniques", "domains", "finding_ids"):
                out[key] = [v.strip() for v in str(value).split(",") if v.strip()]
            elif hasattr(value, "item"):  # numpy scalars
                out[key] = value.item()
            else:
                out[key] = value
        records.append(out)
    return records


@main.command()
@click.option(
    "--html",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (replaced as a whole).",
)
@click.option(
    "--min-severity",
    type=click.Choice(["info", "low", "medium", "high", "critical"]),
    default="medium",
    show_default=True,
    help="Lowest severity in the report.",
)
@click.option("--title", default="beaconlake: beacon incidents", show_default=True)
@_TARGET
@_DB
@_wait_option(60, "a run")
def report(out: Path, min_severity: str, title: str, target: str, db_path: str | None,
           wait: float) -> None:  # fmt: skip
    """Write the analyst's report: one self-contained HTML file (no server, no network) with
    the incidents, filters by tenant, severity and status, and per incident its beat timeline,
    interval histogram, autocorrelation, members or hosts and full reason."""
    from beaconlake.pipeline import reader
    from beaconlake.report import read_incident_views, write_report

    views = read_incident_views(reader(target, db_path, wait, _say), min_severity)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    write_report(views, out, title=title, generated_at=now)
    click.echo(f"wrote {len(views):,} incidents to {out}")


@main.group()
def triage() -> None:
    """Analysts' verdicts on incidents: benign, malicious or snoozed, kept with who and why.

    A verdict applies at every build from the next one on (no re-ingestion): it sets the status
    of the incidents its scope covers until it expires; benign and snoozed ones leave the alert
    queue, malicious ones are raised to critical and their domain joins the known-C2 list.
    Verdicts kept in version control go in seeds/triage_decisions.csv (the same columns)."""


@triage.command("mark")
@click.argument("verdict", type=click.Choice(["benign", "malicious", "snoozed"]))
@click.option("--tenant", help="Only this tenant's incidents.")
@click.option("--host", help="Only this host's incidents.")
@click.option("--domain", help="Incidents on this domain (a registered domain or a member name).")
@click.option("--subdomains", is_flag=True, help="Names under --domain match too.")
@click.option(
    "--until",
    type=click.DateTime(["%Y-%m-%d"]),
    help="First day the verdict no longer applies (required for snoozed).",
)
@click.option("--by", "by", required=True, help="Who decides.")
@click.option("--note", required=True, help="Why.")
@_TARGET
@_DB
@_wait_option(60, "a run")
def triage_mark(verdict: str, tenant: str | None, host: str | None, domain: str | None,
                subdomains: bool, until: dt.datetime | None, by: str, note: str, target: str,
                db_path: str | None, wait: float) -> None:  # fmt: skip
    """Record a verdict, e.g. `beaconlake triage mark benign --domain updates.example.com
    --subdomains --by alice --note "vendor updater"`."""
    from beaconlake.store import warehouse_for
    from beaconlake.triage import decision, record

    made = decision(
        verdict, tenant=tenant, host=host, domain=domain, subdomains=subdomains,
        until=until.date() if until else None, by=by, note=note,
    )  # fmt: skip
    record(warehouse_for(target, db_path, notify=_say, wait=wait), [made])
    click.echo(f"recorded: {verdict} ({_scope_text(made)}); applies from the next build")


def _scope_text(made: Any) -> str:
    parts = [f"tenant {made.tenant_id}" if made.tenant_id else "every tenant"]
    if made.host_id:
        parts.append(f"host {made.host_id}")
    if made.domain:
        subdomains = " and its subdomains" if made.include_subdomains else ""
        parts.append(made.domain + subdomains)
    if made.expires_on:
        parts.append(f"until {made.expires_on}")
    return ", ".join(parts)


@main.command("export")
@_DB
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB file to write (replaced as a whole).",
)
@_wait_option(60, "a run")
def export_command(db_path: str | None, out: Path, wait: float) -> None:
    """Copy the published marts (findings, alerts, event counts) to a DuckDB file of their own.

    BI tools may keep that file open for ever: the warehouse stays free for the next run, and
    the next export replaces the file without waiting for them."""
    from beaconlake.export import export_marts
    from beaconlake.store import duckdb_path

    click.echo(_exported_line(export_marts(duckdb_path(db_path), out, wait, _say), out))


def _exported_line(rows: dict[str, int], out: Path) -> str:
    counts = ", ".join(f"{name} {n:,} rows" for name, n in rows.items())
    return f"exported {counts} to {out}"


def _register_subcommands() -> None:
    from beaconlake.evaluate import evaluate_command
    from beaconlake.replay import replay_command
    from beaconlake.warehouse import build_command

    main.add_command(evaluate_command, "evaluate")
    main.add_command(build_command, "build")
    main.add_command(replay_command, "replay")


_register_subcommands()


if __name__ == "__main__":
    main()
