"""One writer per DuckDB warehouse file, and readers that wait for it instead of breaking it.

DuckDB lets one process open a database file read-write, or many processes open it read-only,
never both. A run opens the file several times (dbt, the confirmation, dbt again), so on its own
nothing stops another process from taking the file between two of those opens. Two things fix
that:

* **The writer's lock.** ``writing(db, command)`` holds an exclusive ``flock`` on ``<db>.lock``
  (a file beside the database) for the whole of a run, ``beaconlake confirm`` or ``beaconlake
  build``, and writes the holder's pid, command and start time into it. The kernel drops the
  lock when the process ends, however it ends, so a killed run never blocks the next one; the
  text left behind is only read while the lock is held. The lock is re-entrant within a
  process, and forked children (the confirmation's workers) close their copy at once.
* **Bounded retries on DuckDB's own file lock.** ``connect`` retries DuckDB's "Could not set
  lock on file" for up to :func:`open_wait` seconds (``$BEACONLAKE_DUCKDB_OPEN_WAIT``, default
  60), then raises :class:`WarehouseBusy` naming the process that holds the file.

Readers (``beaconlake findings``, ``beaconlake export``) open the file read-only, so they work on
a read-only file or mount; while a writer holds the lock they wait up to a bound, then fail
with one line naming it. A plain ``dbt build`` (the ``beacon_findings`` Python model) runs in
dbt's own connection and does not take the lock.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from beaconlake.errors import BeaconlakeError, WarehouseBusy

if TYPE_CHECKING:
    import duckdb

#: Environment variable: seconds a process retries a DuckDB file another process holds open.
OPEN_WAIT_ENV = "BEACONLAKE_DUCKDB_OPEN_WAIT"
DEFAULT_OPEN_WAIT = 60.0
#: How long a writer keeps trying when the lock is held but names no live writer: another
#: process checking it for an instant, or a writer that has not yet written its line.
_UNNAMED_GRACE = 2.0

Notify = Callable[[str], None]
T = TypeVar("T")


def open_wait() -> float:
    """Seconds to retry a DuckDB file held by another process (``$BEACONLAKE_DUCKDB_OPEN_WAIT``)."""
    text = os.environ.get(OPEN_WAIT_ENV)
    if not text:
        return DEFAULT_OPEN_WAIT
    try:
        return max(0.0, float(text))
    except ValueError:
        raise BeaconlakeError(f"{OPEN_WAIT_ENV}={text!r} is not a number of seconds") from None


def lock_path(db: str | os.PathLike[str]) -> Path:
    """The lock file of a DuckDB database file: ``<db>.lock`` beside it."""
    return Path(f"{db}.lock")


@dataclass(frozen=True)
class Holder:
    """The process that holds a warehouse's lock, as it described itself."""

    pid: int
    command: str
    started_at: dt.datetime | None

    def describe(self) -> str:
        if not self.pid:
            return "another process"
        since = f", since {self.started_at:%H:%M:%S} UTC" if self.started_at else ""
        return f"pid {self.pid} ({self.command}{since})"


def _read_holder(fd: int) -> Holder | None:
    try:
        info = json.loads(os.pread(fd, 4096, 0).decode() or "null")
        started = info.get("started_at")
        return Holder(
            int(info["pid"]),
            str(info.get("command") or "unknown command"),
            dt.datetime.fromisoformat(started) if started else None,
        )
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@dataclass
class _Held:
    fd: int
    depth: int


_held: dict[str, _Held] = {}
_held_guard = threading.Lock()


def _key(db: str | os.PathLike[str]) -> str:
    return os.path.realpath(os.fspath(db))


def _close_in_child() -> None:
    """A forked child must not keep the parent's lock alive after the parent dies."""
    for held in _held.values():
        with suppress(OSError):
            os.close(held.fd)
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


def holds(db: str | os.PathLike[str]) -> bool:
    """Whether this process holds the writer's lock of ``db``."""
    return _key(db) in _held


