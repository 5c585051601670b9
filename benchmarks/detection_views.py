"""Detection figures on two simulated views of the world, side by side.

One view is our simulator (``beaconlake simulate``, the traffic models the detector was
developed on); the other is ``benchmarks/independent_scenario.py``, written separately with its
own traffic models and parameters, which the detector is never tuned on. Both run through the
whole job (``beaconlake run``) over the same number of hosts and days and are scored by
``beaconlake evaluate`` at the alert severity (var alert_min_severity_rank and above). A gap
between the two columns is a defect of the detector, not noise. The third view, real captures,
is ``benchmarks/real_logs.py``.

    python benchmarks/detection_views.py --out data/views [--hosts 300 --days 7] [--json F]

Prints one Markdown table of the headline figures, recall per C2 shape, and the benign periodic
channels flagged per category, for each view.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from beaconlake.confirm.scoring import ALERT_SEVERITY
from beaconlake.evaluate import (
    EvaluationReport,
    evaluate,
    load_host_days,
    load_truth,
    prepare_findings,
)
from beaconlake.pipeline import read_findings, run_pipeline

ROOT = Path(__file__).resolve().parents[1]


def simulate(view: str, out: Path, hosts: int, days: int) -> None:
    """Write one view's events and ground truth into ``out`` (skipped when already there)."""
    if (out / "ground_truth.csv").exists():
        return
    if view == "ours":
        # left as written: each flag beside its value
        command = [sys.executable, "-m", "beaconlake.cli", "simulate", "--out", str(out),
                   "--hosts", str(hosts), "--days", str(days), "--tenants", "3", "--seed", "7",
                   "--start-date", "2026-03-02", "--overwrite"]  # fmt: skip
    else:
        # left as written: each flag beside its value
        command = [sys.executable, str(ROOT / "benchmarks" / "independent_scenario.py"),
                   "--out", str(out), "--hosts", str(hosts), "--days", str(days),
                   "--start-date", "2026-03-02", "--seed", "11", "--overwrite"]  # fmt: skip
    subprocess.run(command, check=True)


def run_view(view: str, out: Path, hosts: int, days: int) -> tuple[EvaluationReport, float]:
    """Simulate (once), run the whole job on a fresh warehouse and score the alerts."""
    data = out / view
    simulate(view, data, hosts, days)
    db = out / f"{view}.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    run_pipeline(str(data / "events"), "duckdb", str(db))
    seconds = time.perf_counter() - started
    raw = read_findings("duckdb", str(db), min_severity="info", limit=1_000_000)
    findings = prepare_findings(raw, name="beaconlake", source=f"findings in {db}")
    reports = evaluate(
        load_truth(data),
        findings,
        detectors=["beaconlake"],
        host_days=load_host_days(data),
        min_severity=ALERT_SEVERITY,
    )
    return reports["beaconlake"], seconds


def _fmt(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def render(results: dict[str, tuple[EvaluationReport, float]]) -> str:
    views = list(results)
    lines = ["| measure | " + " | ".join(views) + " |", "|---|" + "---|" * len(views)]

    def row(name: str, cells: list[str]) -> None:
        lines.append(f"| {name} | " + " | ".join(cells) + " |")

    reports = [results[v][0] for v in views]
    row("run time (s)", [f"{results[v][1]:.0f}" for v in views])
    row("host-days", [_fmt(r.host_days, 0) for r in reports])
    row("C2 channels", [str(r.positives) for r in reports])
    row("recall", [_fmt(r.recall) for r in reports])
    row("average precision", [_fmt(r.average_precision) for r in reports])
    row("precision", [_fmt(r.precision) for r in reports])
    row(
        "non-C2 alerts per 100 host-days",
        [_fmt(r.alert_load_per_100_host_days, 2) for r in reports],
    )
    shapes = sorted({b.bucket for r in reports for b in r.recall_by.get("shape", [])})
    for shape in shapes:
        cells = []
        for r in reports:
            found = [b for b in r.recall_by.get("shape", []) if b.bucket == shape]
            cells.append(f"{found[0].detected}/{found[0].positives}" if found else "-")
        row(f"shape {shape}", cells)
    categories = sorted({c for r in reports for c in r.benign_by_category})
    for category in categories:
        cells = []
        for r in reports:
            flags = r.benign_by_category.get(category)
            cells.append(f"{flags.flagged} of {flags.total}" if flags else "-")
        row(f"benign {category} flagged", cells)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "views")
    parser.add_argument("--hosts", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--only", action="append", choices=["ours", "independent"])
    parser.add_argument("--json", type=Path, help="Write every report as JSON here.")
    args = parser.parse_args(argv)
    results = {
        view: run_view(view, args.out, args.hosts, args.days)
        for view in args.only or ["ours", "independent"]
    }
    print(render(results))
    if args.json:
        payload: dict[str, Any] = {
            v: {"seconds": s, **r.to_dict()} for v, (r, s) in results.items()
        }
        args.json.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
