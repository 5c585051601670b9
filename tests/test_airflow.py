"""The Airflow DAGs (airflow/dags), parsed and run by Airflow itself.

Airflow's pins clash with dbt's, so Airflow has an environment of its own (`make airflow-venv`,
airflow/.venv) and these tests drive it in subprocesses: a temporary AIRFLOW_HOME with a SQLite
metadata database, Variables as AIRFLOW_VAR_* environment variables (one of Airflow's own
secrets backends), dbt and beaconlake from the environment running the tests.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from beaconlake.cli import main

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "airflow" / "dags"
AIRFLOW_BIN = ROOT / "airflow" / ".venv" / "bin"
DAY = "2026-11-02"
#: The stages of both DAGs, in order, with the task each waits for.
UPSTREAM = {"candidates": [], "confirm": ["candidates"], "findings": ["confirm"]}

#: What pip prints when it cannot reach the package index: the one reason to skip.
OFFLINE = (
    "NewConnectionError",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectTimeoutError",
    "ProxyError",
)

#: Loads the DAG folder the way the DAG processor does (its folder importable); DAY is the day
#: the scripts below run or render.
LOAD_DAGS = """
import json, os
from pathlib import Path
from airflow.dag_processing.dagbag import BundleDagBag
folder = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
bag = BundleDagBag(dag_folder=folder, bundle_path=folder)
DAY = os.environ["TEST_DAY"]
"""

#: Each DAG's tasks with their upstream tasks, and the dbt Cloud steps rendered for one day.
INSPECT = (
    LOAD_DAGS
    + """
from airflow.sdk.execution_time.context import VariableAccessor
dags = {
    dag_id: {
        "tasks": {t.task_id: sorted(t.upstream_task_ids) for t in dag.tasks},
        "catchup": dag.catchup,
        "max_active_runs": dag.max_active_runs,
        "timetable": type(dag.timetable).__name__,
    }
    for dag_id, dag in bag.dags.items()
}
steps = {}
for task_id in ("candidates", "findings"):
    task = bag.dags["beaconlake_dbt_cloud"].get_task(task_id)
    task.render_template_fields(
        {"ds": DAY, "var": {"value": VariableAccessor(deserialize_json=False)}}
    )
    steps[task_id] = {"job_id": task.job_id, "steps": task.steps_override}
print(json.dumps({"errors": bag.import_errors, "dags": dags, "steps": steps}))
"""
)

#: One run of the main DAG for DAY, then its task instances in the order they ran.
DAG_TEST = (
    LOAD_DAGS
    + """
