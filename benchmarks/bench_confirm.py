"""Benchmark the confirmation step alone: candidates scored per second on a built warehouse.

    python benchmarks/bench_confirm.py --db data/bench-confirm.duckdb --input data/bench-confirm \
        [--hosts 2000] [--day 2026-03-02] [--workers 2] [--repeat 2]

Simulates --hosts hosts for one day into --input and builds --db from it (`beaconlake build`)
when --db does not exist yet; then runs `confirm_window` on that day, --repeat times, each in a
child process of its own (imports, reads, scoring on --workers worker processes and the write of
the findings). Prints candidates, seconds (wall, and the read and scoring parts the step reports)
and candidates per second, the peak memory of the largest process of the child's tree (from
``wait4``), and a fingerprint of the findings (rows per severity, sum of scores) so that two
versions of the code measured back to back on the same warehouse can be seen to agree. Run it
with PYTHONPATH pointing at another checkout to measure that checkout's code on the same data.
Timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
CONFIRM = """
import datetime as dt, json, sys
from beaconlake.pipeline import Window, confirm_window
from beaconlake.store import warehouse_for
day = dt.date.fromisoformat(sys.argv[2])
r = confirm_window(warehouse_for("duckdb", sys.argv[1]), Window(day, day + dt.timedelta(days=1)),
                   workers=int(sys.argv[3]))
f = r.findings
print(json.dumps({"candidates": r.candidates, "beats": r.beats, "findings": len(f),
                  "read_s": r.timings["read"], "score_s": r.timings["score"],
                  "severity": f.severity.value_counts().sort_index().to_dict(),
                  "score_sum": round(float(f.score.sum()), 9)}))
"""


def timed(command: list[str], log: Path) -> tuple[float, float, float]:
    """Run one child process: its wall seconds, CPU seconds and peak RSS (GB) of its tree."""
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"{' '.join(command[:2])} failed; log: {log}")
    # ru_maxrss: KiB on Linux, the largest process of the tree the child waited for
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024**2


def build(db: Path, input_path: Path, hosts: int, day: dt.date) -> None:
    """Simulate one day of ``hosts`` hosts and build the warehouse ``db`` from it."""
    if not (input_path / "ground_truth.csv").exists():
        # left as written: each flag beside its value
        subprocess.run(
            [
                str(BIN / "beaconlake"), "simulate", "--out", str(input_path),
                "--hosts", str(hosts), "--days", "1", "--tenants", "3", "--seed", "1",
                "--start-date", day.isoformat(), "--overwrite",
            ],
            check=True,
        )  # fmt: skip
    subprocess.run(
        [str(BIN / "beaconlake"), "build", "--input", str(input_path), "--db", str(db)],
        check=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="DuckDB warehouse (built if new)")
    parser.add_argument("--input", type=Path, help="simulate --out folder, to build --db")
    parser.add_argument("--hosts", type=int, default=2000)
    parser.add_argument("--day", type=dt.date.fromisoformat, default=dt.date(2026, 3, 2))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    if not args.db.exists():
        if args.input is None:
            raise SystemExit(f"{args.db} does not exist: give --input to build it")
        build(args.db, args.input, args.hosts, args.day)
    work = Path(tempfile.mkdtemp(prefix="bench_confirm_"))
    command = [sys.executable, "-c", CONFIRM, str(args.db), args.day.isoformat(), str(args.workers)]
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print("| run | candidates | wall s | read s | score s | candidates/s | CPU s | peak GB |")
    print("|---|---|---|---|---|---|---|---|")
    for run in range(1, args.repeat + 1):
        log = work / f"confirm{run}.log"
        wall, cpu, peak = timed(command, log)
        out = json.loads(log.read_text().strip().splitlines()[-1])
        print(
            f"| {run} | {out['candidates']:,} | {wall:.1f} | {out['read_s']:.1f} "
            f"| {out['score_s']:.1f} | {out['candidates'] / wall:,.0f} | {cpu:.1f} "
            f"| {peak:.2f} |",
            flush=True,
        )
        print(f"  findings {out['findings']:,} {out['severity']} score sum {out['score_sum']}")


if __name__ == "__main__":
    main()
