"""The shapes a per-pair, per-day view misses, end to end on a tiny planted input (DuckDB).

Three days of a browsing crowd (``test_dbt_pipeline``'s) with three planted C2 shapes:

- a host rotating over three unrelated domains (each alone slow and irregular);
- a slow beacon every 4 hours (6 beats a day, under ``min_beats``);
- a campaign: a new domain that reaches two hosts on the second day and two more on the third.

Each must reach its dbt candidate model and, through the confirmation step, the findings with a
reason that names it; a full refresh and a day-by-day run must agree on the new incremental
tables.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beaconlake import warehouse
from beaconlake.pipeline import run_pipeline
from beaconlake.simulate.timing import beat_times
from test_dbt_pipeline import _browsing_events

DAY0 = dt.datetime(2024, 5, 6)
DAYS = [DAY0 + dt.timedelta(days=i) for i in range(3)]
ROTATION = ["quiet-harbor.net", "lumenframe.org", "bolt-weather.com"]
SLOW = "api.slowpoke-update.net"
CAMPAIGN = "cdn.q7x9kz2m.top"
#: campaign host -> index of the day it is reached
CAMPAIGN_HOSTS = {"camp-0": 1, "camp-1": 1, "camp-2": 2, "camp-3": 2}
NEW_INCREMENTAL_TABLES = (
    "int_dns_host_rare_domains",
    "int_dns_rotation_pool_members",
    "int_dns_rotation_pool_beats",
    "int_dns_rotation_member_stats",
    "int_dns_rotation_pools",
    "int_dns_sparse_pair_seconds",
    "fct_beacon_rotation_candidates",
    "fct_beacon_rotation_beats",
)


def _planted(rng: np.random.Generator, day: dt.datetime, index: int) -> list[tuple]:
    start, end = day.timestamp(), day.timestamp() + 86_400
    rows: list[tuple] = []
    rotation = beat_times(rng, start, end, 180.0, 0.3, "uniform")
    for t, pick in zip(rotation, rng.integers(0, len(ROTATION), len(rotation)), strict=True):
        rows.append((t, "rot-host", ROTATION[pick]))
    rows += [
        (t, "slow-host", SLOW) for t in beat_times(rng, start, end, 4 * 3600.0, 0.1, "uniform")
    ]
    for host, first in CAMPAIGN_HOSTS.items():
        if index >= first:
            rows += [
                (t, host, CAMPAIGN) for t in beat_times(rng, start, end, 600.0, 0.25, "uniform")
            ]
    return rows


def _write(root: Path) -> None:
    for index, day in enumerate(DAYS):
        rng = np.random.default_rng(40 + index)
        crowd = [(t, host, name) for t, host, name, _ in _browsing_events(rng, day)]
        times, hosts, names = zip(*(crowd + _planted(rng, day, index)), strict=True)
        table = pa.table(
            {
                "event_time": pa.array(
                    (np.asarray(times) * 1e6).astype("int64"), pa.timestamp("us")
                ),
                "host_id": pa.array(hosts, pa.string()),
                "query_name": pa.array(names, pa.string()),
                "tenant_id": ["tenant-1"] * len(times),
            }
        )
        part = root / "events" / f"event_date={day.date().isoformat()}"
        part.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, part / "part-0.parquet")


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    _write(root)
    return root


@pytest.fixture(scope="module")
def run(planted: Path) -> Path:
    db = planted / "run.duckdb"
    run_pipeline(str(planted / "events"), "duckdb", str(db), workers=1)
    warehouse._release_duckdb()
    return db


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_each_shape_reaches_its_candidate_model(run: Path) -> None:
    rotation = _rows(run, "select distinct host_id, domain from fct_beacon_rotation_candidates")
    assert sorted(rotation) == sorted(("rot-host", d) for d in ROTATION)
    slow = _rows(run, "select host_id, domain_level, domain from fct_beacon_slow_candidates")
    assert ("slow-host", "query_name", SLOW) in slow
    assert {host for host, _, _ in slow} == {"slow-host"}  # the crowd's visits are not slow C2
    campaigns = _rows(
        run, "select domain, n_campaign_hosts, n_infection_days from int_dns_campaign_domains"
    )
    assert (CAMPAIGN, 4, 2) in campaigns
    reasons = _rows(
        run,
        f"select distinct candidate_reason from fct_beacon_candidates where domain = '{CAMPAIGN}'",
    )
    assert reasons == [("campaign",)]


def test_each_shape_is_a_finding_that_names_it(run: Path) -> None:
    findings = {
        (host, domain): (severity, reason)
        for host, domain, severity, reason in _rows(
            run, "select host_id, domain, severity, reason from main_findings.fct_beacon_findings"
        )
    }
    for domain in ROTATION:
        severity, reason = findings[("rot-host", domain)]
        assert severity in ("medium", "high"), reason
        assert "rotates over 3 domains with" in reason
        assert all(other in reason for other in ROTATION if other != domain)
    severity, reason = findings[("slow-host", SLOW)]
    assert severity in ("medium", "high") and reason.startswith("every 4."), reason
    assert "over 3 days" in reason
    for host in CAMPAIGN_HOSTS:
        severity, reason = findings[(host, CAMPAIGN)]
        assert severity in ("medium", "high"), reason
        assert "campaign: 4 of" in reason and "fleet-wide" not in reason


def test_full_refresh_equals_day_by_day_for_the_new_models(planted: Path, tmp_path: Path) -> None:
    full_db, daily_db = tmp_path / "full.duckdb", tmp_path / "daily.duckdb"
    first, last = DAYS[0].date().isoformat(), DAYS[-1].date().isoformat()
    assert warehouse.build(planted, db_path=full_db, start_date=first, end_date=last).success
    for day in DAYS:
        iso = day.date().isoformat()
        assert warehouse.build(planted, db_path=daily_db, start_date=iso, end_date=iso).success
    warehouse._release_duckdb()
    with duckdb.connect() as con:
        con.execute(f"attach '{full_db}' as full_run (read_only)")
        con.execute(f"attach '{daily_db}' as daily_run (read_only)")
        for table in (*NEW_INCREMENTAL_TABLES, "fct_beacon_slow_candidates"):
            [(n_rows,)] = con.execute(f"select count(*) from full_run.main.{table}").fetchall()
            [(diff,)] = con.execute(
                f"select count(*) from ((select * from full_run.main.{table} except all "
                f"select * from daily_run.main.{table}) union all (select * from "
                f"daily_run.main.{table} except all select * from full_run.main.{table}))"
            ).fetchall()
            assert n_rows > 0 and diff == 0, table
