"""Strings a user or an attacker controls never become SQL, and one forged row cannot poison
later runs (DuckDB; the Trino side of paths is in test_trino_pipeline.py).

- Paths reach SQL as quoted literals: a folder named ``x'||version()||'`` is read as that folder,
  one named ``y'||''||'`` does not read its sibling ``y``.
- Dates and vars are checked against their form before dbt starts (the CLI, one line, exit 2)
  and again in dbt (date_var, number_var, validate_vars), so a plain ``dbt build --vars`` with a
  crafted value fails too.
- A row dated in the year 3000 is quarantined as implausible, and a later date-less build of a
  normal day still stages every valid row: no model's state moves to the year 3000.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from click.testing import CliRunner

from beaconlake import project, warehouse
from beaconlake.cli import main
from beaconlake.confirm.scoring import SEVERITIES
from beaconlake.errors import ConfigError
from beaconlake.ingest.writer import CONTRACT_SCHEMA

ROOT = Path(__file__).resolve().parents[1]
DAY1, DAY2 = dt.date(2024, 4, 20), dt.date(2024, 4, 21)
FAR = dt.date(3000, 1, 1)
SELECT = "+fct_dns_event_counts"  # staging and the per-day accounting: all these tests need


def _write_day(root: Path, day: dt.date, n: int, names: str = "n{i}.example.com") -> None:
    start = dt.datetime.combine(day, dt.time(8))
    table = pa.table(
        {
            "event_time": [start + dt.timedelta(minutes=5 * i) for i in range(n)],
            "host_id": [f"h{i % 3}" for i in range(n)],
            "query_name": [names.format(i=i) for i in range(n)],
            "tenant_id": ["t"] * n,
            "query_type": ["A"] * n,
            "response_code": ["NOERROR"] * n,
            "answer_ttl_seconds": [300.0] * n,
        },
        schema=CONTRACT_SCHEMA,
    )
    folder = root / f"event_date={day.isoformat()}"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-00000.parquet")


def _counts(db: Path) -> dict[dt.date, tuple[int, int, int]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "select event_date, n_raw, n_staged, n_rejected from main.fct_dns_event_counts"
        ).fetchall()
    return {day: (raw, staged, rejected) for day, raw, staged, rejected in rows}


def _reasons(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.sql(
            "select rejection_reason, count(*) from main.stg_dns__events_rejected group by 1"
        ).fetchall()
    return dict(rows)


def _log(result: warehouse.BuildResult) -> str:
    """dbt's log of the invocation ('' when it wrote none)."""
    return result.log_path.read_text() if result.log_path else ""


@pytest.fixture
def dbt_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "dbt_target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "dbt_logs"))
    return tmp_path


# --- checked before dbt starts ------------------------------------------------------------


def test_numeric_default_vars_are_read_through_number_var() -> None:
    """Every var whose default is a number reaches SQL only through number_var."""
    defaults = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]
    numeric = {
        k for k, v in defaults.items() if isinstance(v, int | float) and not isinstance(v, bool)
    }
    raw_reads = []
    for path in [
        *ROOT.glob("models/**/*.sql"),
        *ROOT.glob("macros/**/*.sql"),
        *ROOT.glob("tests/dbt/**/*.sql"),
    ]:
        for name in re.findall(r"""(?<![a-z_])var\(\s*['"]([a-z_]+)['"]""", path.read_text()):
            if name in numeric and path.name != "number_var.sql":
                raw_reads.append(f"{path.relative_to(ROOT)}: {name}")
    assert numeric and raw_reads == []


