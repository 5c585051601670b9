"""A run owns its DuckDB warehouse: other writers get one line, readers wait for it or read a
copy, a reader that holds the file delays a run instead of killing it, and a killed run is
repaired by running it again.

Every check drives real processes (``python -m beaconlake.cli``, DuckDB readers, SIGKILL) and
waits for what they print or hold, each wait bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from beaconlake import lock
from beaconlake.confirm.batch import BLAS_THREADS, _start_worker
from beaconlake.project import schema_of
from beaconlake.simulate.generator import simulate
from beaconlake.simulate.scenario import BeaconSpec, Scenario

pytestmark = pytest.mark.slow

PLANTED = (
    BeaconSpec("c2-50m", 3000, 0.3, "uniform", queries_per_beat=2, query_name="api.kolibrax.top"),
    BeaconSpec(
        "c2-10m", 600, 0.2, "sleep_reduction", subdomain_per_beat=True, query_name="t.zumbaxo.xyz"
    ),
)
#: A bound for anything a tiny run does, on a busy machine; never a measurement.
PATIENCE = 600.0
#: What a run publishes, compared between runs (``confirmed_at`` set aside).
PUBLISHED = (
    "beacon_findings",
    "fct_beacon_findings",
    "fct_beacon_incidents",
    "rpt_beacon_alerts",
    "fct_dns_event_counts",
    "fct_beacon_candidates",
)
_KEYS = (
    "window_start",
    "tenant_id",
    "host_id",
    "domain_level",
    "domain",
    "event_date",
    "incident_id",
)


def _until(what: str, check: Callable[[], object], timeout: float = PATIENCE) -> object:
    """Poll ``check`` until it returns something true; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class Proc:
    """A child process with its stdout and stderr in files (read while it runs)."""

    def __init__(
        self,
        args: list[str],
        folder: Path,
        name: str,
        stdin: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.out_path, self.err_path = folder / f"{name}.out", folder / f"{name}.err"
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        with self.out_path.open("w") as out, self.err_path.open("w") as err:
            self.popen = subprocess.Popen(
                args,
                stdout=out,
                stderr=err,
                env=env,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                text=True,
            )
        self.pid = self.popen.pid

    @property
    def out(self) -> str:
        return self.out_path.read_text()

    @property
    def err(self) -> str:
        return self.err_path.read_text()

    def printed(self, text: str, stream: str = "err") -> bool:
        """Whether ``text`` is in its ``stream`` yet; fails the test once it has ended without."""
        if text in (self.out if stream == "out" else self.err):
            return True
        if self.popen.poll() is not None:
            pytest.fail(f"exited {self.popen.returncode} before printing {text!r}: {self.err}")
        return False

    def answered(self, text: str, before: int) -> bool:
        """Whether ``text`` is in its stdout more often than ``before`` (see ``printed``)."""
        if self.out.count(text) > before:
            return True
        if self.popen.poll() is not None:
            pytest.fail(f"exited {self.popen.returncode} before printing {text!r}: {self.err}")
        return False

    def wait(self, timeout: float = PATIENCE) -> int:
        return self.popen.wait(timeout)

    def kill(self) -> None:
        if self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait(PATIENCE)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "beaconlake.cli", *args]