def holder(db: str | os.PathLike[str]) -> Holder | None:
    """The writer holding the lock of ``db``: None when nobody (or this process) holds it.

    Checking takes a shared lock for an instant; the file is only opened for reading, so this
    works on a read-only folder (no lock file there means no writer).
    """
    if holds(db):
        return None
    try:
        fd = os.open(lock_path(db), os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_holder(fd) or Holder(0, "", None)  # a writer not yet named
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def _busy_for_writer(db: str | os.PathLike[str], who: Holder) -> WarehouseBusy:
    return WarehouseBusy(
        f"{db} is being written by {who.describe()}; wait for it or use another --db"
    )


@contextmanager
def writing(
    db: str | os.PathLike[str], command: str, wait: float = 0.0, notify: Notify | None = None
) -> Iterator[None]:
    """Hold the writer's lock of ``db`` for the block (re-entrant within the process).

    Another writer holding it: wait up to ``wait`` seconds (``notify`` gets one line when the
    wait starts), then raise :class:`WarehouseBusy` naming it.
    """
    key = _key(db)
    with _held_guard:
        if key in _held:
            _held[key].depth += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[key].depth -= 1
        return
    fd = _acquire(db, command, wait, notify)
    with _held_guard:
        _held[key] = _Held(fd, 1)
    try:
        yield
    finally:
        with _held_guard:
            del _held[key]
        try:
            os.ftruncate(fd, 0)  # a finished writer leaves no name behind
        finally:
            os.close(fd)  # releases the lock


def _acquire(db: str | os.PathLike[str], command: str, wait: float, notify: Notify | None) -> int:
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise WarehouseBusy(
            f"cannot create the lock file {path} ({exc.strerror}); a run needs a writable folder"
        ) from exc
    started = time.monotonic()
    deadline = started + wait
    delay = 0.05
    announced = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                pass
            now = time.monotonic()
            who = _read_holder(fd)
            if who is None or not _alive(who.pid):  # not (yet) named: give it a moment
                if now >= max(deadline, started + _UNNAMED_GRACE):
                    raise _busy_for_writer(db, Holder(0, "", None))
            elif now >= deadline:
                raise _busy_for_writer(db, who)
            elif notify and not announced:
                notify(f"waiting up to {wait:.0f} s: {db} is being written by {who.describe()}")
                announced = True
            time.sleep(min(delay, max(0.01, deadline - now)))
            delay = min(delay * 2, 1.0)
        now_utc = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        info = {
            "pid": os.getpid(),
            "command": command,
            "started_at": now_utc.isoformat(timespec="seconds"),
            "argv": " ".join(sys.argv)[:500],
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
    except BaseException:
        os.close(fd)
        raise
    return fd


def wait_for_writer(db: str | os.PathLike[str], wait: float, notify: Notify | None = None) -> float:
    """Return once no other process holds the writer's lock of ``db``; the seconds left of
    ``wait``. While one does, ``notify`` gets one line and the wait lasts up to ``wait``
    seconds, then :class:`WarehouseBusy` names the writer."""
    deadline = time.monotonic() + wait
    who = holder(db)
    if who is None:
        return wait
    message = f"{db} is being written by {who.describe()}"
    if wait <= 0:
        raise WarehouseBusy(f"{message}; try again when it ends (--wait SECONDS)")
    if notify:
        notify(f"waiting up to {wait:.0f} s: {message}")
    delay = 0.1
    while (who := holder(db)) is not None:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WarehouseBusy(
                f"{db} is still being written by {who.describe()} after {wait:.0f} s; "
                "try again when it ends"
            )
        time.sleep(min(delay, left))
        delay = min(delay * 2, 1.0)
    return max(0.0, deadline - time.monotonic())


_CONFLICT = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


def is_lock_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is DuckDB failing to open a file another process holds."""
    return "Could not set lock on file" in str(exc)


def blocker(exc: BaseException) -> str:
    """The process named by DuckDB's lock-conflict error, as ``pid N (command line)``."""
    match = _CONFLICT.search(str(exc))
    if not match:
        return "another process"
    program, pid = match.group(1), int(match.group(2))
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
        shown = raw.replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        shown = program
    shown = " ".join(shown.split()) or program  # one line, whatever the command line holds
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return f"pid {pid} ({shown})"


def _held_open(db: str | os.PathLike[str], exc: BaseException) -> str:
    return f"{db} is held open by {blocker(exc)}"


def retrying(
    db: str | os.PathLike[str],
    attempt: Callable[[], T],
    wait: float | None = None,
    notify: Notify | None = None,
) -> T:
    """``attempt()``, retried with backoff while DuckDB reports ``db`` held by another process;
    after ``wait`` seconds (default :func:`open_wait`) :class:`WarehouseBusy` names it."""
    wait = open_wait() if wait is None else wait
    deadline = time.monotonic() + wait
    delay = 0.1
    announced = False
    while True:
        try:
            return attempt()
        except Exception as exc:
            if not is_lock_conflict(exc):
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise WarehouseBusy(
                    f"{_held_open(db, exc)}; close it (BI tools can read a copy: "
                    "beaconlake export) or try again"
                ) from exc
            if notify and not announced:
                notify(f"{_held_open(db, exc)}; retrying for up to {wait:.0f} s")
                announced = True
            time.sleep(min(delay, left))
            delay = min(delay * 2, 2.0)


def connect(
    db: str | os.PathLike[str],
    read_only: bool = False,
    wait: float | None = None,
    notify: Notify | None = None,
) -> duckdb.DuckDBPyConnection:
    """``duckdb.connect``, retried while another process holds the file (see ``retrying``)."""
    import duckdb

    return retrying(db, lambda: duckdb.connect(os.fspath(db), read_only=read_only), wait, notify)


def wait_until_writable(
    db: str | os.PathLike[str], wait: float | None = None, notify: Notify | None = None
) -> None:
    """Return once this process can open ``db`` read-write (retrying as ``connect`` does)."""
    connect(db, read_only=False, wait=wait, notify=notify).close()


@contextmanager
def reading(
    db: str | os.PathLike[str], wait: float = DEFAULT_OPEN_WAIT, notify: Notify | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only DuckDB connection to ``db``, once no writer holds it (``wait_for_writer``);
    a file still held open by another process is retried for what is left of ``wait``."""
    left = wait_for_writer(db, wait, notify)
    con = connect(db, read_only=True, wait=left, notify=notify)
    try:
        yield con
    finally:
        con.close()
