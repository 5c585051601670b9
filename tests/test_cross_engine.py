"""The same results on DuckDB and on Trino.

- The engine macros (``macros/engine``): ``tests/engine_macros`` is a small dbt project whose
  seeds hold inputs and expected values and whose models compute the actual values with the
  macros; ``dbt build`` of it passes on each engine only when every data test agrees.
- The whole job: one small simulated input (the session's ``small_dataset``, its second day
  without the optional ``response_code`` and ``answer_ttl_seconds`` columns) through
  ``beaconlake run`` on each engine gives the same candidates and the same findings, scores
  equal within 1e-6.

The Trino halves need a server (see tests/trino_support.py); they skip without one unless
BEACONLAKE_REQUIRE_TRINO=1.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import trino_support
from beaconlake import warehouse
from beaconlake.cli import main
from beaconlake.simulate.generator import SimulationSummary
from beaconlake.store import DuckDBWarehouse, TrinoWarehouse

pytestmark = [pytest.mark.trino, pytest.mark.slow]

ENGINE_MACROS = Path(__file__).resolve().parent / "engine_macros"

CANDIDATE_KEY = ["tenant_id", "host_id", "domain_level", "domain", "event_date"]
FINDING_KEY = ["window_start", "tenant_id", "host_id", "domain_level", "domain"]


@pytest.mark.parametrize("engine", ["duckdb", "trino"])
def test_engine_macros_give_the_expected_values(engine: str, tmp_path: Path) -> None:
    env = {"BEACONLAKE_DUCKDB_PATH": str(tmp_path / "engine_macros.duckdb")}
    if engine == "trino":
        trino_support.require_server()
    with trino_support.trino_target(tmp_path) if engine == "trino" else nullcontext():
        try:
            ok, nodes = trino_support.dbt_invoke(
                ["build", "--target", engine], ENGINE_MACROS, tmp_path, env
            )
        finally:
            warehouse._release_duckdb()
    failed = [n for n in nodes if n[1] not in ("success", "pass")]
    assert ok and not failed, failed
    tests = [uid for uid, _ in nodes if uid.startswith("test.")]
    models = [uid for uid, _ in nodes if uid.startswith("model.")]
    expected = {p.stem for p in (ENGINE_MACROS / "models").glob("*.sql")}
    assert {uid.rsplit(".", 1)[-1] for uid in models} == expected, nodes
    # a test's name holds what it checks: equals_expected_engine_<macro>_..., assert_<macro>_...
    macros = {model: model.removeprefix("engine_") for model in expected}
    untested = {model for model, macro in macros.items() if not any(macro in t for t in tests)}
    assert not untested, f"engine macro models without a test: {sorted(untested)}"


@pytest.fixture(scope="module")
def mixed_input(
    small_dataset: tuple[Path, SimulationSummary], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The small dataset with its last day rewritten without the optional response_code and
    answer_ttl_seconds."""
    source, _ = small_dataset
    out = tmp_path_factory.mktemp("mixed") / "sim"
    shutil.copytree(source, out)
    days = sorted((out / "events").glob("event_date=*"))
    assert len(days) == 2
    for part in days[-1].glob("*.parquet"):
        table = pq.read_table(part)
        pq.write_table(table.drop_columns(["response_code", "answer_ttl_seconds"]), part)
    return out


def _run(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def duckdb_run(mixed_input: Path, tmp_path_factory: pytest.TempPathFactory) -> DuckDBWarehouse:
    db = tmp_path_factory.mktemp("duckdb_run") / "beaconlake.duckdb"
    _run(["--input", str(mixed_input), "--target", "duckdb", "--db", str(db)])
    return DuckDBWarehouse(str(db))


@pytest.fixture(scope="module")
def trino_run(
    mixed_input: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrinoWarehouse]:
    trino_support.require_server()
    with trino_support.trino_target(tmp_path_factory.mktemp("trino_run")):
        _run(["--input", str(mixed_input), "--target", "trino"])
        yield TrinoWarehouse.from_env()


def _read(wh: DuckDBWarehouse | TrinoWarehouse, table: str, key: list[str]) -> pd.DataFrame:
    frame = wh.query(f"select * from {wh.relation(table)}")
    for column in frame.columns:
        if column.endswith(("_at", "_date", "_start", "_end")):
            frame[column] = pd.to_datetime(frame[column])
    return frame.sort_values(key).reset_index(drop=True)


def _assert_same(left: pd.DataFrame, right: pd.DataFrame, ignore: tuple[str, ...] = ()) -> None:
    assert list(left.columns) == list(right.columns)
    assert len(left) == len(right)
    for column in left.columns:
        if column in ignore:
            continue
        a, b = left[column], right[column]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b):
            close = np.isclose(
                a.astype(float), b.astype(float), rtol=1e-9, atol=1e-6, equal_nan=True
            )
            assert close.all(), (column, left[~close], right[~close])
        else:
            same = (a.astype(object) == b.astype(object)) | (a.isna() & b.isna())
            assert same.all(), (column, left[~same.to_numpy()], right[~same.to_numpy()])


