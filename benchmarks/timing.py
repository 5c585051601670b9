"""Wall time, CPU time and peak memory of a benchmark's child processes, from ``wait4``; the
time of each dbt node they ran, from dbt's ``run_results.json``."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Step:
    wall: float
    cpu: float
    peak_gb: float
    log: Path


def timed(command: list[str], env: dict[str, str], log: Path) -> Step:
    """Run one child process; its wall time, and the CPU time and peak RSS of its tree."""
    with log.open("w") as out:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.stderr.write(log.read_text()[-4000:])
        raise SystemExit(f"{' '.join(command[:2])} failed (exit {child.returncode}); log: {log}")
    # ru_maxrss: KiB on Linux, the largest process of the tree the child waited for
    return Step(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024**2, log)


def _run_results(step: Step) -> list[dict]:
    """The node results of a dbt run whose target folder (``DBT_TARGET_PATH``) holds the log."""
    return json.loads((step.log.parent / "run_results.json").read_text())["results"]


def node_times(step: Step) -> dict[str, tuple[str, float]]:
    """Each node's status and seconds (dbt's ``execution_time``), by unique id."""
    return {r["unique_id"]: (r["status"], r["execution_time"]) for r in _run_results(step)}


def node_span(step: Step) -> float:
    """Seconds from the first node's start to the last node's end: the wall time of the nodes,
    which run several at a time (dbt threads), without dbt's start-up, parse and hooks."""
    stamps = [
        dt.datetime.fromisoformat(t[key])
        for r in _run_results(step)
        for t in r["timing"]
        for key in ("started_at", "completed_at")
    ]
    return (max(stamps) - min(stamps)).total_seconds() if stamps else 0.0


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``a/b/c``."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def last_json(log: Path) -> Any:
    """The JSON object a child process printed as the last line of its log."""
    return json.loads(log.read_text().strip().splitlines()[-1])
