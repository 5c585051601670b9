"""End-to-end behaviour of the dbt models on a tiny planted input (DuckDB).

One build over a seeded day of traffic: planted C2 beacons of every jitter model (including
per-beat subdomains, missing beats and A + AAAA + retry bursts), a Poisson browser, a crowd of
background browsing, and malformed rows. A second pair of builds over three days proves that a
full refresh and a day-by-day incremental run produce the same tables.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beaconlake import warehouse
from beaconlake.project import published_marts
from beaconlake.simulate.timing import beat_times
from beaconlake.store import DuckDBWarehouse

DAY0 = dt.datetime(2024, 3, 4)
N_CROWD_HOSTS = 30

#: (host, name, period s, jitter, model, missing share, subdomain per beat)
PLANTED = [
    ("c2-uniform", "cdn.evil-uniform.com", 3000.0, 0.3, "uniform", 0.0, False),
    ("c2-sleep", "api.evil-sleep.net", 900.0, 0.5, "sleep_reduction", 0.25, False),
    ("c2-gauss", "evil-gauss.org", 1800.0, 0.5, "gaussian", 0.25, False),
    ("c2-add", "x.evil-add.io", 60.0, 0.5, "additive", 0.0, False),
    ("c2-sub", "evil-sub.com", 600.0, 0.3, "uniform", 0.25, True),
]


def _beats(
    rng: np.random.Generator, day: dt.datetime, period: float, jitter: float, model: str
) -> np.ndarray:
    start = day.timestamp()
    return beat_times(rng, start, start + 86400, period, jitter, model)


def _planted_events(rng: np.random.Generator, day: dt.datetime) -> list[tuple]:
    rows = []
    for host, name, period, jitter, model, missing, fresh in PLANTED:
        times = _beats(rng, day, period, jitter, model)
        times = times[rng.random(len(times)) >= missing]
        for i, t in enumerate(times):
            qname = f"s{i:05d}{rng.integers(1_000_000):06d}.{name}" if fresh else name
            burst = [(t, "A"), (t + 0.002, "AAAA"), (t + rng.uniform(0.2, 0.9), "A")]
            rows += [(ts, host, qname, qt) for ts, qt in burst]
    return rows


def _browsing_events(rng: np.random.Generator, day: dt.datetime) -> list[tuple]:
    rows = []
    start = day.timestamp()
    # A Poisson browser over working hours: exponential gaps, mean 3 minutes.
    t = start + 8 * 3600
    while t < start + 18 * 3600:
        rows.append((t, "browser", "news.example.org", "A"))
        t += rng.exponential(180.0)
    # Background crowd: bursty sessions on a Zipf-ish set of sites.
    sites = [f"www.site{i}.com" for i in range(60)]
    weights = 1.0 / np.arange(1, len(sites) + 1)
    weights /= weights.sum()
    for h in range(N_CROWD_HOSTS):
        for _ in range(rng.integers(3, 8)):
            session = start + rng.uniform(8 * 3600, 17 * 3600)
            for _ in range(rng.integers(5, 40)):
                at = session + rng.exponential(600.0)
                site = sites[rng.choice(len(sites), p=weights)]
                rows += [
                    (at, f"crowd-{h:02d}", site, "A"),
                    (at + 0.001, f"crowd-{h:02d}", site, "AAAA"),
                ]
    return rows


def _malformed(day: dt.datetime) -> list[tuple]:
    t = day.timestamp() + 3600
    return [
        (t, None, "ok.example.com", "A"),
        (t, "bad", "bad name.example.com", "A"),
        (t, "bad", "a" * 64 + ".example.com", "A"),
        (t, "bad", "x." * 130 + "com", "A"),
        (t, "bad", None, "A"),
        (t - 7200, "bad", "early.example.com", "A"),  # previous day: outside the partition's day
    ]


#: Answer TTL of the planted beacons' names; the crowd's sites answer A with 300 s, AAAA with no
#: answer; the Poisson browser's log has no TTLs.
PLANTED_TTL = 120.0


def _answer_ttl(host: str | None, qtype: str) -> float | None:
    if host is not None and host.startswith("c2-"):
        return PLANTED_TTL
    if host is not None and host.startswith("crowd-") and qtype == "A":
        return 300.0
    return None


def write_day(
    root: Path, day: dt.datetime, seed: int, malformed: bool = True, with_ttl: bool = True
) -> int:
    """Write one day of the planted scenario as the input contract; return the row count.
    Without ``with_ttl`` the optional answer_ttl_seconds column is left out."""
    rng = np.random.default_rng(seed)
    rows = _planted_events(rng, day) + _browsing_events(rng, day)
    if malformed:
        rows += _malformed(day)
        rows += [(day.timestamp() + 5.5, "dup-host", "dup.example.com", "A")] * 3  # 2 duplicates
    times, hosts, names, qtypes = zip(*rows, strict=True)
    micros = (np.asarray(times) * 1e6).astype("int64")
    table = pa.table(
        {
            "event_time": pa.array(micros, pa.timestamp("us")),
            "host_id": pa.array(hosts, pa.string()),
            "query_name": pa.array(names, pa.string()),
            "tenant_id": ["tenant-1"] * len(rows),
            "query_type": pa.array(qtypes, pa.string()),
            "response_code": ["NOERROR"] * len(rows),
        }
    )
    if with_ttl:
        ttls = [_answer_ttl(host, qtype) for _, host, _, qtype in rows]
        table = table.append_column("answer_ttl_seconds", pa.array(ttls, pa.float64()))
    part = root / "events" / f"event_date={day.date().isoformat()}"
    part.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, part / "part-0.parquet")
    return len(rows)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    root = tmp_path_factory.mktemp("pipeline")
    n_raw = write_day(root, DAY0, seed=1)
    db = root / "pipeline.duckdb"
    result = warehouse.build(root, db_path=db)
    assert result.success, [n for n in result.nodes if n[1] not in ("success", "pass")]
    return db, n_raw


def _query(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_planted_beacon_is_a_candidate(built: tuple[Path, int]) -> None:
    db, _ = built
    found = {(h, d) for h, d in _query(db, "select host_id, domain from fct_beacon_candidates")}
    for host, name, *_, fresh in PLANTED:
        key = name.split(".", 1)[1] if name.count(".") > 1 else name
        expected = (host, key if fresh else name)
        assert expected in found, expected


def test_answer_ttl_reaches_the_candidates(built: tuple[Path, int]) -> None:
    db, _ = built
    rows = _query(
        db,
        "select host_id, domain_level, answer_ttl_seconds from fct_beacon_candidates "
        "where host_id like 'c2-%'",
    )
    assert {h for h, *_ in rows} == {p[0] for p in PLANTED}
    assert all(ttl == PLANTED_TTL for *_, ttl in rows), rows
    crowd = _query(
        db,
        "select min(min_answer_ttl_seconds), max(min_answer_ttl_seconds) "
        "from int_dns_queries_aggregated_to_seconds where host_id like 'crowd-%'",
    )
    assert crowd == [(300.0, 300.0)]  # the AAAA queries' missing answers do not count
    browser = _query(
        db,
        "select answer_ttl_seconds from int_dns_pairs_aggregated_to_days where host_id = 'browser'",
    )
    assert browser == [(None,)]


def test_browsing_crowd_is_not_a_candidate(built: tuple[Path, int]) -> None:
    db, _ = built
    rows = _query(
        db, "select host_id, domain from fct_beacon_candidates where host_id like 'crowd-%'"
    )
    assert rows == []


@pytest.mark.xfail(
    strict=True,
    reason="known limit of the SQL stage: a steady Poisson stream has MAD/median ~0.69, inside "
    "the 0.75 that 50 % Gaussian jitter with 25 % missing beats needs; the confirmation step "
    "(periodogram) must reject it",
)
def test_poisson_browser_is_not_a_candidate(built: tuple[Path, int]) -> None:
    db, _ = built
    assert _query(db, "select domain from fct_beacon_candidates where host_id = 'browser'") == []


def test_quarantine_and_conservation(built: tuple[Path, int]) -> None:
    db, n_raw = built
    reasons = dict(
        _query(db, "select rejection_reason, count(*) from stg_dns__events_rejected group by 1")
    )
    assert reasons == {
        "missing_host_id": 1,
        "invalid_characters": 1,
        "label_too_long": 1,
        "name_too_long": 1,
        "missing_query_name": 1,
        "outside_run_window": 1,
    }
    ((staged, duplicates),) = _query(
        db, "select sum(n_queries), sum(n_duplicates) from int_dns_queries_aggregated_to_seconds"
    )
    assert duplicates == 2
    assert staged + duplicates + sum(reasons.values()) == n_raw


def test_two_names_under_one_key_fail_the_build(built: tuple[Path, int], tmp_path: Path) -> None:
    # the per-second table knows a name only by its 64-bit key: a second name under a key that
    # is taken must stop the build, not merge the two names' counts
    db, _ = built
    copy = tmp_path / "collision.duckdb"
    shutil.copy(db, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "insert into stg_dns__query_names by name "
            "select 'other.example' as raw_query_name, 'other.example' as query_name, "
            "query_name_key, 'other.example' as registered_domain, first_seen_date "
            "from stg_dns__query_names where query_name = 'cdn.evil-uniform.com' limit 1"
        )
    test = ["test", "--select", "assert_query_name_keys_distinct"]
    glob = {"raw_dns_glob": warehouse.raw_glob(db.parent)}
    assert warehouse.run_dbt(test, glob, db_path=db).success
    failed = warehouse.run_dbt(test, glob, db_path=copy)
    assert not failed.success
    assert [status for node, status, _ in failed.nodes if node.startswith("test.")] == ["fail"]


INCREMENTAL_TABLES = (
    "stg_dns__events_rejected",
    "int_dns_queries_aggregated_to_seconds",
    "int_dns_pairs_aggregated_to_days",
    "int_dns_beat_series",
    "int_dns_beat_intervals",
    "int_dns_queries_aggregated_to_minutes",
    "int_dns_pair_interval_stats",
    "int_dns_domain_prevalence",
    "int_dns_host_activity",
    "int_dns_pair_profiles",
    "fct_beacon_candidates",
    "fct_beacon_candidate_beats",
    "fct_dns_event_counts",
)


def test_full_refresh_equals_day_by_day(tmp_path: Path) -> None:
    days = [DAY0 + dt.timedelta(days=i) for i in range(3)]
    for i, day in enumerate(days):
        # the last day's files lack the optional answer_ttl_seconds column
        write_day(tmp_path, day, seed=10 + i, malformed=(i == 1), with_ttl=(i != 2))
    full_db, daily_db = tmp_path / "full.duckdb", tmp_path / "daily.duckdb"
    first, last = days[0].date().isoformat(), days[-1].date().isoformat()
    assert warehouse.build(tmp_path, db_path=full_db, start_date=first, end_date=last).success
    for day in days:
        iso = day.date().isoformat()
        assert warehouse.build(tmp_path, db_path=daily_db, start_date=iso, end_date=iso).success
    with duckdb.connect() as con:
        con.execute(f"attach '{full_db}' as full_run (read_only)")
        con.execute(f"attach '{daily_db}' as daily_run (read_only)")
        for table in INCREMENTAL_TABLES:
            [(n_rows,)] = con.execute(f"select count(*) from full_run.main.{table}").fetchall()
            [(diff,)] = con.execute(
                f"select count(*) from ((select * from full_run.main.{table} except all "
                f"select * from daily_run.main.{table}) union all (select * from "
                f"daily_run.main.{table} except all select * from full_run.main.{table}))"
            ).fetchall()
            assert n_rows > 0, table
            assert diff == 0, table


def test_python_finds_every_model_where_dbt_built_it(built: tuple[Path, int]) -> None:
    """The published marts live in a schema of their own: the Python side's rule for where a
    model lives (``project.schema_of``) names the schema dbt really built each relation in."""
    db, _ = built
    relations = _query(
        db,
        "select table_schema, table_name from information_schema.tables "
        "where table_schema like 'main%'",
    )
    wh = DuckDBWarehouse(str(db), read_only=True)
    assert {wh.relation(name) for _, name in relations} == {
        f'"{schema}"."{name}"' for schema, name in relations
    }
    marts = {name for schema, name in relations if schema == "main_findings"}
    assert marts == published_marts() and "rpt_beacon_alerts" in marts
