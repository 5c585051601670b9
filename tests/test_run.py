"""The one-command run: dbt candidates, confirmation, findings marts; idempotent; clear errors."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from beaconlake.cli import main
from beaconlake.pipeline import Window
from beaconlake.simulate.generator import simulate
from beaconlake.simulate.scenario import BeaconSpec, Scenario
from beaconlake.store import warehouse_for
from beaconlake.store.confirmation import read_beats, read_candidates

pytestmark = pytest.mark.slow

PLANTED = (
    BeaconSpec("c2-50m", 3000, 0.3, "uniform", queries_per_beat=2, query_name="api.kolibrax.top"),
    BeaconSpec(
        "c2-tunnel",
        600,
        0.2,
        "sleep_reduction",
        subdomain_per_beat=True,
        query_name="t.zumbaxo.xyz",
    ),
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run")
    scenario = Scenario(hosts=40, days=2, tenants=2, seed=4, events_per_host=1500, beacons=PLANTED)
    simulate(scenario, out / "sim", workers=1)
    result = CliRunner().invoke(
        main, ["run", "--input", str(out / "sim"), "--db", str(out / "bl.duckdb")]
    )
    assert result.exit_code == 0, result.output
    (out / "run.log").write_text(result.output)
    return out


def _findings(db: Path) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("select * from main_findings.fct_beacon_findings").df()


def test_planted_beacons_become_findings_with_reasons(run_dir: Path) -> None:
    truth = pd.read_csv(run_dir / "sim" / "ground_truth.csv")
    found = _findings(run_dir / "bl.duckdb")
    for row in truth[truth.label == "c2"].itertuples():
        hit = found[
            (found.host_id == row.host_id)
            & found.domain.isin([row.query_name, row.registered_domain])
        ]
        assert len(hit), f"{row.channel} on {row.host_id} not found"
        best = hit.sort_values("score").iloc[-1]
        assert best.period_seconds == pytest.approx(
            row.period_seconds * (0.9 if row.jitter_model == "sleep_reduction" else 1.0), rel=0.1
        )
        assert best.severity in ("medium", "high", "critical")
        assert best.reason.startswith("every ")


def test_run_ends_with_counts_per_day_and_for_the_window(run_dir: Path) -> None:
    """raw, staged, rejected and duplicate rows per day; candidates, confirmed and alerts."""
    log = (run_dir / "run.log").read_text()
    days = re.findall(r"^(\d{4}-\d{2}-\d{2}) +([\d,]+) +([\d,]+) +([\d,]+) +([\d,]+)$", log, re.M)
    assert len(days) == 2
    for _, *counts in days:
        raw, staged, rejected, duplicates = (int(c.replace(",", "")) for c in counts)
        assert raw > 0 and raw == staged + rejected + duplicates
    summary = re.search(r"candidates, .* confirmed periodic, (\d+) alerts", log)
    assert summary and int(summary.group(1)) > 0
    with duckdb.connect(str(run_dir / "bl.duckdb"), read_only=True) as con:
        [(alerts,)] = con.execute("select count(*) from main_findings.rpt_beacon_alerts").fetchall()
    assert int(summary.group(1)) == alerts


def test_rerunning_a_window_replaces_its_rows(run_dir: Path) -> None:
    db = run_dir / "bl.duckdb"
    with duckdb.connect(str(db), read_only=True) as con:
        [(before,)] = con.execute("select count(*) from main.beacon_findings").fetchall()
    result = CliRunner().invoke(main, ["run", "--input", str(run_dir / "sim"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    with duckdb.connect(str(db), read_only=True) as con:
        [(after,)] = con.execute("select count(*) from main.beacon_findings").fetchall()
        [(windows,)] = con.execute(
            "select count(distinct (window_start, window_end)) from main.beacon_findings"
        ).fetchall()
    assert after == before and windows == 1


def test_findings_command_formats(run_dir: Path) -> None:
    db = str(run_dir / "bl.duckdb")
    as_csv = CliRunner().invoke(main, ["findings", "--db", db, "--per-window", "--format", "csv"])
    assert as_csv.exit_code == 0
    header = as_csv.output.splitlines()[0].split(",")
    for col in (
        "tenant_id",
        "host_id",
        "domain",
        "period_seconds",
        "jitter",
        "events",
        "score",
        "severity",
        "reason",
    ):
        assert col in header
    incidents = CliRunner().invoke(main, ["findings", "--db", db, "--format", "csv"])
    assert incidents.exit_code == 0
    header = incidents.output.splitlines()[0].split(",")
    for col in (
        "incident_id",
        "tenant_id",
        "host_id",
        "beacon_kind",
        "beacon_key",
        "domains",
        "status",
        "first_seen_at",
        "last_seen_at",
        "severity",
        "reason",
    ):
        assert col in header
    as_json = CliRunner().invoke(main, ["findings", "--db", db, "--format", "json"])
    assert as_json.exit_code == 0 and as_json.output.lstrip().startswith("[")


def test_store_and_dbt_agree_on_the_findings_columns(run_dir: Path) -> None:
    from beaconlake.store import FINDINGS_COLUMNS

    with duckdb.connect(str(run_dir / "bl.duckdb"), read_only=True) as con:
        cols = [r[0] for r in con.execute("describe main.beacon_findings").fetchall()]
    assert cols == list(FINDINGS_COLUMNS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "--input", "/nonexistent/**/*.parquet"], "no Parquet files match"),
        (["run", "--input", "x", "--target", "oracle"], "Invalid value for '--target'"),
        (["findings", "--db", "/nonexistent/x.duckdb"], "no DuckDB database"),
    ],
)
def test_bad_input_is_one_line_and_nonzero(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_empty_input_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from beaconlake.ingest.writer import CONTRACT_SCHEMA

    folder = tmp_path / "event_date=2026-11-02"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                n: pa.array([], t)
                for n, t in zip(CONTRACT_SCHEMA.names, CONTRACT_SCHEMA.types, strict=True)
            }
        ),
        folder / "part-0.parquet",
    )
    result = CliRunner().invoke(main, ["run", "--input", str(tmp_path)])
    assert result.exit_code == 2 and "has no rows" in result.output
    assert dt.date(2026, 11, 2)  # the partition date parsed from the folder name is valid


def _stored(db: Path) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.execute("select * from main.beacon_findings").df()
    keys = ["tenant_id", "host_id", "domain_level", "domain"]
    return frame.drop(columns="confirmed_at").sort_values(keys).reset_index(drop=True)


def test_beats_are_read_under_their_candidates_series_ids(run_dir: Path) -> None:
    """The confirmation reads beats by series number, not by four strings: each number is the
    one its candidate was read with, so every beat lands on its own series."""
    keys = ["tenant_id", "host_id", "domain_level", "domain"]
    stored = _stored(run_dir / "bl.duckdb")
    window = Window(stored.window_start.min().date(), stored.window_end.max().date())
    wh = warehouse_for("duckdb", str(run_dir / "bl.duckdb"), read_only=True)
    cands, beats = read_candidates(wh, window), read_beats(wh, window)
    assert cands.series_id.is_unique and len(beats) > 1000
    assert list(beats.columns) == ["series_id", "event_epoch"]
    by_id = beats.merge(cands[[*keys, "series_id"]], on="series_id", how="left")
    assert by_id.domain.notna().all()
    direct = wh.query(
        f"""
        select tenant_id, host_id, domain_level, domain, epoch(beat_at) as event_epoch
        from main.fct_beacon_candidate_beats
        where not is_lookback
            and event_date >= date '{window.start}' and event_date < date '{window.end}'
        """
    )
    columns = [*keys, "event_epoch"]
    pd.testing.assert_frame_equal(
        by_id[columns].sort_values(columns).reset_index(drop=True),
        direct[columns].sort_values(columns).reset_index(drop=True),
        check_dtype=False,
    )


def test_confirm_alone_is_the_runs_confirmation(run_dir: Path, tmp_path: Path) -> None:
    """`beaconlake confirm` on the window `run` confirmed gives the same rows, and again."""
    import shutil

    db = tmp_path / "copy.duckdb"
    shutil.copy(run_dir / "bl.duckdb", db)
    before = _stored(db)
    start = before.window_start.min().date()
    end = before.window_end.max().date() - dt.timedelta(days=1)  # window_end is exclusive
    with duckdb.connect(str(db)) as con:
        con.execute("delete from main.beacon_findings")
    args = ["confirm", "--db", str(db), "--start", str(start), "--end", str(end)]
    for _ in range(2):  # idempotent per window
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "candidates" in result.output and "confirmed periodic" in result.output
        pd.testing.assert_frame_equal(_stored(db), before)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["confirm", "--db", "/nonexistent/x.duckdb", "--start", "2026-03-02", "--end", "03"],
            "Invalid value for '--end'",
        ),
        (
            [
                "confirm",
                "--db",
                "/nonexistent/x.duckdb",
                "--start",
                "2026-03-02",
                "--end",
                "2026-03-03",
            ],
            "no DuckDB database",
        ),
        (["confirm", "--start", "2026-03-03", "--end", "2026-03-02"], "empty window"),
        (["run", "--input", "x", "--var", "min_beats"], "is not KEY=VALUE"),
    ],
)
def test_confirm_and_var_errors_are_one_line(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_confirm_needs_a_built_warehouse(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()
    result = CliRunner().invoke(
        main, ["confirm", "--db", str(db), "--start", "2026-03-02", "--end", "2026-03-03"]
    )
    assert result.exit_code == 2 and "run `dbt build` first" in result.output


def test_plain_dbt_build_confirms_like_run(run_dir: Path, tmp_path: Path) -> None:
    """`dbt build` alone (the confirmation as a dbt Python model) writes the rows `run` wrote,
    and a later day's build confirms that day's window beside them."""
    from beaconlake import warehouse

    db = tmp_path / "dbt.duckdb"
    dbt_vars = {"raw_dns_glob": warehouse.raw_glob(run_dir / "sim")}
    assert warehouse.run_dbt(["build"], dbt_vars, db_path=db).success
    pd.testing.assert_frame_equal(_stored(db), _stored(run_dir / "bl.duckdb"))
    keys = ["tenant_id", "host_id", "domain_level", "domain"]
    published = [
        _findings(path).drop(columns="confirmed_at").sort_values(keys).reset_index(drop=True)
        for path in (db, run_dir / "bl.duckdb")
    ]
    pd.testing.assert_frame_equal(*published)
    assert published[0].severity.isin(["medium", "high", "critical"]).any()

    last_day = str(_stored(db).window_end.max().date() - dt.timedelta(days=1))
    day_vars = {**dbt_vars, "start_date": last_day, "end_date": last_day}
    assert warehouse.run_dbt(["build"], day_vars, db_path=db).success
    stored = _stored(db)
    first = stored.window_start == stored.window_start.min()
    pd.testing.assert_frame_equal(
        stored[first].reset_index(drop=True), _stored(run_dir / "bl.duckdb")
    )
    day = stored[~first]
    assert len(day) and {str(d.date()) for d in day.window_start} == {last_day}


def test_findings_without_confirmation_fail_a_test(run_dir: Path, tmp_path: Path) -> None:
    """A schedule that skips the confirmation between the candidates and findings stages
    fails `assert_candidates_confirmed` instead of publishing an empty queue."""
    import shutil

    from beaconlake import warehouse

    db = tmp_path / "skipped.duckdb"
    shutil.copy(run_dir / "bl.duckdb", db)
    with duckdb.connect(str(db)) as con:
        con.execute("delete from main.beacon_findings")
    built = warehouse.run_dbt(["build", "--selector", "findings"], db_path=db)
    failed = {uid.rsplit(".", 1)[-1] for uid, status, _ in built.nodes if status == "fail"}
    assert not built.success and failed == {"assert_candidates_confirmed"}


def test_run_passes_vars_to_dbt(run_dir: Path, tmp_path: Path) -> None:
    """A min_beats no series reaches leaves only what needs no count (none here)."""
    db = tmp_path / "strict.duckdb"
    # left as written: each flag beside its value
    result = CliRunner().invoke(main, ["run", "--input", str(run_dir / "sim"), "--db", str(db),
                                       "--var", "min_beats=100000"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "0 candidates" in result.output
