"""A copy of the published marts for BI tools: a DuckDB file they may hold open for ever.

DuckDB lets one process write a database file or many processes read it, never both, so a
dashboard that keeps the warehouse open would stop the next run. ``export_marts`` copies what
the findings stage publishes into a file of its own. It writes a temporary file beside the
target and renames it over the target at the end: a tool that has the previous export open
keeps reading it until it reopens, and neither blocks the other nor any run.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

from beaconlake import lock
from beaconlake.errors import InputError
from beaconlake.project import published_marts, schema_of

#: Besides the published marts, the input's row counts per day.
EXPORTED_BESIDE_MARTS = ("fct_dns_event_counts",)


def exported_tables() -> list[str]:
    """What an export holds: the published marts and the input's row counts per day, each in
    the schema it has in the warehouse (a BI query reads the same names in both)."""
    return sorted(published_marts()) + list(EXPORTED_BESIDE_MARTS)


#: One row naming the warehouse the export came from and when it was taken.
EXPORT_INFO_TABLE = "beaconlake_export"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def export_marts(
    db: str | os.PathLike[str],
    out: str | os.PathLike[str],
    wait: float = lock.DEFAULT_OPEN_WAIT,
    notify: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Copy the published marts of the DuckDB warehouse ``db`` into the DuckDB file ``out``
    (replaced as a whole); rows per table. ``db`` is read as ``beaconlake findings`` reads it
    (read-only; a writer is waited for up to ``wait`` seconds)."""
    source, target = Path(db), Path(out)
    if not source.is_file():
        raise InputError(
            f"no DuckDB database at {source} (run `beaconlake run` first or pass --db)"
        )
    if target.exists() and target.resolve() == source.resolve():
        raise InputError(f"--out {target} is the warehouse itself; name another file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    for leftover in (partial, Path(f"{partial}.wal")):
        leftover.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        with lock.reading(source, wait, notify) as con:
            tables = {name: schema_of("main", name) for name in exported_tables()}
            present = set(
                con.execute(
                    "select table_schema, table_name from information_schema.tables"
                ).fetchall()
            )
            missing = [name for name, schema in tables.items() if (schema, name) not in present]
            if missing:
                raise InputError(
                    f"{source} has no {', '.join(missing)}: run `beaconlake run` first"
                )
            con.execute(f"attach {_sql_text(str(partial))} as export_target (read_only false)")
            try:
                for schema in sorted(set(tables.values())):
                    con.execute(f'create schema if not exists export_target."{schema}"')
                for name, schema in tables.items():
                    relation = f'"{schema}"."{name}"'
                    con.execute(
                        f"create table export_target.{relation} as select * from {relation}"
                    )
                    [(rows[name],)] = con.execute(
                        f"select count(*) from export_target.{relation}"
                    ).fetchall()
                exported_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                con.execute(
                    f"create table export_target.main.{EXPORT_INFO_TABLE} as select "
                    f"{_sql_text(str(source.resolve()))} as source, "
                    f"timestamp '{exported_at.isoformat(sep=' ')}' as exported_at"
                )
                con.execute("checkpoint export_target")
            finally:
                con.execute("detach export_target")
        os.replace(partial, target)
    finally:
        for leftover in (partial, Path(f"{partial}.wal")):
            leftover.unlink(missing_ok=True)
    return rows
