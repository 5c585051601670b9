"""``beaconlake simulate`` and ``beaconlake ingest``: the commands that write the input contract."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from beaconlake.cli.options import DAY, floats

if TYPE_CHECKING:
    from click.decorators import FC


@click.command()
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
@click.option("--start-date", type=DAY, help="First day (UTC).")
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

    overrides: dict[str, Any] = {
        "hosts": hosts,
        "days": days,
        "tenants": tenants,
        "seed": seed,
        "events_per_host": events_per_host,
        "server_share": server_share,
        "start_date": start_date.date() if start_date else None,
        "niche_apps_per_host": niche_apps_per_host,
    }
    mix: dict[str, Any] = {
        "periods": floats(periods),
        "jitters": floats(jitters),
        "models": tuple(m.strip() for m in jitter_models.split(",")) if jitter_models else None,
        "drop_probs": floats(drop_probs),
    }
    mix = {k: v for k, v in mix.items() if v}
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


@click.group()
def ingest() -> None:
    """Convert DNS logs (Zeek, or any CSV / JSON-lines export) into the Parquet input contract."""


_INGEST_OPTIONS = [
    click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path)),
    click.option(
        "--out",
        required=True,
        type=click.Path(file_okay=False, path_type=Path),
        help="Root of the output: event_date=YYYY-MM-DD/*.parquet folders.",
    ),
    click.option(
        "--tenant",
        default="default",
        show_default=True,
        help="tenant_id written on every row (unless the mapping names a column).",
    ),
    click.option(
        "--host-map",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="CSV with columns ip and host_id: replaces addresses by host names.",
    ),
    click.option(
        "--shift-seconds", type=float, default=0.0, help="Seconds added to every timestamp."
    ),
    click.option(
        "--rebase-date",
        type=DAY,
        help="Shift by whole days so the first event falls on this date (for captures "
        "with relative times); intervals and time of day are unchanged.",
    ),
    click.option(
        "--min-date",
        type=DAY,
        help="Reject rows before this day (UTC, after any shift).  [default: 2000-01-01]",
    ),
    click.option(
        "--max-date",
        type=DAY,
        help="Reject rows after this day (UTC, after any shift).  [default: tomorrow]",
    ),
    click.option(
        "--overwrite",
        is_flag=True,
        help="Replace a non-empty output folder (only once the new output is complete).",
    ),
]


def _ingest_options(fn: FC) -> FC:
    for option in reversed(_INGEST_OPTIONS):
        fn = option(fn)
    return fn


def _run_ingest(
    paths: tuple[Path, ...],
    out: Path,
    mapping_file: Path | None,
    *,
    tenant: str,
    host_map: Path | None,
    shift_seconds: float,
    rebase_date: dt.datetime | None,
    min_date: dt.datetime | None,
    max_date: dt.datetime | None,
    overwrite: bool,
) -> None:
    """Ingest, print the summary, and fail with exit code 2 when no row was written."""
    from beaconlake.errors import InputError
    from beaconlake.ingest import TimeRange, ingest, load_host_map
    from beaconlake.ingest.mapping import Mapping

    accepted = TimeRange.default(min_date and min_date.date(), max_date and max_date.date())
    report = ingest(
        list(paths),
        out,
        mapping=Mapping.load(mapping_file) if mapping_file else None,
        tenant_id=tenant,
        host_map=load_host_map(host_map) if host_map else None,
        shift_seconds=shift_seconds,
        rebase_date=rebase_date.date() if rebase_date else None,
        overwrite=overwrite,
        time_range=accepted,
    )
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