def _start(folder: Path, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
    return Proc(_cli(*args), folder, name, env=env)


def _cli_run(folder: Path, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
    proc = _start(folder, name, *args, env=env)
    proc.wait()
    return proc


def _listing(db: Path) -> list[str]:
    """``beaconlake findings`` listing every finding of ``db`` as CSV."""
    # left as written: each flag beside its value
    return ["findings", "--db", str(db), "--per-window", "--format", "csv", "--min-severity",
            "info", "--limit", "100000"]  # fmt: skip


def _one_error_line(proc: Proc) -> str:
    """The error of a command that failed as a user error: exit 2, one line, no traceback."""
    assert proc.popen.returncode == 2, proc.err
    assert "Traceback" not in proc.err + proc.out
    errors = [line for line in proc.err.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, proc.err
    return errors[0]


class BiTool:
    """Another program that opens the warehouse read-only when told and holds it open."""

    SCRIPT = textwrap.dedent(
        """
        import sys, time, duckdb
        con = None
        print("ready", flush=True)
        for line in sys.stdin:
            command = line.strip()
            if command == "open":
                deadline = time.monotonic() + 600
                while con is None:
                    try:
                        con = duckdb.connect(sys.argv[1], read_only=True)
                    except duckdb.IOException:  # a writer has it now: a viewer tries again
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(0.02)
                print("opened", flush=True)
            elif command.startswith("count "):
                table = command.split()[1]
                print(con.execute(f"select count(*) from {table}").fetchone()[0], flush=True)
            elif command == "close":
                con.close()
                con = None
                print("closed", flush=True)
        """
    )

    def __init__(self, db: Path, folder: Path, name: str = "bi") -> None:
        self.proc = Proc([sys.executable, "-c", self.SCRIPT, str(db)], folder, name, stdin=True)
        _until("the BI tool to start", lambda: self.proc.printed("ready", "out"))

    def tell(self, command: str, answer: str) -> None:
        before = self.proc.out.count(answer)
        assert self.proc.popen.stdin is not None
        self.proc.popen.stdin.write(command + "\n")
        self.proc.popen.stdin.flush()
        _until(f"the BI tool to answer {command!r}", lambda: self.proc.answered(answer, before))

    def stop(self) -> None:
        if self.proc.popen.stdin and not self.proc.popen.stdin.closed:
            self.proc.popen.stdin.close()
        self.proc.kill()


@pytest.fixture
def bi_tools(tmp_path: Path) -> Iterator[Callable[[Path], BiTool]]:
    started: list[BiTool] = []

    def start(db: Path) -> BiTool:
        started.append(BiTool(db, tmp_path, f"bi{len(started)}"))
        return started[-1]

    yield start
    for tool in started:
        tool.stop()


def _published(db: Path) -> dict[str, pd.DataFrame]:
    frames = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in PUBLISHED:
            frame = con.execute(f'select * from "{schema_of("main", table)}".{table}').df()
            frame = frame.drop(columns=["confirmed_at"], errors="ignore")
            keys = [k for k in _KEYS if k in frame]
            frames[table] = frame.sort_values(keys, kind="stable").reset_index(drop=True)
    return frames


def _assert_same_published(db: Path, expected: dict[str, pd.DataFrame]) -> None:
    found = _published(db)
    assert len(found["fct_beacon_findings"]) > 0
    for table in PUBLISHED:
        pd.testing.assert_frame_equal(found[table], expected[table], obj=table)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fleet")
    scenario = Scenario(hosts=8, days=2, tenants=1, seed=4, events_per_host=800, beacons=PLANTED)
    simulate(scenario, out / "sim", workers=1)
    return out / "sim"


@pytest.fixture(scope="module")
def reference(fleet: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An undisturbed run on a fresh database, with its export."""
    folder = tmp_path_factory.mktemp("reference")
    db = folder / "bl.duckdb"
    # left as written: each flag beside its value
    proc = _cli_run(folder, "run", "run", "--input", str(fleet), "--db", str(db),
                    "--export", str(folder / "bi.duckdb"))  # fmt: skip
    assert proc.popen.returncode == 0, proc.err
    return db


@pytest.fixture(scope="module")
def expected(reference: Path) -> dict[str, pd.DataFrame]:
    return _published(reference)


def _window(expected: dict[str, pd.DataFrame]) -> tuple[str, str]:
    stored = expected["beacon_findings"]
    last_day = stored.window_end.max().date() - dt.timedelta(days=1)  # window_end is exclusive
    return str(stored.window_start.min().date()), str(last_day)


# --- a run and the others: writers, readers, a program holding the file -------------------


def test_during_a_run_writers_get_one_line_and_readers_wait(
    fleet: Path,
    reference: Path,
    expected: dict[str, pd.DataFrame],
    tmp_path: Path,
    bi_tools: Callable[[Path], BiTool],
) -> None:
    """A run (held at its first open by a BI tool, so it owns the lock for as long as the
    checks take) turns away a second run, a confirm and a build with one line each, and a
    reader that will not wait; a reader and a writer that wait get their turn after it, and
    the run itself completes with the same findings as an undisturbed run."""
    db = tmp_path / "bl.duckdb"
    shutil.copy(reference, db)
    start, end = _window(expected)
    tool = bi_tools(db)
    tool.tell("open", "opened")
    # held at its first open for as long as the checks below take
    # left as written: each flag beside its value
    run = _start(tmp_path, "run", "run", "--input", str(fleet), "--db", str(db),
                 env={lock.OPEN_WAIT_ENV: str(PATIENCE)})  # fmt: skip
    _until("the run to wait for the BI tool", lambda: run.printed("retrying for up to"))
    held_by = lock.holder(db)
    assert held_by is not None and held_by.pid == run.pid and held_by.command == "beaconlake run"
    assert f"held open by pid {tool.proc.pid} " in run.err

    busy = f"{db} is being written by pid {run.pid} (beaconlake run, since "
    for name, args in {
        "run2": ["run", "--input", str(fleet), "--db", str(db)],
        "confirm": ["confirm", "--db", str(db), "--start", start, "--end", end],
        "build": ["build", "--input", str(fleet), "--db", str(db)],
    }.items():
        line = _one_error_line(_cli_run(tmp_path, name, *args))
        assert line.startswith(f"Error: {busy}") and line.endswith(
            "; wait for it or use another --db"
        ), line
    impatient = _one_error_line(
        _cli_run(tmp_path, "now", "findings", "--db", str(db), "--wait", "0")
    )
    assert impatient.startswith(f"Error: {busy}"), impatient

    reader = _start(tmp_path, "reader", *_listing(db), "--wait", str(PATIENCE))
    # left as written: each flag beside its value
    writer = _start(tmp_path, "writer", "confirm", "--db", str(db), "--start", start,
                    "--end", end, "--wait", str(PATIENCE))  # fmt: skip
    waiting = f"waiting up to {PATIENCE:.0f} s: {busy}"
    _until("the reader to say it waits", lambda: reader.printed(waiting))
    _until("the writer to say it waits", lambda: writer.printed(waiting))
    assert run.popen.poll() is None  # still held at its first open, lock in hand

    tool.tell("close", "closed")
    assert run.wait() == 0, run.err
    assert "Traceback" not in run.err + run.out
    assert reader.wait() == 0, reader.err
    assert writer.wait() == 0, writer.err
    listed = pd.read_csv(reader.out_path)
    assert len(listed) == len(expected["fct_beacon_findings"])
    assert lock.holder(db) is None
    _assert_same_published(db, expected)


def test_a_reader_between_the_phases_delays_the_run(
    fleet: Path,
    expected: dict[str, pd.DataFrame],
    tmp_path: Path,
    bi_tools: Callable[[Path], BiTool],
) -> None:
    """A program that opens the file while the run scores (no connection of the run is open
    then) makes the run's next open wait, with one line naming it, until it lets go."""
    db = tmp_path / "bl.duckdb"
    tool = bi_tools(db)
    run = _start(tmp_path, "run", "run", "--input", str(fleet), "--db", str(db))
    _until("the confirmation to start", lambda: run.printed("confirming: 0 of"))
    tool.tell("open", "opened")
    _until("the run to wait for the BI tool", lambda: run.printed("retrying for up to"))
    assert f"held open by pid {tool.proc.pid} " in run.err
    tool.tell("count main.fct_beacon_candidates", "\n")  # it reads while the run waits
    tool.tell("close", "closed")
    assert run.wait() == 0, run.err
    assert "Traceback" not in run.err + run.out
    _assert_same_published(db, expected)


def test_a_reader_that_never_lets_go_fails_the_run_in_one_line(
    fleet: Path,
    expected: dict[str, pd.DataFrame],
    tmp_path: Path,
    bi_tools: Callable[[Path], BiTool],
) -> None:
    """Held past the bound while the run scores: the run fails with one line naming the
    program; its lock is free again, and the same command afterwards restores the findings."""
    db = tmp_path / "bl.duckdb"
    tool = bi_tools(db)
    args = ["run", "--input", str(fleet), "--db", str(db)]
    run = _start(tmp_path, "run", *args, env={lock.OPEN_WAIT_ENV: "2"})
    _until("the confirmation to start", lambda: run.printed("confirming: 0 of"))
    tool.tell("open", "opened")
    run.wait()
    line = _one_error_line(run)
    assert line.startswith(f"Error: {db} is held open by pid {tool.proc.pid} ("), line
    assert lock.holder(db) is None
    tool.tell("close", "closed")
    again = _cli_run(tmp_path, "again", *args)
    assert again.popen.returncode == 0, again.err
    _assert_same_published(db, expected)


# --- readers open read-only ----------------------------------------------------------------


def test_findings_and_export_read_beside_another_reader(
    reference: Path,
    expected: dict[str, pd.DataFrame],
    tmp_path: Path,
    bi_tools: Callable[[Path], BiTool],
) -> None:
    """DuckDB refuses a read-write open while another process reads the file, so these
    succeed only because they open it read-only."""
    db = tmp_path / "bl.duckdb"
    shutil.copy(reference, db)
    bi_tools(db).tell("open", "opened")
    with pytest.raises(duckdb.IOException, match="Could not set lock"):
        duckdb.connect(str(db)).close()  # what a read-write reader would meet
    listed = _cli_run(tmp_path, "findings", *_listing(db), "--wait", "0")
    assert listed.popen.returncode == 0, listed.err
    assert len(pd.read_csv(listed.out_path)) == len(expected["fct_beacon_findings"])
    # left as written: each flag beside its value
    exported = _cli_run(tmp_path, "export", "export", "--db", str(db), "--out",
                        str(tmp_path / "bi.duckdb"), "--wait", "0")  # fmt: skip
    assert exported.popen.returncode == 0, exported.err


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes through read-only permissions")
def test_findings_on_a_read_only_folder(
    reference: Path, expected: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = folder / "bl.duckdb"
    shutil.copy(reference, db)
    db.chmod(0o444)
    folder.chmod(0o555)
    try:
        listed = _cli_run(tmp_path, "findings", *_listing(db))
        assert listed.popen.returncode == 0, listed.err
        assert len(pd.read_csv(listed.out_path)) == len(expected["fct_beacon_findings"])
        exported = _cli_run(
            tmp_path, "export", "export", "--db", str(db), "--out", str(tmp_path / "bi.duckdb")
        )
        assert exported.popen.returncode == 0, exported.err
        # left as written: each flag beside its value
        writer = _cli_run(tmp_path, "confirm", "confirm", "--db", str(db), "--start",
                          "2026-11-02", "--end", "2026-11-03")  # fmt: skip
        assert "cannot create the lock file" in _one_error_line(writer)
    finally:
        folder.chmod(0o755)


# --- the export ---------------------------------------------------------------------------


def test_run_exports_the_published_marts(
    reference: Path, expected: dict[str, pd.DataFrame]
) -> None:
    with duckdb.connect(str(reference.parent / "bi.duckdb"), read_only=True) as con:
        for table in ("fct_beacon_findings", "rpt_beacon_alerts", "fct_dns_event_counts"):
            frame = con.execute(f'select * from "{schema_of("main", table)}".{table}').df()
            frame = frame.drop(columns=["confirmed_at"], errors="ignore")
            keys = [k for k in _KEYS if k in frame]
            frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
            pd.testing.assert_frame_equal(frame, expected[table], obj=table)
        [(source,)] = con.execute("select source from main.beaconlake_export").fetchall()
    assert source == str(reference.resolve())


def test_an_export_held_open_is_replaced_without_waiting(
    reference: Path, tmp_path: Path, bi_tools: Callable[[Path], BiTool]
) -> None:
    """A dashboard keeps the previous export open; the next export replaces the file at once,
    and the dashboard reads its old copy until it reopens."""
    out = tmp_path / "bi.duckdb"
    first = _cli_run(tmp_path, "first", "export", "--db", str(reference), "--out", str(out))
    assert first.popen.returncode == 0, first.err
    tool = bi_tools(out)
    tool.tell("open", "opened")
    db = tmp_path / "bl.duckdb"
    shutil.copy(reference, db)
    with duckdb.connect(str(db)) as con:  # a later run that found nothing
        con.execute("delete from main_findings.fct_beacon_findings")
    # left as written: each flag beside its value
    second = _cli_run(tmp_path, "second", "export", "--db", str(db), "--out", str(out),
                      "--wait", "0")  # fmt: skip
    assert second.popen.returncode == 0, second.err
    assert "fct_beacon_findings 0 rows" in second.out
    tool.tell("count main_findings.fct_beacon_findings", "\n")
    assert int(tool.proc.out.split()[-1]) > 0  # the old copy, still open
    with duckdb.connect(str(out), read_only=True) as con:
        count = con.execute("select count(*) from main_findings.fct_beacon_findings").fetchone()
        assert count == (0,)
    assert not list(tmp_path.glob(".bi.duckdb.*"))  # no partial file left behind


# --- faults: a run killed anywhere is repaired by running it again -------------------------

#: Where to kill a run: what it prints once it is under way in that phase.
KILL_POINTS = {
    "dbt candidates": ("out", "START sql incremental model main.int_dns_pairs_aggregated_to_days"),
    "confirmation": ("err", "confirming: 0 of"),
    "dbt findings marts": ("out", "START sql table model main_findings.fct_beacon_findings"),
}


@pytest.mark.parametrize("phase", list(KILL_POINTS))
def test_a_killed_run_is_repaired_by_running_it_again(
    phase: str, fleet: Path, expected: dict[str, pd.DataFrame], tmp_path: Path
) -> None:
    db = tmp_path / "bl.duckdb"
    args = ["run", "--input", str(fleet), "--db", str(db)]
    run = _start(tmp_path, "killed", *args)
    stream, marker = KILL_POINTS[phase]
    _until(f"the run to reach the {phase}", lambda: run.printed(marker, stream))
    os.kill(run.pid, signal.SIGKILL)
    assert run.wait() == -signal.SIGKILL  # killed there, not finished already
    stale = json.loads(lock.lock_path(db).read_text())
    assert stale["pid"] == run.pid  # its line stays behind; the kernel freed its lock
    again = _cli_run(tmp_path, "again", *args)
    assert again.popen.returncode == 0, again.err
    assert "Traceback" not in again.err + again.out
    _assert_same_published(db, expected)


# --- the lock itself, and the confirmation's workers ---------------------------------------

_HOLD = textwrap.dedent(
    """
    import multiprocessing, sys, time
    from beaconlake import lock

    with lock.writing(sys.argv[1], "beaconlake run"):
        if sys.argv[2] == "fork":
            child = multiprocessing.get_context("fork").Process(target=time.sleep, args=(600,))
            child.start()
            print("child", child.pid, flush=True)
        print("held", flush=True)
        time.sleep(600)
    """
)


@pytest.mark.parametrize("with_child", [False, True], ids=["alone", "with-forked-child"])
def test_a_killed_writer_leaves_the_lock_free(tmp_path: Path, with_child: bool) -> None:
    """The kernel drops the lock of a killed writer, also when a child it forked lives on."""
    db = tmp_path / "bl.duckdb"
    holder = Proc(
        [sys.executable, "-c", _HOLD, str(db), "fork" if with_child else "alone"],
        tmp_path,
        "holder",
    )
    child = None
    try:
        _until("the writer to take the lock", lambda: holder.printed("held", "out"), timeout=60)
        if with_child:
            child = int(holder.out.split()[1])
        held = lock.holder(db)
        assert held is not None and held.pid == holder.pid
        holder.kill()
        if child is not None:
            assert _alive(child)
        with lock.writing(db, "beaconlake run", wait=0):
            assert json.loads(lock.lock_path(db).read_text())["pid"] == os.getpid()
    finally:
        holder.kill()
        if child is not None and _alive(child):
            os.kill(child, signal.SIGKILL)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


_CONFIRM_MANY = textwrap.dedent(
    """
    import numpy as np, pandas as pd
    from beaconlake.confirm.batch import confirm

    rng = np.random.default_rng(0)
    n, beats = 2000, 1440
    keys = pd.DataFrame({"tenant_id": "t", "host_id": [f"h{i}" for i in range(n)],
                         "domain": "c2.example"})
    events = keys.loc[keys.index.repeat(beats)].reset_index(drop=True)
    events["event_epoch"] = np.tile(np.arange(beats) * 60.0, n) + rng.uniform(0, 20, n * beats)
    print("scoring", flush=True)
    confirm(keys, events, 0.0, 86400.0, workers=2, rotations=False)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_confirmation_workers_die_with_a_killed_parent(tmp_path: Path) -> None:
    parent = Proc([sys.executable, "-c", _CONFIRM_MANY], tmp_path, "confirm")
    workers: list[int] = []
    try:
        _until("the pool's two workers", lambda: len(_children(parent.pid)) >= 2, timeout=120)
        workers = _children(parent.pid)
        assert all(_alive(pid) for pid in workers)
        parent.kill()
        _until("the workers to end", lambda: not any(_alive(pid) for pid in workers), 30)
    finally:
        parent.kill()
        for pid in workers:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _blas_threads() -> int:
    return max(i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas")


def test_confirmation_workers_score_on_one_blas_thread_each() -> None:
    """A worker already has a core to itself: BLAS threads of its own would compete for it."""
    with threadpool_limits(BLAS_THREADS + 1, user_api="blas"):
        assert _blas_threads() == BLAS_THREADS + 1
        with ProcessPoolExecutor(1, initializer=_start_worker, initargs=(os.getpid(),)) as pool:
            assert pool.submit(_blas_threads).result() == BLAS_THREADS