import datetime as dt
assert not bag.import_errors, bag.import_errors
run = bag.dags["beaconlake"].test(logical_date=dt.datetime.fromisoformat(DAY + "T00:00+00:00"))
tis = sorted(run.get_task_instances(), key=lambda ti: ti.start_date)
print(json.dumps({
    "state": str(run.state),
    "tasks": [[ti.task_id, str(ti.state), ti.start_date.isoformat(), ti.end_date.isoformat()]
              for ti in tis],
}))
"""
)


def _build_airflow_venv() -> None:
    """`make airflow-venv` (quick when up to date); skips only when the index is unreachable."""
    build = subprocess.run(
        ["make", "airflow-venv"], cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    if build.returncode == 0:
        return
    output = build.stdout + build.stderr
    if any(word in output for word in OFFLINE):
        pytest.skip("make airflow-venv cannot reach the package index (no network)")
    pytest.fail(f"make airflow-venv failed:\n{output[-4000:]}")


@pytest.fixture(scope="module")
def airflow_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment of a fresh Airflow: its own home and SQLite database, no example DAGs, this
    repository's DAG folder, and the Variables every test shares."""
    _build_airflow_venv()
    home = tmp_path_factory.mktemp("airflow_home")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "BEACONLAKE_"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(DAGS),
        AIRFLOW__COSMOS__ENABLE_TELEMETRY="False",
        # dbt and beaconlake: this environment's
        BEACONLAKE_VENV=sys.prefix,
        # fail at once rather than retry five minutes later
        AIRFLOW_VAR_BEACONLAKE_RETRIES="0",
        TEST_DAY=DAY,
    )
    migrate = subprocess.run(
        [str(AIRFLOW_BIN / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr[-4000:]
    return env


def _run_in_airflow(script: str, env: dict[str, str], timeout: int = 900) -> dict:
    """Run ``script`` with Airflow's Python; it prints one JSON object as its last line."""
    done = subprocess.run(
        [str(AIRFLOW_BIN / "python"), "-c", script],
        env=env,
        cwd=env["AIRFLOW_HOME"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _job_steps() -> dict[str, list[str]]:
    """The steps of each job in dbt_cloud/jobs.yml, by the selector its name ends with."""
    jobs = yaml.safe_load((ROOT / "dbt_cloud" / "jobs.yml").read_text())["jobs"].values()
    return {job["name"].split()[-1]: job["execute_steps"] for job in jobs}


def test_dbt_cloud_jobs_build_the_stages_selectors() -> None:
    selectors = yaml.safe_load((ROOT / "selectors.yml").read_text())["selectors"]
    assert {s["name"] for s in selectors} >= {"candidates", "findings"}
    assert _job_steps() == {
        "candidates": ["dbt build --selector candidates"],
        "findings": ["dbt build --selector findings"],
    }


@pytest.mark.airflow
@pytest.mark.slow
def test_dags_import_with_three_stages_in_order(airflow_env: dict[str, str]) -> None:
    extra = {"raw_dns_location": "s3a://lake/dns/", "min_beats": 15}
    env = airflow_env | {
        "AIRFLOW_VAR_BEACONLAKE_DBT_CLOUD_CANDIDATES_JOB_ID": "101",
        "AIRFLOW_VAR_BEACONLAKE_DBT_CLOUD_FINDINGS_JOB_ID": "102",
        "AIRFLOW_VAR_BEACONLAKE_DBT_VARS": json.dumps(extra),
    }
    found = _run_in_airflow(INSPECT, env)
    assert found["errors"] == {}
    assert set(found["dags"]) == {"beaconlake", "beaconlake_dbt_cloud"}
    for dag in found["dags"].values():
        assert dag["tasks"] == {
            "candidates": [],
            "confirm": ["candidates"],
            "findings": ["confirm"],
        }
        assert dag["catchup"] and dag["max_active_runs"] == 1
        assert dag["timetable"] == "CronDataIntervalTimetable"
    # each dbt Cloud job runs its own step over the run's day, with the extra vars
    for stage, job_id in (("candidates", "101"), ("findings", "102")):
        rendered = found["steps"][stage]
        assert rendered["job_id"] == job_id
        (step,) = rendered["steps"]
        *words, day_vars = shlex.split(step)
        assert words == [*shlex.split(_job_steps()[stage][0]), "--vars"]
        assert json.loads(day_vars) == extra | {"start_date": DAY, "end_date": DAY}


@pytest.mark.airflow
@pytest.mark.slow
def test_dag_test_finds_the_planted_beacons_of_one_day(
    airflow_env: dict[str, str], tmp_path: Path
) -> None:
    sim = tmp_path / "sim"
    simulate = ["simulate", "--out", str(sim), "--hosts", "60", "--days", "1", "--tenants", "1"]
    done = CliRunner().invoke(main, [*simulate, "--seed", "3", "--start-date", DAY])
    assert done.exit_code == 0, done.output
    db = tmp_path / "beaconlake.duckdb"
    env = airflow_env | {
        "AIRFLOW_VAR_BEACONLAKE_DUCKDB_PATH": str(db),
        "AIRFLOW_VAR_BEACONLAKE_RAW_DNS_GLOB": str(sim / "events" / "**" / "*.parquet"),
    }
    run = _run_in_airflow(DAG_TEST, env)
    assert run["state"] == "success", run
    assert [task[0] for task in run["tasks"]] == list(UPSTREAM)
    assert all(task[1] == "success" for task in run["tasks"]), run
    # each stage started after the one before it ended
    for before, after in zip(run["tasks"], run["tasks"][1:], strict=False):
        assert before[3] <= after[2], run

    with duckdb.connect(str(db), read_only=True) as con:
        findings = con.execute("select * from main_findings.fct_beacon_findings").df()
    assert len(findings) > 0
    assert set(findings.window_start.dt.strftime("%Y-%m-%d")) == {DAY}
    alerts = findings[findings.severity_rank >= 2]
    truth = pd.read_csv(sim / "ground_truth.csv")
    # planted C2 that called home often enough that day to be told from chance
    planted = truth[(truth.label == "c2") & (truth.n_beats >= 20)]
    found = [
        (
            alerts.host_id.eq(row.host_id)
            & alerts.domain.isin([row.query_name, row.registered_domain])
        ).any()
        for row in planted.itertuples()
    ]
    assert len(planted) >= 10
    assert sum(found) >= 0.75 * len(planted), f"{sum(found)} of {len(planted)} planted C2 found"