def test_the_severity_scale_is_spelled_once() -> None:
    """SQL and Python read one severity scale (var severities): no model, macro or test query
    spells a severity name, no Python module lists the scale again."""
    scale = yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]["severities"]
    assert list(SEVERITIES) == scale and scale[0] == "info" and scale[-1] == "critical"
    names = "|".join(scale)
    spelled = [
        str(path.relative_to(ROOT))
        for path in [*ROOT.glob("models/**/*.sql"), *ROOT.glob("macros/**/*.sql")]
        if re.search(rf"'({names})'", path.read_text())
    ]
    listed = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("python_udfs/**/*.py")
        if re.search(r"""["']info["'](:\s*\d+)?,\s*["']low["']""", path.read_text())
    ]
    assert spelled == [] and listed == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"min_beats": "1) or (1=1"}, "var min_beats must be a number"),
        ({"min_beats": True}, "var min_beats must be a number"),
        ({"raw_dns_register": "yes"}, "var raw_dns_register must be true or false"),
        ({"end_date": "2024-04-20' or '1'='1"}, "var end_date must be a date YYYY-MM-DD"),
        ({"start_date": "2024-02-30"}, "var start_date must be a date YYYY-MM-DD"),
        ({"raw_dns_table": 7}, "var raw_dns_table must be text"),
        ({"no_such_var": 1}, "unknown dbt var 'no_such_var'"),
        ({"severities": "info"}, "var severities is a fixed list, not a tunable"),
    ],
)
def test_check_vars_refuses_a_value_of_the_wrong_form(overrides: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        project.check_vars(overrides)


def test_check_vars_keeps_values_of_the_right_form() -> None:
    checked = project.check_vars(
        {
            "min_beats": 15,
            "max_prevalence": 0.4,
            "end_date": dt.date(2024, 4, 20),
            "start_date": None,
            "raw_dns_register": False,
            "raw_dns_location": "s3://b/dns",
        }
    )
    assert checked["end_date"] == "2024-04-20" and checked["min_beats"] == 15
    assert checked["start_date"] is None and checked["raw_dns_register"] is False


@pytest.mark.parametrize(
    "args",
    [
        ["build", "--input", "x", "--end-date", "2024-04-20' or '1'='1"],
        ["build", "--input", "x", "--var", "min_beats=1) or (1=1"],
        ["build", "--input", "x", "--start-date", "2024-04-21", "--end-date", "2024-04-20"],
        ["run", "--input", "x", "--var", "end_date=2024-04-20' or '1'='1"],
        ["confirm", "--start", "2024-04-20 or 1=1", "--end", "2024-04-21"],
    ],
)
def test_cli_refuses_crafted_dates_and_vars_in_one_line(args: list[str]) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert [line for line in lines if line.startswith("Error:")] == [lines[-1]]
    assert len(lines) <= 3  # click's usage hint (two lines) and the one error line


# --- checked in dbt (a plain `dbt build --vars ...`) ---------------------------------------


@pytest.mark.parametrize(
    ("dbt_vars", "message"),
    [
        ({"end_date": "2024-04-20' or '1'='1"}, "var end_date must be a date YYYY-MM-DD"),
        ({"start_date": "2024-04-22", "end_date": "2024-04-20"}, "is after end_date"),
        ({"raw_dns_table": "x; drop table y"}, "var raw_dns_table must be a plain identifier"),
        ({"min_beats": "1) or (1=1"}, "var min_beats must be a number"),
    ],
)
def test_dbt_refuses_crafted_vars(dbt_folders: Path, dbt_vars: dict, message: str) -> None:
    events = dbt_folders / "events"
    _write_day(events, DAY1, 3)
    result = warehouse.run_dbt(
        ["build", "--select", "int_dns_pairs_checked"],
        {"raw_dns_glob": warehouse.raw_glob(events), **dbt_vars},
        db_path=dbt_folders / "w.duckdb",
    )
    assert not result.success
    assert message in (result.error or "") or message in _log(result)


# --- paths are literals ----------------------------------------------------------------------


def test_a_quote_in_the_input_folder_is_part_of_the_path(dbt_folders: Path) -> None:
    crafted = dbt_folders / "x'||version()||'"
    _write_day(crafted, DAY1, 7)
    result = warehouse.build(crafted, db_path=dbt_folders / "w.duckdb", select=SELECT)
    assert result.success, result.error
    assert _counts(dbt_folders / "w.duckdb") == {DAY1: (7, 7, 0)}


def test_a_crafted_folder_does_not_read_its_sibling(dbt_folders: Path) -> None:
    _write_day(dbt_folders / "y", DAY1, 5)
    crafted = dbt_folders / "y'||''||'"
    crafted.mkdir()
    result = warehouse.build(crafted, db_path=dbt_folders / "w.duckdb", select=SELECT)
    assert not result.success  # no files match the literal path; folder y is never read
    assert "No files found" in (result.error or "") + _log(result)


# --- one forged far-future row --------------------------------------------------------------


def test_a_far_future_day_does_not_poison_later_builds(dbt_folders: Path) -> None:
    """Day 1, then a year-3000 day, then a date-less build of day 2: day 2 is staged whole."""
    events, db = dbt_folders / "events", dbt_folders / "w.duckdb"
    _write_day(events, DAY1, 6)
    first = warehouse.build(events, db, DAY1.isoformat(), DAY1.isoformat(), select=SELECT)
    assert first.success, first.error
    _write_day(events, FAR, 4, names="forged{i}.example.net")
    forged = warehouse.build(events, db, FAR.isoformat(), FAR.isoformat(), select=SELECT)
    assert forged.success, forged.error
    assert _reasons(db) == {"implausible_event_time": 4}

    _write_day(events, DAY2, 9, names="d2-{i}.example.org")
    later = warehouse.build(events, db, select=SELECT)  # no dates: from the latest state on
    assert later.success, later.error
    counts = _counts(db)
    assert counts[DAY2] == (9, 9, 0)  # every valid row staged, none an unknown name
    assert counts[FAR] == (4, 0, 4)
    assert "unknown_query_name" not in _reasons(db)
    with duckdb.connect(str(db), read_only=True) as con:
        [(latest,)] = con.execute(
            "select max(first_seen_date) from main.stg_dns__query_names"
        ).fetchall()
    assert latest == DAY2


# --- the input is checked before the pipeline ------------------------------------------------


def _write_table(root: Path, partition: str, table: pa.Table) -> None:
    folder = root / f"event_date={partition}"
    folder.mkdir(parents=True)
    pq.write_table(table, folder / "part-00000.parquet")


# left as written: one record per line
@pytest.mark.parametrize(
    ("partition", "columns", "message"),
    [
        ("2024-04-20", {"event_time": ["2024-04-20 08:00:00"], "host_id": ["h"],
                        "query_name": ["a.com"], "tenant_id": ["t"]},
         "column event_time is string, not a timestamp"),
        ("2024-04-20", {"event_time": [dt.datetime(2024, 4, 20, 8)], "host_id": ["h"],
                        "query_name": ["a.com"]},
         "missing required column(s) tenant_id"),
        ("2024-04-20", {"event_time": [dt.datetime(2024, 4, 20, 8)], "host_id": [7],
                        "query_name": ["a.com"], "tenant_id": ["t"]},
         "column host_id is int64, not text"),
        ("2024-13-45", {"event_time": [dt.datetime(2024, 4, 20, 8)], "host_id": ["h"],
                        "query_name": ["a.com"], "tenant_id": ["t"]},
         "partition event_date must be a date YYYY-MM-DD, not '2024-13-45'"),
        ("1970-01-01", {"event_time": [dt.datetime(1970, 1, 1, 8)], "host_id": ["h"],
                        "query_name": ["a.com"], "tenant_id": ["t"]},
         "lies outside the plausible days"),
    ],
)  # fmt: skip
def test_run_refuses_input_off_the_contract_in_one_line(
    tmp_path: Path, partition: str, columns: dict, message: str
) -> None:
    _write_table(tmp_path / "events", partition, pa.table(columns))
    result = CliRunner().invoke(
        main, ["run", "--input", str(tmp_path / "events"), "--db", str(tmp_path / "w.duckdb")]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "w.duckdb").exists()  # refused before any work


def test_run_refuses_a_window_without_rows_and_keeps_earlier_findings(dbt_folders: Path) -> None:
    """A window that holds no row of the input must not replace its findings with nothing."""
    events = dbt_folders / "events"
    _write_day(events, DAY1, 5)
    # left as written: each flag beside its value
    result = CliRunner().invoke(
        main,
        ["run", "--input", str(events), "--db", str(dbt_folders / "w.duckdb"),
         "--start", "2024-01-01", "--end", "2024-01-02"],
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert "holds no rows" in last and "earlier findings kept" in last


def test_files_the_cli_writes_are_not_world_readable(tmp_path: Path) -> None:
    log = tmp_path / "dns.log"
    log.write_text('{"ts": 1713600000.5, "id.orig_h": "10.0.0.1", "query": "a.example.com"}\n')
    result = CliRunner().invoke(main, ["ingest", "zeek", str(log), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    written = [p for p in (tmp_path / "o").rglob("*")]
    assert written and all(p.stat().st_mode & 0o007 == 0 for p in written)