def test_same_candidates_on_both_engines(
    duckdb_run: DuckDBWarehouse, trino_run: TrinoWarehouse
) -> None:
    expected = _read(duckdb_run, "fct_beacon_candidates", CANDIDATE_KEY)
    got = _read(trino_run, "fct_beacon_candidates", CANDIDATE_KEY)
    assert len(expected) > 20
    assert set(expected.candidate_reason) >= {"thresholds"}
    _assert_same(expected, got)


def test_same_candidate_beats_on_both_engines(
    duckdb_run: DuckDBWarehouse, trino_run: TrinoWarehouse
) -> None:
    key = [*CANDIDATE_KEY, "beat_at"]
    expected = _read(duckdb_run, "fct_beacon_candidate_beats", key)
    got = _read(trino_run, "fct_beacon_candidate_beats", key)
    # Beats keep their microseconds on both engines (seconds here, but no ms rounding either).
    _assert_same(expected, got)


def test_same_findings_on_both_engines(
    duckdb_run: DuckDBWarehouse, trino_run: TrinoWarehouse
) -> None:
    expected = _read(duckdb_run, "fct_beacon_findings", FINDING_KEY)
    got = _read(trino_run, "fct_beacon_findings", FINDING_KEY)
    assert expected.severity_rank.ge(2).sum() > 0, "no alert-level finding to compare"
    _assert_same(expected, got, ignore=("confirmed_at", "rank_in_tenant"))
    # The rank orders by score: findings whose scores differ in the last bits (summation order)
    # may swap places, nothing else.
    assert _rank_order(got) == _rank_order(expected)


def _rank_order(findings: pd.DataFrame) -> list[tuple[object, ...]]:
    """Per tenant and window, in rank order: each score (to 1e-9) with the set of its keys."""
    ranked = findings.sort_values(["tenant_id", "window_start", "rank_in_tenant"])
    order: list[tuple[object, ...]] = []
    for (tenant, start), group in ranked.groupby(["tenant_id", "window_start"], sort=True):
        assert group.rank_in_tenant.tolist() == list(range(1, len(group) + 1))
        assert group.score.is_monotonic_decreasing
        for score, tied in group.groupby(group.score.round(9), sort=False):
            keys = frozenset(zip(tied.host_id, tied.domain_level, tied["domain"], strict=True))
            order.append((tenant, start, score, keys))
    return order


def test_optional_column_absent_on_one_day_reads_null_on_both_engines(
    duckdb_run: DuckDBWarehouse, trino_run: TrinoWarehouse
) -> None:
    sql = (
        "select event_date, count(*) as n_events, count(response_code) as n_codes, "
        "count(answer_ttl_seconds) as n_ttls from {} group by event_date order by event_date"
    )
    expected = duckdb_run.query(sql.format(duckdb_run.relation("stg_dns__events")))
    got = trino_run.query(sql.format(trino_run.relation("stg_dns__events")))
    assert expected.n_codes.iloc[0] == expected.n_events.iloc[0] > 0
    assert expected.n_codes.iloc[1] == 0 < expected.n_events.iloc[1]
    assert got.n_events.tolist() == expected.n_events.tolist()
    assert got.n_codes.tolist() == expected.n_codes.tolist()
    assert 0 < expected.n_ttls.iloc[0] < expected.n_codes.iloc[0]  # NXDOMAIN has no TTL
    assert expected.n_ttls.iloc[1] == 0
    assert got.n_ttls.tolist() == expected.n_ttls.tolist()
