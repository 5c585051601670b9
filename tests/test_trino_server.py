"""The local Trino server (trino/server.sh) and its two catalogs, through the Python client.

Needs a server at TRINO_HOST:TRINO_PORT (default 127.0.0.1:8089): `trino/server.sh up`.
Skipped when none answers, unless BEACONLAKE_REQUIRE_TRINO=1 (CI), which turns that into a
failure. Every test works in its own schemas and drops them afterwards.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beaconlake.ingest.writer import CONTRACT_SCHEMA
from trino_support import HOST, PORT, local_uri, require_server

if TYPE_CHECKING:
    from trino.dbapi import Cursor

trino = pytest.importorskip("trino")

pytestmark = pytest.mark.trino

DAYS = (dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 3))
#: Trino's type for each type of the input contract, as the macro register_raw_dns_events
#: declares them.
TRINO_TYPES = {pa.timestamp("us"): "timestamp(6)", pa.string(): "varchar", pa.float64(): "double"}
ROWS_PER_DAY = {DAYS[0]: 7, DAYS[1]: 5, DAYS[2]: 3}


@pytest.fixture(scope="module")
def server() -> None:
    require_server()


def _run(cur: Cursor, sql: str) -> list[list[Any]]:
    cur.execute(sql)
    return cur.fetchall()


@pytest.fixture
def cur(server: None) -> Iterator[Cursor]:
    conn = trino.dbapi.connect(
        host=HOST, port=PORT, user="beaconlake", http_scheme="http", timezone="UTC"
    )
    try:
        yield conn.cursor()
    finally:
        conn.close()


@pytest.fixture
def schema(cur: Cursor) -> Iterator[str]:
    """A fresh schema name, created in both catalogs and dropped (with its tables) afterwards."""
    name = f"bl_test_{uuid.uuid4().hex[:10]}"
    for catalog in ("hive", "iceberg"):
        _run(cur, f"create schema {catalog}.{name}")
    yield name
    for catalog in ("hive", "iceberg"):
        _run(cur, f"drop schema if exists {catalog}.{name} cascade")


def _event_times(day: dt.date, n: int) -> list[dt.datetime]:
    """n timestamps on day, each with a distinct non-zero microsecond part."""
    start = dt.datetime.combine(day, dt.time(0, 0))
    return [
        start + dt.timedelta(hours=3 * i, seconds=i, microseconds=123_457 + i) for i in range(n)
    ]


def _day_table(day: dt.date, *, with_response_code: bool = True) -> pa.Table:
    n = ROWS_PER_DAY[day]
    columns: dict[str, pa.Array] = {
        "event_time": pa.array(_event_times(day, n), type=pa.timestamp("us")),
        # Dictionary-encoded strings, as the simulator writes them.
        "host_id": pa.array([f"h{i % 3}" for i in range(n)]).dictionary_encode(),
        "query_name": pa.array([f"x{i}.example.com." for i in range(n)]).dictionary_encode(),
        "tenant_id": pa.array(["t1"] * n).dictionary_encode(),
        "query_type": pa.array(["A" if i % 2 else "AAAA" for i in range(n)]).dictionary_encode(),
    }
    if with_response_code:
        columns["response_code"] = pa.array(["NOERROR"] * n).dictionary_encode()
    return pa.table(columns)


def _write_day(root: Path, day: dt.date, **kwargs: bool) -> None:
    folder = root / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True)
    pq.write_table(_day_table(day, **kwargs), folder / "part-00000.parquet", compression="zstd")


def _create_raw_table(cur: Cursor, schema: str, root: Path) -> str:
    """The raw-events contract (the writer's schema) as a Hive external table; partition column
    last."""
    table = f"hive.{schema}.raw_events"
    columns = "".join(f"{f.name} {TRINO_TYPES[f.type]}, " for f in CONTRACT_SCHEMA)
    _run(
        cur,
        f"""
        create table {table} ({columns}event_date date)
        with (
            format = 'PARQUET',
            external_location = '{local_uri(root)}',
            partitioned_by = ARRAY['event_date']
        )
        """,
    )
    return table


def _sync(cur: Cursor, schema: str) -> None:
    _run(cur, f"call hive.system.sync_partition_metadata('{schema}', 'raw_events', 'FULL')")


def test_select_one(cur: Cursor) -> None:
    assert _run(cur, "select 1") == [[1]]
    catalogs = {row[0] for row in _run(cur, "show catalogs")}
    assert {"hive", "iceberg", "system"} <= catalogs


@pytest.mark.parametrize("location", ["local:///..", "local:///../../etc", "local:////etc"])
def test_catalogs_cannot_reach_outside_their_root(cur: Cursor, schema: str, location: str) -> None:
    """The Hive catalog sees only the lake root, the Iceberg one only its warehouse: a location
    that climbs out of the root is refused by both."""
    with pytest.raises(trino.exceptions.TrinoUserError, match="not a valid file system URI"):
        _run(
            cur,
            f"create table hive.{schema}.outside (line varchar) "
            f"with (format = 'TEXTFILE', external_location = '{location}')",
        )
    with pytest.raises(trino.exceptions.TrinoQueryError, match="outside of the root"):
        _run(cur, f"create table iceberg.{schema}.outside (a int) with (location = '{location}/x')")


def test_an_absolute_looking_location_stays_inside_the_root(cur: Cursor, schema: str) -> None:
    """local:///etc is <root>/etc, not /etc: the machine's files are not readable."""
    _run(
        cur,
        f"create table hive.{schema}.passwd (line varchar) "
        "with (format = 'TEXTFILE', external_location = 'local:///etc')",
    )
    assert _run(cur, f"select count(*) from hive.{schema}.passwd") == [[0]]


def test_hive_external_table_reads_partitioned_parquet(
    cur: Cursor, schema: str, tmp_path: Path
) -> None:
    root = tmp_path / "events"
    _write_day(root, DAYS[0])
    # An older writer without the optional column: read as NULL (columns are matched by name).
    _write_day(root, DAYS[1], with_response_code=False)
    table = _create_raw_table(cur, schema, root)

    assert _run(cur, f"select count(*) from {table}") == [[0]]  # no partitions registered yet
    _sync(cur, schema)
    counts = _run(cur, f"select event_date, count(*) from {table} group by 1 order by 1")
    assert counts == [[DAYS[0], ROWS_PER_DAY[DAYS[0]]], [DAYS[1], ROWS_PER_DAY[DAYS[1]]]]

    # Microseconds survive (hive.timestamp-precision=MICROSECONDS; the Hive default is ms).
    assert _run(cur, f"select distinct typeof(event_time) from {table}") == [["timestamp(6)"]]
    got = [r[0] for r in _run(cur, f"select event_time from {table} order by event_time")]
    assert got == _event_times(DAYS[0], ROWS_PER_DAY[DAYS[0]]) + _event_times(
        DAYS[1], ROWS_PER_DAY[DAYS[1]]
    )
    nulls = _run(
        cur,
        f"select event_date, count(response_code) from {table} group by 1 order by 1",
    )
    assert nulls == [[DAYS[0], ROWS_PER_DAY[DAYS[0]]], [DAYS[1], 0]]
    row = _run(
        cur,
        f"select host_id, query_name, tenant_id, query_type, response_code from {table} "
        f"where event_date = date '{DAYS[0]}' order by event_time limit 1",
    )
    assert row == [["h0", "x0.example.com.", "t1", "AAAA", "NOERROR"]]

    # A day that lands later appears after the next sync (what each incremental run does).
    _write_day(root, DAYS[2])
    _sync(cur, schema)
    partitions = _run(cur, f'select event_date from hive.{schema}."raw_events$partitions"')
    assert sorted(r[0] for r in partitions) == list(DAYS)
    assert _run(cur, f"select count(*) from {table} where event_date = date '{DAYS[2]}'") == [
        [ROWS_PER_DAY[DAYS[2]]]
    ]


def test_iceberg_day_partitioned_table_supports_dml(
    cur: Cursor, schema: str, tmp_path: Path
) -> None:
    root = tmp_path / "events"
    for day in DAYS:
        _write_day(root, day)
    raw = _create_raw_table(cur, schema, root)
    _sync(cur, schema)

    table = f"iceberg.{schema}.events"
    _run(
        cur,
        f"""
        create table {table} (
            event_time timestamp(6),
            host_id varchar,
            query_name varchar,
            n_queries bigint
        )
        with (partitioning = ARRAY['day(event_time)'])
        """,
    )
    _run(
        cur,
        f"insert into {table} select event_time, host_id, query_name, 1 from {raw} "
        f"where event_date < date '{DAYS[2]}'",
    )
    first_two = ROWS_PER_DAY[DAYS[0]] + ROWS_PER_DAY[DAYS[1]]
    assert _run(cur, f"select count(*) from {table}") == [[first_two]]
    assert _run(cur, f'select count(*) from iceberg.{schema}."events$partitions"') == [[2]]
    assert _run(cur, f"select distinct typeof(event_time) from {table}") == [["timestamp(6)"]]

    # DELETE of a whole day (dbt's delete+insert) and of single rows.
    _run(cur, f"delete from {table} where event_time >= timestamp '{DAYS[1]} 00:00:00'")
    assert _run(cur, f"select count(*) from {table}") == [[ROWS_PER_DAY[DAYS[0]]]]
    _run(cur, f"delete from {table} where query_name = 'x0.example.com.'")
    assert _run(cur, f"select count(*) from {table}") == [[ROWS_PER_DAY[DAYS[0]] - 1]]

    # MERGE (dbt's merge strategy): update the matching keys, insert the rest.
    _run(
        cur,
        f"""
        merge into {table} t
        using (
            select event_time, host_id, query_name from {raw}
            where event_date in (date '{DAYS[0]}', date '{DAYS[2]}')
        ) s
        on t.event_time = s.event_time and t.host_id = s.host_id and t.query_name = s.query_name
        when matched then update set n_queries = t.n_queries + 1
        when not matched then insert (event_time, host_id, query_name, n_queries)
            values (s.event_time, s.host_id, s.query_name, 1)
        """,
    )
    rows = _run(
        cur,
        f"select cast(event_time as date), sum(n_queries), count(*) from {table} "
        "group by 1 order by 1",
    )
    n0, n2 = ROWS_PER_DAY[DAYS[0]], ROWS_PER_DAY[DAYS[2]]
    # Day 0: n0 - 1 rows matched (n_queries 2), the deleted one re-inserted (1).
    assert rows == [[DAYS[0], 2 * (n0 - 1) + 1, n0], [DAYS[2], n2, n2]]
    got = [r[0] for r in _run(cur, f"select event_time from {table} order by event_time")]
    assert got == _event_times(DAYS[0], n0) + _event_times(DAYS[2], n2)


@pytest.mark.parametrize("home_given", [False, True])
def test_dbt_and_the_server_agree_on_the_default_lake_root(
    tmp_path: Path, home_given: bool
) -> None:
    """Without BEACONLAKE_TRINO_LOCAL_ROOT, dbt's macro and server.sh derive the same root."""
    from dbt.cli.main import dbtRunner

    repo = Path(__file__).resolve().parents[1]
    env = {"BEACONLAKE_CACHE": str(tmp_path / "cache")}
    if home_given:
        env["BEACONLAKE_TRINO_HOME"] = str(tmp_path / "run")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("BEACONLAKE_TRINO_LOCAL_ROOT", raising=False)
        mp.delenv("BEACONLAKE_TRINO_HOME", raising=False)
        for key, value in env.items():
            mp.setenv(key, value)
        server = subprocess.run(
            ["bash", str(repo / "trino" / "server.sh"), "lake"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        # left as written: each flag beside its value
        compiled = dbtRunner().invoke(
            [
                "compile", "--inline", "{{ local_file_root() }}", "--quiet",
                "--project-dir", str(repo), "--profiles-dir", str(repo / "profiles"),
                "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs"),
            ]
        )  # fmt: skip
    assert compiled.success
    # dbtRunnerResult.result is typed as the union of every command's result
    assert compiled.result.results[0].node.compiled_code.strip() == server  # type: ignore[union-attr]
    assert server == str(tmp_path / ("run" if home_given else "cache/trino-run") / "lake")
