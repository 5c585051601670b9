"""Wall time, CPU time and peak memory of a benchmark's child processes, from ``wait4``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


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


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``a/b/c``."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())
