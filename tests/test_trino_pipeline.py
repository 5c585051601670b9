"""The dbt project on a real Trino server: the raw table, every node of a build, incremental days.

- The on-run-start hook keeps the Hive external table of the raw events in step with the input
  folder: created over it, days added and removed by the partition sync, re-pointed when the
  input moves; a file without an optional column reads null; a relative glob is refused.
- ``dbt build --target trino`` runs every model, seed, data test and unit test of the project,
  and a day-by-day run equals a run over both days (the delete-then-append of each day's rows
  on Iceberg tables partitioned by day).

Needs a server (see tests/trino_support.py); skipped without one unless
BEACONLAKE_REQUIRE_TRINO=1.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import trino_support
from beaconlake import warehouse
from beaconlake.pipeline import Window, confirm_stored_window
from beaconlake.simulate.generator import simulate
from beaconlake.simulate.scenario import BeaconSpec, Scenario
from beaconlake.store import TrinoWarehouse
from beaconlake.triage import TRIAGE_TABLE, decision, record
from test_dbt_pipeline import INCREMENTAL_TABLES

pytestmark = [pytest.mark.trino, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
DAYS = (dt.date(2024, 5, 1), dt.date(2024, 5, 2), dt.date(2024, 5, 3))
ONE_DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module", autouse=True)
def server() -> None:
    trino_support.require_server()


def _write_day(root: Path, day: dt.date, n: int, with_response_code: bool = True) -> None:
    start = dt.datetime.combine(day, dt.time())
    columns = {
        "event_time": pa.array(
            [start + dt.timedelta(minutes=7 * i, microseconds=i + 1) for i in range(n)],
            pa.timestamp("us"),
        ),
        "host_id": pa.array([f"h{i % 2}" for i in range(n)]),
        "query_name": pa.array([f"n{i}.example.com" for i in range(n)]),
        "tenant_id": pa.array(["t"] * n),
        "query_type": pa.array(["A"] * n),
    }
    if with_response_code:
        columns["response_code"] = pa.array(["NOERROR"] * n)
    folder = root / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True)
    pq.write_table(pa.table(columns), folder / "part-00000.parquet")


def _register(events: Path | str, tmp: Path, glob: str = "**/*.parquet") -> bool:
    dbt_vars = json.dumps({"raw_dns_glob": f"{events}/{glob}"})
    args = ["run-operation", "register_raw_dns_events", "--target", "trino", "--vars", dbt_vars]
    ok, _ = trino_support.dbt_invoke(args, ROOT, tmp)
    return ok


def test_raw_table_follows_the_input_folder(tmp_path: Path) -> None:
    events = tmp_path / "lake" / "events"
    _write_day(events, DAYS[0], 5)
    _write_day(events, DAYS[1], 3, with_response_code=False)
    with trino_support.trino_target(tmp_path) as schema:
        table = f"hive.{schema}.raw_dns_events"
        # A table made before answer_ttl_seconds joined the contract gets the column.
        trino_support.execute(f"create schema if not exists hive.{schema}")
        trino_support.execute(
            f"create table {table} (event_time timestamp(6), host_id varchar, "
            "query_name varchar, tenant_id varchar, query_type varchar, response_code varchar, "
            "event_date date) with (format = 'PARQUET', "
            f"external_location = '{trino_support.local_uri(events)}', "
            "partitioned_by = array['event_date'])"
        )
        assert _register(events, tmp_path)
        ((ttl_type,),) = trino_support.execute(
            f"select data_type from hive.information_schema.columns where table_schema = "
            f"'{schema}' and table_name = 'raw_dns_events' and column_name = 'answer_ttl_seconds'"
        )
        assert ttl_type == "double"
        log = (tmp_path / "dbt_logs" / "dbt.log").read_text()
        assert "gets the contract's column answer_ttl_seconds" in log  # altered, not re-created
        assert trino_support.execute(f"select count(answer_ttl_seconds) from {table}") == [[0]]
        counts = trino_support.execute(
            f"select event_date, count(*), count(response_code), min(event_time) from {table} "
            "group by event_date order by event_date"
        )
        assert counts == [
            [DAYS[0], 5, 5, dt.datetime(2024, 5, 1, 0, 0, 0, 1)],  # microseconds kept
            [DAYS[1], 3, 0, dt.datetime(2024, 5, 2, 0, 0, 0, 1)],  # absent column: null
        ]

        # A day lands, another is deleted: the next run sees exactly the folders.
        _write_day(events, DAYS[2], 2)
        shutil.rmtree(events / f"event_date={DAYS[0].isoformat()}")
        assert _register(events, tmp_path)
        days = trino_support.execute(f"select distinct event_date from {table} order by 1")
        assert days == [[DAYS[1]], [DAYS[2]]]

        # The input moves: the table is re-pointed, not left reading the old folder.
        moved = tmp_path / "elsewhere" / "events"
        shutil.copytree(events, moved)
        shutil.rmtree(events / f"event_date={DAYS[2].isoformat()}")
        assert _register(moved, tmp_path)
        ((ddl,),) = trino_support.execute(f"show create table {table}")
        assert f"external_location = '{trino_support.local_uri(moved)}'" in ddl
        assert trino_support.execute(f"select count(*) from {table}") == [[5]]

        # A relative glob names no folder on the server.
        assert not _register("data/sim/events", tmp_path)

        # A folder outside the server's lake root cannot be named at all.
        assert not _register(Path("/etc/beaconlake-events"), tmp_path)
        log = (tmp_path / "dbt_logs" / "dbt.log").read_text()
        assert "is outside" in log
        assert "the only folder the Trino server's local:// URIs reach" in log

        # A glob one level above the partitions (lake/**/*.parquet over lake/events/...) reads
        # every day on DuckDB; here it would read none, so it is refused, not an empty window.
        assert not _register(tmp_path / "elsewhere", tmp_path)
        log = (tmp_path / "dbt_logs" / "dbt.log").read_text()
        assert "no event_date=YYYY-MM-DD folders directly under" in log

        # A quote in the folder's name is part of the location, not of the SQL.
        quoted = tmp_path / "it's" / "events"
        shutil.copytree(moved, quoted)
        assert _register(quoted, tmp_path)
        assert trino_support.execute(f"select count(*) from {table}") == [[5]]


def test_a_verdict_is_bound_not_pasted_on_trino(tmp_path: Path) -> None:
    hostile = "x'); drop table y; --"
    with trino_support.trino_target(tmp_path) as schema:
        trino_support.execute(f"create schema if not exists iceberg.{schema}")
        wh = TrinoWarehouse.from_env()
        record(wh, [decision("benign", host=hostile, domain="Evil.COM.", by="a", note="n")])
        table = wh.relation(TRIAGE_TABLE)
        rows = wh.query(f"select host_id, domain from {table} where host_id = ?", [hostile])
        assert rows.to_dict("records") == [{"host_id": hostile, "domain": "evil.com"}]


PLANTED = (BeaconSpec("c2-10m", 600, 0.2, "uniform", queries_per_beat=2),)


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, list]]:
    """Schema names of a build over both days and of a day-by-day build, and the nodes of the
    first (every node of the project)."""
    tmp = tmp_path_factory.mktemp("trino_builds")
    scenario = Scenario(hosts=16, days=2, tenants=2, seed=7, events_per_host=600, beacons=PLANTED)
    summary = simulate(scenario, tmp / "sim", workers=1)
    days = sorted(p.name.split("=")[1] for p in (tmp / "sim" / "events").glob("event_date=*"))
    assert len(days) == 2, summary
    for day in days:  # rows for the quarantine: no host, a bad name, the wrong day
        at = dt.datetime.fromisoformat(day) + dt.timedelta(hours=9)
        bad = pa.table(
            {
                "event_time": pa.array([at, at, at - dt.timedelta(days=1)], pa.timestamp("us")),
                "host_id": pa.array([None, "h", "h"], pa.string()),
                "query_name": pa.array(["ok.example.com", "bad name.com", "early.example.com"]),
                "tenant_id": pa.array(["tenant-01"] * 3),
                "query_type": pa.array(["A"] * 3),
                "response_code": pa.array(["NOERROR"] * 3),
            }
        )
        pq.write_table(bad, tmp / "sim" / "events" / f"event_date={day}" / "part-99999.parquet")
    with trino_support.trino_target(tmp / "full") as full:
        # the three stages, as on Trino they run: candidates, `beaconlake confirm`, findings
        window = Window(dt.date.fromisoformat(days[0]), dt.date.fromisoformat(days[1]) + ONE_DAY)
        nodes = []
        for selector in ("candidates", "findings"):
            result = warehouse.build(
                tmp / "sim", target="trino", start_date=days[0], end_date=days[1], selector=selector
            )
            assert result.success, [n for n in result.nodes if n[1] not in ("success", "pass")]
            nodes += result.nodes
            if selector == "candidates":
                confirm_stored_window("trino", None, window)
        with trino_support.trino_target(tmp / "daily") as daily:
            for day in days:
                built = warehouse.build(
                    tmp / "sim",
                    target="trino",
                    start_date=day,
                    end_date=day,
                    selector="candidates",
                )
                assert built.success, day
            yield full, daily, nodes


def test_build_runs_every_node_of_the_project(builds: tuple[str, str, list]) -> None:
    _, _, nodes = builds
    statuses = {uid: status for uid, status, _ in nodes if not uid.startswith("exposure.")}
    assert set(statuses.values()) <= {"success", "pass"}, statuses
    kinds = {
        kind: sum(uid.startswith(kind + ".") for uid in statuses)
        for kind in ("model", "seed", "test", "unit_test")
    }
    models = list((ROOT / "models").rglob("*.sql"))
    assert kinds["model"] == len(models)
    assert kinds["seed"] == len(list((ROOT / "seeds").glob("*.csv")))
    assert kinds["unit_test"] >= 6
    assert kinds["test"] >= 50


@pytest.mark.parametrize("table", INCREMENTAL_TABLES)
def test_day_by_day_equals_both_days_at_once(builds: tuple[str, str, list], table: str) -> None:
    full, daily, _ = builds
    a, b = f"iceberg.{full}.{table}", f"iceberg.{daily}.{table}"
    ((n_rows,),) = trino_support.execute(f"select count(*) from {a}")
    ((diff,),) = trino_support.execute(
        f"select count(*) from ((select * from {a} except all select * from {b}) "
        f"union all (select * from {b} except all select * from {a}))"
    )
    assert n_rows > 0
    assert diff == 0


def test_heavy_tables_are_partitioned_by_day(builds: tuple[str, str, list]) -> None:
    full, _, _ = builds
    ((ddl,),) = trino_support.execute(f"show create table iceberg.{full}.int_dns_beat_intervals")
    assert "partitioning = ARRAY['event_date']" in ddl
    partitions = trino_support.execute(
        f'select count(*) from iceberg.{full}."int_dns_beat_intervals$partitions"'
    )
    assert partitions == [[2]]
