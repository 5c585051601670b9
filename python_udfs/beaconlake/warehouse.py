"""Run the dbt project (raw DNS events → beacon candidates) from Python and from the CLI.

``build`` generates the Public Suffix List seed, then runs ``dbt build`` in-process through
``dbt.cli.main.dbtRunner`` against ``profiles/profiles.yml`` (DuckDB by default; the database
file comes from ``--db`` / ``BEACONLAKE_DUCKDB_PATH``); ``beaconlake build`` calls it. Thresholds
and windows are dbt vars (``dbt_project.yml`` holds the one copy of every default); ``--var
KEY=VALUE`` overrides them per run.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from beaconlake.errors import ConfigError, WarehouseBusy
from beaconlake.project import check_vars, parse_date, project_dir


def raw_glob(input_path: str | os.PathLike[str]) -> str:
    """The Parquet glob for an input: a ``simulate --out`` folder, an events folder or a glob."""
    text = str(input_path)
    if any(ch in text for ch in "*?["):
        return text
    path = Path(text)
    if (path / "events").is_dir():
        path = path / "events"
    return str(path.resolve() / "**" / "*.parquet")


@dataclass(frozen=True)
class BuildResult:
    """Outcome of one dbt invocation."""

    success: bool
    #: ``(unique_id, status, execution_time_seconds)`` per node, from dbt's run results.
    nodes: list[tuple[str, str, float]] = field(default_factory=list)
    #: dbt's log file for this invocation.
    log_path: Path | None = None
    #: the first line of the first failure (a node's error or a failing test), when it failed
    error: str | None = None


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _release_duckdb() -> None:
    """Close the database dbt-duckdb keeps open in-process, so callers can read the file."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # another adapter only
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        try:
            environment.close()
        finally:
            DuckDBConnectionManager.close_all_connections()


def _target(target: str | None) -> str:
    """The dbt target a command runs on: ``target``, else the profile's default."""
    return target or os.environ.get("BEACONLAKE_TARGET") or "duckdb"


def run_dbt(
    command: Sequence[str],
    dbt_vars: Mapping[str, Any] | None = None,
    db_path: str | os.PathLike[str] | None = None,
    target: str | None = None,
    notify: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run one dbt command (``["build", "--select", ...]``) in-process.

    A failed build is a result, not an exception. On DuckDB, a database file another process
    holds open is waited for first (``beaconlake.lock.wait_until_writable``; dbt's own open
    retries too, see ``profiles/profiles.yml``), and raises ``WarehouseBusy`` naming that
    process when it stays held.
    """
    from dbt.cli.main import dbtRunner

    from beaconlake import lock
    from beaconlake.store import duckdb_path

    on_duckdb = _target(target) == "duckdb"
    if on_duckdb:
        lock.wait_until_writable(duckdb_path(db_path), notify=notify)
    root = project_dir()
    args = [*command, "--project-dir", str(root), "--profiles-dir", str(root / "profiles")]
    if not sys.stdout.isatty():  # a scheduler's log: no colour codes
        args += ["--no-use-colors"]
    if dbt_vars:
        args += ["--vars", json.dumps(dict(dbt_vars))]
    if target:
        args += ["--target", target]
    env = {"BEACONLAKE_DUCKDB_PATH": str(Path(db_path).resolve())} if db_path else {}
    with _environment(env):
        try:
            result = dbtRunner().invoke(args)
        finally:
            _release_duckdb()
    if on_duckdb and result.exception is not None and lock.is_lock_conflict(result.exception):
        db = duckdb_path(db_path)
        raise WarehouseBusy(
            f"{db} is held open by {lock.blocker(result.exception)}; close it or try again"
        ) from result.exception
    nodes = []
    error = str(result.exception) if result.exception else None
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status)
        nodes.append((node_result.node.unique_id, status, float(node_result.execution_time or 0.0)))
        if error is None and status in ("error", "fail") and node_result.message:
            error = f"{node_result.node.name}: {node_result.message}"
    log_dir = os.environ.get("DBT_LOG_PATH") or str(root / "logs")
    return BuildResult(
        success=bool(result.success),
        nodes=nodes,
        log_path=Path(log_dir) / "dbt.log",
        error=_first_line(error) if error and not result.success else None,
    )


def _first_line(text: str) -> str:
    """The first informative line of a dbt message (dbt starts some with a header line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    informative = [line for line in lines if not line.endswith(("Error", "Error:"))]
    return (informative or lines or [text])[0][:300]


def build(
    input_path: str | os.PathLike[str],
    db_path: str | os.PathLike[str] | None = None,
    start_date: str | None = None,
    end_date: str | None = None,
    full_refresh: bool = False,
    select: str | None = None,
    extra_vars: Mapping[str, Any] | None = None,
    target: str | None = None,
    exclude: str | None = None,
    selector: str | None = None,
    wait: float = 0.0,
    notify: Callable[[str], None] | None = None,
) -> BuildResult:
    """``dbt build`` the project over one input (``selector``: one of ``selectors.yml``).

    ``start_date``/``end_date`` (``YYYY-MM-DD``, inclusive) bound the days this run (re)builds;
    without them the first run takes every partition and later runs continue from the latest
    day already built. On DuckDB the build holds the warehouse's writer lock
    (``beaconlake.lock.writing``; another writer: wait up to ``wait`` seconds, then
    ``WarehouseBusy``).
    """
    from beaconlake import lock
    from beaconlake.store import duckdb_path

    dbt_vars: dict[str, Any] = {"raw_dns_glob": raw_glob(input_path)}
    dbt_vars.update(check_vars(extra_vars or {}))
    if start_date:
        dbt_vars["start_date"] = parse_date("the start date", start_date).isoformat()
    if end_date:
        dbt_vars["end_date"] = parse_date("the end date", end_date).isoformat()
    if start_date and end_date and dbt_vars["start_date"] > dbt_vars["end_date"]:
        raise ConfigError(f"the start date {start_date} is after the end date {end_date}")
    command = ["build"]
    if full_refresh:
        command.append("--full-refresh")
    if select:
        command += ["--select", select]
    if exclude:
        command += ["--exclude", exclude]
    if selector:
        command += ["--selector", selector]
    if _target(target) != "duckdb":
        return run_dbt(command, dbt_vars, db_path=db_path, target=target, notify=notify)
    with lock.writing(duckdb_path(db_path), "beaconlake build", wait, notify):
        return run_dbt(command, dbt_vars, db_path=db_path, target=target, notify=notify)


def parse_vars(values: Sequence[str]) -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep:
            raise ConfigError(f"--var {item!r} is not KEY=VALUE")
        try:
            parsed[key] = json.loads(raw)
        except json.JSONDecodeError:
            parsed[key] = raw
    return parsed
