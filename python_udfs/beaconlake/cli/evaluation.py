"""``beaconlake evaluate``, ``replay`` and ``figures``: measuring and showing the detector."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import click

from beaconlake.cli.options import DAY, WORKERS


@click.command()
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


@click.command("evaluate")
@click.option(
    "--ground-truth",
    "--truth",
    "truth_path",
    required=True,
    type=click.Path(path_type=Path),
    help="ground_truth.csv (or .parquet, or the simulate --out directory).",
)
@click.option(
    "--findings",
    "findings_specs",
    multiple=True,
    metavar="[NAME=]PATH",
    help="Findings CSV/Parquet with tenant_id, host_id, domain, score[, detector]. Repeatable; "
    "NAME names the detector.",
)
@click.option(
    "--findings-db",
    type=click.Path(path_type=Path),
    help="DuckDB database holding findings tables.",
)
@click.option(
    "--findings-table",
    "findings_tables",
    multiple=True,
    metavar="[NAME=]TABLE",
    help="Findings table in --findings-db. Repeatable.",
)
@click.option(
    "--min-beats",
    type=click.IntRange(min=1),
    default=None,
    help="Only C2 channels with at least N emitted beats are positives; the rest are out of scope.",
)
@click.option(
    "--severity",
    "min_severity",
    metavar="LEVEL",
    default=None,
    help="Count only findings at or above this severity (info, low, medium, high, critical; "
    "needs a severity column).",
)
@click.option(
    "--host-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Hosts active per day, summed over the window, for the alert load (default: the "
    "simulator manifest beside the ground truth).",
)
@click.option(
    "--json", "json_path", metavar="PATH|-", help="Write the full report as JSON ('-' = stdout)."
)
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(path_type=Path),
    help="Write a PNG of recall vs jitter bucket, one line per detector.",
)
def evaluate(
    truth_path: Path,
    findings_specs: tuple[str, ...],
    findings_db: Path | None,
    findings_tables: tuple[str, ...],
    min_beats: int | None,
    min_severity: str | None,
    host_days: float | None,
    json_path: str | None,
    plot_path: Path | None,
) -> None:
    """Compare detector findings with the simulator's ground truth."""
    from beaconlake.evaluate import (
        plot_recall_vs_jitter,
        render_comparison,
        render_table,
        reports_to_dict,
        run_evaluation,
    )

    reports = run_evaluation(
        truth_path,
        findings_specs,
        findings_db,
        findings_tables,
        min_beats,
        host_days=host_days,
        min_severity=min_severity,
    )
    # With JSON on stdout the human table moves to stderr so the JSON stays parseable.
    to_stderr = json_path == "-"
    if len(reports) > 1:
        click.echo(render_comparison(reports) + "\n", err=to_stderr)
    click.echo("\n\n".join(render_table(r) for r in reports.values()), err=to_stderr)
    if json_path:
        document = reports_to_dict(reports, ground_truth=str(truth_path))
        text = json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False)
        if json_path == "-":
            click.echo(text)
        else:
            Path(json_path).write_text(text + "\n", encoding="utf-8")
    if plot_path:
        plot_recall_vs_jitter(reports, plot_path)


@click.command("replay")
@click.option(
    "--c2",
    "c2_paths",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Zeek dns.log of a real C2 capture (every query is C2). Repeatable.",
)
@click.option(
    "--background",
    "background_paths",
    multiple=True,
    required=True,
    type=click.Path(exists=True, path_type=Path),
    help="Zeek dns.log of one benign capture (rotated parts may be repeated).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder: events/, ground_truth.csv, replay.json, report.json, beaconlake.duckdb.",
)
@click.option(
    "--host",
    help="Background host that carries the C2 (default: the busiest during the C2's span).",
)
@click.option(
    "--offset-seconds",
    type=float,
    help="Put the first C2 query this many seconds after the background's first "
    "event (default: centre the C2 on the background's span).",
)
@click.option(
    "--background-rebase-date",
    type=DAY,
    help="Move a background with relative times to this date (whole days).",
)
@click.option("--c2-host", help="The implant's address when the C2 log holds several hosts.")
@click.option("--tenant", default="default", show_default=True)
@click.option(
    "--benign-only",
    is_flag=True,
    help="Run the untouched background alone (no --c2): its findings are all benign.",
)
@WORKERS
@click.option("--overwrite", is_flag=True, help="Replace a non-empty --out folder.")
def replay(
    c2_paths: tuple[Path, ...],
    background_paths: tuple[Path, ...],
    out: Path,
    host: str | None,
    offset_seconds: float | None,
    background_rebase_date: dt.datetime | None,
    c2_host: str | None,
    tenant: str,
    benign_only: bool,
    workers: int | None,
    overwrite: bool,
) -> None:
    """Replay a real C2 capture on a host of a real benign capture; run; report."""
    from beaconlake.errors import ConfigError
    from beaconlake.replay import GROUND_TRUTH_FILE, REPORT_FILE, render, run_replay

    if benign_only and c2_paths:
        raise ConfigError("--benign-only runs the background alone: drop --c2")
    if not benign_only and not c2_paths:
        raise ConfigError("--c2 is required (or --benign-only to run the background alone)")
    if benign_only and (host or offset_seconds is not None or c2_host):
        raise ConfigError("--host, --offset-seconds and --c2-host need --c2")
    report, placement = run_replay(
        list(c2_paths) or None,
        list(background_paths),
        out,
        workers=workers,
        host=host,
        offset_seconds=offset_seconds,
        background_rebase_date=background_rebase_date.date() if background_rebase_date else None,
        c2_host=c2_host,
        tenant_id=tenant,
        overwrite=overwrite,
    )
    click.echo("\n" + render(report, placement))
    click.echo(f"\nreport: {out / REPORT_FILE}; ground truth: {out / GROUND_TRUTH_FILE}")
