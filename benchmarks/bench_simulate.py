"""Benchmark the simulator: events per second, wall time and peak memory of one run.

python benchmarks/bench_simulate.py --hosts 10000 --days 1 --out data/bench
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--tenants", type=int, default=5)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    # left as written: each flag beside its value
    cmd = [
        sys.executable, "-m", "beaconlake.cli", "simulate", "--out", str(args.out),
        "--hosts", str(args.hosts), "--days", str(args.days), "--tenants", str(args.tenants),
        "--seed", str(args.seed), "--overwrite",
    ]  # fmt: skip
    started = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    summary = json.loads((args.out / "manifest.json").read_text())["summary"]
    disk = sum(p.stat().st_size for p in (args.out / "events").rglob("*.parquet"))
    print(
        f"\nsimulate: {summary['events']:,} events, {args.hosts:,} hosts x {args.days} day(s)\n"
        f"  wall time        {wall:8.1f} s\n"
        f"  throughput       {summary['events'] / wall:12,.0f} events/s\n"
        # CPU time is steadier than wall time on a machine shared with other jobs.
        f"  CPU time         {cpu:8.1f} s ({summary['events'] / cpu:,.0f} events per CPU-second)\n"
        f"  peak memory      {peak_mb:8.0f} MB (largest single process)\n"
        f"  parquet on disk  {disk / 2**20:8.0f} MB ({disk / summary['events']:.1f} bytes/event)"
    )
    mix = summary.get("events_by_category", {})
    if mix:
        total = sum(mix.values())
        print("  events by category:")
        for category, n in mix.items():
            print(f"    {category:<18} {n:14,} {n / total:7.2%}")


if __name__ == "__main__":
    main()
