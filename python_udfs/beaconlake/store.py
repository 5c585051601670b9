"""Read from and write to the warehouse the dbt project builds: DuckDB or Trino.

The confirmation step reads candidates and their beat times from dbt models and writes findings
back into the same schema, where the findings marts pick them up. Both adapters speak plain SQL
through their own driver (``duckdb`` / ``trino``) and take their settings from the same
environment variables as ``profiles/profiles.yml``, so Python and dbt always meet in one place.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd

#: The table the confirmation step writes; declared as a dbt source for the findings marts.
FINDINGS_TABLE = "beacon_findings"

#: Column name -> SQL type of the findings table (the same on both engines).
FINDINGS_COLUMNS: dict[str, str] = {
    "window_start": "timestamp(6)",
    "window_end": "timestamp(6)",
    "tenant_id": "varchar",
    "host_id": "varchar",
    "domain_level": "varchar",
    "domain": "varchar",
    "registered_domain": "varchar",
    "period_seconds": "double",
    "jitter": "double",
    "events": "bigint",
    "beats": "bigint",
    "score": "double",
    "severity": "varchar",
    "reason": "varchar",
    "is_confirmed": "boolean",
    "periodicity_score": "double",
    "renewal_score": "double",
    "renewal_llr": "double",
    "interval_score": "double",
    "spectral_score": "double",
    "spectral_ratio": "double",
    "acf_score": "double",
    "seasonal_strength": "double",
    "continuity": "double",
    "coverage": "double",
    "gaps_per_day": "double",
    "missing_share": "double",
    "rarity": "double",
    "domain_hosts": "bigint",
    "tenant_hosts": "bigint",
    "first_seen_at": "timestamp(6)",
    "known_c2_family": "varchar",
    "known_good_reason": "varchar",
    "confirmed_at": "timestamp(6)",
}


class Warehouse(Protocol):
    def query(self, sql: str) -> pd.DataFrame: ...

    def relation(self, name: str) -> str: ...

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int: ...


def _literal(value: Any, sql_type: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return f"cast(null as {sql_type})"
    if sql_type.startswith("timestamp"):
        stamp = pd.Timestamp(value)
        return f"timestamp '{stamp.strftime('%Y-%m-%d %H:%M:%S.%f')}'"
    if sql_type == "boolean":
        return "true" if bool(value) else "false"
    if sql_type in ("bigint", "double"):
        number = float(value)
        return f"cast({int(number)} as bigint)" if sql_type == "bigint" else repr(number)
    return "'" + str(value).replace("'", "''") + "'"


def _window_predicate(window_start: dt.datetime, window_end: dt.datetime) -> str:
    return (
        f"window_start = {_literal(window_start, 'timestamp')} "
        f"and window_end = {_literal(window_end, 'timestamp')}"
    )


def _duckdb_type(sql_type: str) -> str:
    """DuckDB timestamps are always microseconds and take no precision argument."""
    return "timestamp" if sql_type.startswith("timestamp") else sql_type


def _create_sql(qualified: str, type_of=lambda t: t) -> str:  # type: ignore[no-untyped-def]
    cols = ",\n    ".join(f"{name} {type_of(t)}" for name, t in FINDINGS_COLUMNS.items())
    return f"create table if not exists {qualified} (\n    {cols}\n)"


@dataclass
class DuckDBWarehouse:
    """The embedded default: one DuckDB file, models in schema ``main``."""

    path: str
    schema: str = "main"

    def _connect(self):  # type: ignore[no-untyped-def]
        import duckdb

        return duckdb.connect(self.path)

    def relation(self, name: str) -> str:
        return f'"{self.schema}"."{name}"'

    def query(self, sql: str) -> pd.DataFrame:
        with self._connect() as con:
            return con.execute(sql).df()

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int:
        qualified = self.relation(table)
        frame = frame[list(FINDINGS_COLUMNS)]
        with self._connect() as con:
            con.execute(_create_sql(qualified, _duckdb_type))
            con.execute("begin transaction")
            con.execute(
                f"delete from {qualified} where {_window_predicate(window_start, window_end)}"
            )
            con.register("findings_frame", frame)
            casts = ", ".join(
                f"cast({name} as {_duckdb_type(t)}) as {name}"
                for name, t in FINDINGS_COLUMNS.items()
            )
            con.execute(f"insert into {qualified} select {casts} from findings_frame")
            con.execute("commit")
        return len(frame)


@dataclass
class TrinoWarehouse:
    """A Trino cluster: models in ``catalog.schema`` (an Iceberg catalog supports DELETE)."""

    host: str
    port: int
    user: str
    catalog: str
    schema: str
    http_scheme: str = "http"
    password: str | None = None

    @staticmethod
    def from_env() -> TrinoWarehouse:
        """The same environment variables the dbt profile's ``trino`` target reads."""
        env = os.environ.get
        return TrinoWarehouse(
            host=env("BEACONLAKE_TRINO_HOST", "localhost"),
            port=int(env("BEACONLAKE_TRINO_PORT", "8080")),
            user=env("BEACONLAKE_TRINO_USER", "beaconlake"),
            catalog=env("BEACONLAKE_TRINO_CATALOG", "iceberg"),
            schema=env("BEACONLAKE_TRINO_SCHEMA", "beaconlake"),
            http_scheme=env("BEACONLAKE_TRINO_HTTP_SCHEME", "http"),
            password=env("BEACONLAKE_TRINO_PASSWORD") or None,
        )

    def _connect(self):  # type: ignore[no-untyped-def]
        import trino

        auth = trino.auth.BasicAuthentication(self.user, self.password) if self.password else None
        return trino.dbapi.connect(
            host=self.host, port=self.port, user=self.user, catalog=self.catalog,
            schema=self.schema, http_scheme=self.http_scheme, auth=auth, timezone="UTC",
        )  # fmt: skip

    def relation(self, name: str) -> str:
        return f'"{self.catalog}"."{self.schema}"."{name}"'

    def _execute(self, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute(sql)
            rows = cur.fetchall()
            names = [d[0] for d in cur.description] if cur.description else []
            return names, rows
        finally:
            conn.close()

    def query(self, sql: str) -> pd.DataFrame:
        names, rows = self._execute(sql)
        return pd.DataFrame.from_records(rows, columns=names)

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int:
        qualified = self.relation(table)
        self._execute(_create_sql(qualified))
        self._execute(
            f"delete from {qualified} where {_window_predicate(window_start, window_end)}"
        )
        types = list(FINDINGS_COLUMNS.values())
        rows = frame[list(FINDINGS_COLUMNS)].itertuples(index=False, name=None)
        batch: list[str] = []
        for row in rows:
            batch.append(
                "(" + ", ".join(_literal(v, t) for v, t in zip(row, types, strict=True)) + ")"
            )
            if len(batch) == 200:
                self._execute(f"insert into {qualified} values {', '.join(batch)}")
                batch = []
        if batch:
            self._execute(f"insert into {qualified} values {', '.join(batch)}")
        return len(frame)


def warehouse_for(target: str, db_path: str | None = None) -> Warehouse:
    """The adapter for a dbt target name (``duckdb`` or ``trino``)."""
    if target == "duckdb":
        path = db_path or os.environ.get("BEACONLAKE_DUCKDB_PATH", "beaconlake.duckdb")
        return DuckDBWarehouse(str(path))
    if target == "trino":
        return TrinoWarehouse.from_env()
    raise ValueError(f"unknown target {target!r}: expected duckdb or trino")
