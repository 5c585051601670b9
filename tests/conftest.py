"""Shared fixtures: a small simulated dataset reused by several test modules."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from beaconlake.replay import shared_data_dir
from beaconlake.simulate.generator import SimulationSummary, simulate
from beaconlake.simulate.scenario import BeaconSpec, Scenario

#: Real logs and lists from public sources, kept beside the repository (never copied into it).
SHARED_DATA = shared_data_dir()

#: Planted beacons whose parameters the simulator tests check statistically.
PLANTED = (
    BeaconSpec("uniform-50m", 3000, 0.3, "uniform", hosts=2, queries_per_beat=2),
    BeaconSpec("sleep-10m", 600, 0.5, "sleep_reduction", queries_per_beat=1),
    BeaconSpec("gauss-5m", 300, 0.2, "gaussian", queries_per_beat=3),
    BeaconSpec("additive-15m", 900, 0.4, "additive"),
    BeaconSpec("drop-1m", 60, 0.1, "uniform", drop_prob=0.25),
    BeaconSpec("tunnel-2m", 120, 0.1, "uniform", subdomain_per_beat=True),
    BeaconSpec("night-5m", 300, 0.1, "uniform", offline_at_night=True, hosts=3),
)

#: Temporary folders of the last runs kept for inspection, as pytest's own default keeps.
_KEEP_RUNS = 3
#: A test session holds a lock on ``<run folder>.lock`` for as long as it lives, so that a
#: session started beside it never removes its folder (the kernel drops the lock when the
#: process ends, however it ends). Beside the folder, not in it: pytest empties a given
#: basetemp when it starts.
_held_run_lock: int | None = None


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Put pytest's temporary folders inside the local Trino server's lake (the one folder its
    Hive catalog may read), so a test's input is as reachable from Trino as from DuckDB."""
    if config.option.basetemp:
        return
    root = Path(os.environ.get("BEACONLAKE_TRINO_LOCAL_ROOT") or _server_lake())
    os.environ["BEACONLAKE_TRINO_LOCAL_ROOT"] = str(root)
    if root == Path("/"):  # a server not confined reaches pytest's own folders
        return
    runs = root / "pytest"
    runs.mkdir(parents=True, exist_ok=True)
    folders = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in folders[: -_KEEP_RUNS + 1 or None]:
        lock = _run_lock(old)
        if lock is not None:
            shutil.rmtree(old, ignore_errors=True)
            Path(f"{old}.lock").unlink(missing_ok=True)
            os.close(lock)
    basetemp = tempfile.mkdtemp(prefix="run-", dir=runs)
    global _held_run_lock
    _held_run_lock = _run_lock(Path(basetemp))
    config.option.basetemp = basetemp


def _run_lock(run: Path) -> int | None:
    """The lock of a run folder, taken (a descriptor), or None while a live session holds it."""
    fd = os.open(f"{run}.lock", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _server_lake() -> str:
    """The folder ``trino/server.sh`` confines the server's local file system to."""
    script = Path(__file__).resolve().parents[1] / "trino" / "server.sh"
    done = subprocess.run(["bash", str(script), "lake"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


SMALL = Scenario(hosts=150, days=2, tenants=3, seed=11, events_per_host=1500, beacons=PLANTED)


@pytest.fixture(scope="session")
def small_scenario() -> Scenario:
    return SMALL


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("sim")
    return out, simulate(SMALL, out, workers=1)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The shared real-data folder; tests that need it skip cleanly when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (set BEACONLAKE_SHARED_DATA)")
    return SHARED_DATA
