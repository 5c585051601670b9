"""Read from and write to the warehouse the dbt project builds: DuckDB or Trino.

The confirmation step reads candidates and their beat times from dbt models and writes findings
back into the same schema, where the findings marts pick them up. Both adapters speak plain SQL
through their own driver (``duckdb`` / ``trino``) and take their settings from the same
environment variables as ``profiles/profiles.yml``, so Python and dbt always meet in one place.

The reads live beside the adapters, named for what they read: ``confirmation`` (the candidates
and beats the confirmation scores, the days a dbt build confirms) and ``findings`` (the
published marts: findings, incidents and their beats for the report, alert and event counts,
and what the replay and the evaluation look up). Each names its relations through
``Warehouse.relation``, so it runs on either engine; ``export`` copies a DuckDB warehouse's marts
to a file for BI tools. No other module of the package queries the warehouse.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from beaconlake.project import schema_of

if TYPE_CHECKING:
    import duckdb
    import trino

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
    "beacon_kind": "varchar",
    "beacon_key": "varchar",
    "attack_techniques": "varchar",
}
#: Columns added after the table's first layout, in order: a table made before them gets them
#: (appended, so positional inserts of FINDINGS_COLUMNS still line up).
ADDED_FINDINGS_COLUMNS = ("beacon_kind", "beacon_key", "attack_techniques")


class Warehouse(Protocol):
    def query(self, sql: str) -> pd.DataFrame: ...

    def relation(self, name: str) -> str: ...

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int: ...


class ClientWarehouse(Warehouse, Protocol):
    """A warehouse this process connects to itself (not a dbt model's session): it binds
    parameters and appends rows."""

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame: ...

    def append(self, table: str, columns: dict[str, str], rows: list[tuple[Any, ...]]) -> int: ...


class Days(Protocol):
    """UTC days from ``start`` (included) to ``end`` (excluded), as ``pipeline.Window``."""

    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date: ...


def date_literal(day: dt.date) -> str:
    """``day`` as a SQL date literal."""
    return f"date '{day.isoformat()}'"


def in_days(days: Days) -> str:
    """The SQL condition that a row's ``event_date`` is one of ``days``."""
    return f"event_date >= {date_literal(days.start)} and event_date < {date_literal(days.end)}"


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


def _table_sql(
    qualified: str, columns: dict[str, str], type_of: Callable[[str], str] = lambda t: t
) -> str:
    cols = ", ".join(f"{name} {type_of(t)}" for name, t in columns.items())
    return f"create table if not exists {qualified} ({cols})"


def _insert_sql(qualified: str, columns: dict[str, str]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"insert into {qualified} ({', '.join(columns)}) values ({marks})"


def _create_sql(qualified: str, type_of: Callable[[str], str] = lambda t: t) -> list[str]:
    """The findings table if it does not exist, then the columns an older one lacks."""
    cols = ",\n    ".join(f"{name} {type_of(t)}" for name, t in FINDINGS_COLUMNS.items())
    return [f"create table if not exists {qualified} (\n    {cols}\n)"] + [
        f"alter table {qualified} add column if not exists {name} {type_of(FINDINGS_COLUMNS[name])}"
        for name in ADDED_FINDINGS_COLUMNS
    ]


def _duckdb_typed(con: Any, frame: pd.DataFrame) -> Any:
    """The findings rows as a DuckDB relation with the findings table's column types."""
    con.register("findings_frame", frame[list(FINDINGS_COLUMNS)])
    casts = ", ".join(
        f"cast({name} as {_duckdb_type(t)}) as {name}" for name, t in FINDINGS_COLUMNS.items()
    )
    return con.sql(f"select {casts} from findings_frame")


def _duckdb_replace_window(
    con: Any,
    qualified: str,
    frame: pd.DataFrame,
    window_start: dt.datetime,
    window_end: dt.datetime,
) -> None:
    """Delete the window's rows of ``qualified`` and insert ``frame`` in one transaction."""
    for statement in _create_sql(qualified, _duckdb_type):
        con.execute(statement)
    con.execute("begin transaction")
    con.execute(f"delete from {qualified} where {_window_predicate(window_start, window_end)}")
    _duckdb_typed(con, frame).insert_into(qualified)
    con.execute("commit")


@dataclass
class DuckDBWarehouse:
    """The embedded default: one DuckDB file, models in schema ``main`` (the published marts
    in ``main_findings``: ``project.schema_of``).

    Every query opens the file and closes it again. ``read_only`` opens it read-only (a reader:
    works on a read-only file, and beside other readers). An open that finds the file held by
    another process is retried for a bounded time (``beaconlake.lock.connect``; ``notify`` gets
    one line when that starts), then fails with ``WarehouseBusy`` naming the process.
    """

    path: str
    schema: str = "main"
    read_only: bool = False
    notify: Callable[[str], None] | None = None
    #: seconds to retry a held file (None: ``beaconlake.lock.open_wait()``)
    open_wait: float | None = None

    def _connect(self) -> duckdb.DuckDBPyConnection:
        from beaconlake import lock

        return lock.connect(self.path, self.read_only, self.open_wait, self.notify)

    def relation(self, name: str) -> str:
        return f'"{schema_of(self.schema, name)}"."{name}"'

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Rows of ``sql``; ``params`` are bound to its ``?`` placeholders."""
        with self._connect() as con:
            return con.execute(sql, params).df()

    def append(self, table: str, columns: dict[str, str], rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows`` (values bound as parameters) into ``table``, created with ``columns``
        (name -> SQL type) when absent."""
        with self._connect() as con:
            con.execute(_table_sql(self.relation(table), columns, _duckdb_type))
            con.executemany(_insert_sql(self.relation(table), columns), rows)
        return len(rows)

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int:
        with self._connect() as con:
            _duckdb_replace_window(con, self.relation(table), frame, window_start, window_end)
        return len(frame)


@dataclass
class DuckDBSessionWarehouse:
    """A DuckDB connection that dbt holds open: the session of a dbt Python model.

    ``database`` and ``schema`` are the model's own (``dbt.this``); the models it reads live
    beside it. ``typed`` gives a findings frame the table's column types, as dbt's Python
    materialisation writes what the model returns as it is.
    """

    session: Any
    database: str
    schema: str

    def relation(self, name: str) -> str:
        return f'"{self.database}"."{schema_of(self.schema, name)}"."{name}"'

    def query(self, sql: str) -> pd.DataFrame:
        return self.session.execute(sql).df()

    def delete_window(self, table: str, window_start: dt.datetime, window_end: dt.datetime) -> None:
        predicate = _window_predicate(window_start, window_end)
        self.session.execute(f"delete from {self.relation(table)} where {predicate}")

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int:
        _duckdb_replace_window(self.session, self.relation(table), frame, window_start, window_end)
        return len(frame)

    def typed(self, frame: pd.DataFrame) -> Any:
        """``frame`` as an Arrow table with the findings table's column types."""
        return _duckdb_typed(self.session, frame).to_arrow_table()


#: dbt-trino's authentication methods; every one but ``none`` needs https.
TRINO_METHODS = ("none", "ldap", "jwt", "certificate", "kerberos", "oauth", "oauth_console")


@dataclass
class TrinoWarehouse:
    """A Trino cluster: models in ``catalog.schema`` (an Iceberg catalog supports DELETE).

    ``method`` is one of :data:`TRINO_METHODS`, with the settings the dbt profile's ``trino``
    target takes for it (``password`` for ldap, ``jwt_token``, ``client_certificate`` and
    ``client_private_key``, the ``kerberos_*`` fields); ``cert`` is a CA bundle to verify the
    server's TLS certificate with (None: the system's).
    """

    host: str
    port: int
    user: str
    catalog: str
    schema: str
    http_scheme: str = "http"
    password: str | None = None
    method: str = "none"
    jwt_token: str | None = None
    client_certificate: str | None = None
    client_private_key: str | None = None
    kerberos_keytab: str | None = None
    kerberos_principal: str | None = None
    kerberos_config: str | None = None
    kerberos_service_name: str = "trino"
    cert: str | None = None

    def __post_init__(self) -> None:
        if self.method not in TRINO_METHODS:
            raise ValueError(
                f"unknown Trino authentication method {self.method!r}: one of "
                + ", ".join(TRINO_METHODS)
            )

    @staticmethod
    def from_env() -> TrinoWarehouse:
        """The same environment variables the dbt profile's ``trino`` target reads."""

        def env(name: str, default: str | None = None) -> str | None:
            return os.environ.get(f"BEACONLAKE_TRINO_{name}") or default

        return TrinoWarehouse(
            host=env("HOST", "localhost") or "localhost",
            port=int(env("PORT", "8089") or 8089),
            user=env("USER", "beaconlake") or "beaconlake",
            catalog=env("CATALOG", "iceberg") or "iceberg",
            schema=env("SCHEMA", "beaconlake") or "beaconlake",
            http_scheme=env("HTTP_SCHEME", "http") or "http",
            password=env("PASSWORD"),
            method=env("METHOD", "none") or "none",
            jwt_token=env("JWT_TOKEN"),
            client_certificate=env("CLIENT_CERTIFICATE"),
            client_private_key=env("CLIENT_PRIVATE_KEY"),
            kerberos_keytab=env("KERBEROS_KEYTAB"),
            kerberos_principal=env("KERBEROS_PRINCIPAL"),
            kerberos_config=env("KERBEROS_CONFIG"),
            kerberos_service_name=env("KERBEROS_SERVICE_NAME", "trino") or "trino",
            cert=env("CERT"),
        )

    def _auth(self) -> trino.auth.Authentication | None:
        """The client's authentication object for ``method``, as dbt-trino builds it."""
        from trino import auth

        if self.method == "ldap":
            return auth.BasicAuthentication(self.user, self.password or "")
        if self.method == "jwt":
            return auth.JWTAuthentication(self.jwt_token or "")
        if self.method == "certificate":
            return auth.CertificateAuthentication(
                self.client_certificate or "", self.client_private_key or ""
            )
        if self.method == "kerberos":
            if self.kerberos_keytab:  # where GSSAPI finds the client's key, as dbt-trino sets it
                os.environ["KRB5_CLIENT_KTNAME"] = self.kerberos_keytab
            return auth.KerberosAuthentication(
                config=self.kerberos_config,
                service_name=self.kerberos_service_name,
                principal=self.kerberos_principal,
                ca_bundle=self.cert,
            )
        if self.method == "oauth":
            return auth.OAuth2Authentication()
        if self.method == "oauth_console":
            console = auth.CompositeRedirectHandler([auth.ConsoleRedirectHandler()])
            return auth.OAuth2Authentication(redirect_auth_url_handler=console)
        return None

    def _connect(self) -> trino.dbapi.Connection:
        import trino

        scheme = self.http_scheme if self.method == "none" else "https"
        return trino.dbapi.Connection(
            host=self.host,
            port=self.port,
            user=self.user,
            catalog=self.catalog,
            schema=self.schema,
            http_scheme=scheme,
            auth=self._auth(),
            timezone="UTC",
            verify=self.cert or True,
        )

    def relation(self, name: str) -> str:
        return f'"{self.catalog}"."{schema_of(self.schema, name)}"."{name}"'

    def _execute(
        self, sql: str, params: list[Any] | None = None
    ) -> tuple[list[str], list[tuple[Any, ...]]]:
        conn = self._connect()
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            rows = cur.fetchall()
            names = [d[0] for d in cur.description] if cur.description else []
            return names, rows
        finally:
            conn.close()

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Rows of ``sql``; ``params`` are bound to its ``?`` placeholders."""
        names, rows = self._execute(sql, params)
        return pd.DataFrame.from_records(rows, columns=names)

    def append(self, table: str, columns: dict[str, str], rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows`` (values bound as parameters) into ``table``, created with ``columns``
        (name -> SQL type) when absent."""
        self._execute(_table_sql(self.relation(table), columns))
        for row in rows:
            self._execute(_insert_sql(self.relation(table), columns), list(row))
        return len(rows)

    def replace_window(
        self, table: str, frame: pd.DataFrame, window_start: dt.datetime, window_end: dt.datetime
    ) -> int:
        qualified = self.relation(table)
        for statement in _create_sql(qualified):
            self._execute(statement)
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


def duckdb_path(db_path: str | os.PathLike[str] | None = None) -> str:
    """The DuckDB file: ``db_path``, else ``$BEACONLAKE_DUCKDB_PATH``, else beaconlake.duckdb."""
    return str(db_path or os.environ.get("BEACONLAKE_DUCKDB_PATH", "beaconlake.duckdb"))


def warehouse_for(
    target: str,
    db_path: str | None = None,
    read_only: bool = False,
    notify: Callable[[str], None] | None = None,
    wait: float | None = None,
) -> ClientWarehouse:
    """The adapter for a dbt target name (``duckdb`` or ``trino``); ``read_only``, ``notify``
    and ``wait`` (``open_wait``) apply to DuckDB (see ``DuckDBWarehouse``)."""
    if target == "duckdb":
        return DuckDBWarehouse(
            duckdb_path(db_path), read_only=read_only, open_wait=wait, notify=notify
        )
    if target == "trino":
        return TrinoWarehouse.from_env()
    raise ValueError(f"unknown target {target!r}: expected duckdb or trino")
