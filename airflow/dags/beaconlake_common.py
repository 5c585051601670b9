"""Settings and tasks shared by the beaconlake DAGs (a helper module, not a DAG file).

Airflow runs in a virtual environment of its own; dbt and beaconlake run from the project's
(``make venv``), so the tasks call that environment's executables.

Where each setting comes from (airflow/README.md has the table):

* the environment of the DAG processor and the workers: ``BEACONLAKE_PROJECT_DIR`` (the dbt
  project, default: the repository holding this file), ``BEACONLAKE_VENV`` (the environment with
  dbt and beaconlake, default: the project's ``.venv``) and, on Trino, the ``BEACONLAKE_TRINO_*``
  settings that profiles/profiles.yml and ``beaconlake confirm`` read;
* Airflow Variables read when a DAG file is parsed: ``beaconlake_target`` (the dbt target),
  ``beaconlake_first_day`` (the start date: the first day a catch-up builds) and
  ``beaconlake_retries``;
* Airflow Variables read when a task runs: ``beaconlake_duckdb_path``,
  ``beaconlake_raw_dns_glob`` and ``beaconlake_dbt_vars`` (more dbt vars, a JSON object).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
from pathlib import Path
from typing import Any

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import CronDataIntervalTimetable, Variable

#: Daily windows: the run of logical date D starts once D is over and builds day D alone.
DAILY = CronDataIntervalTimetable("@daily", timezone="UTC")

#: The demo data's first day (where ``beaconlake simulate`` starts unless told otherwise).
DEFAULT_FIRST_DAY = "2026-11-02"


def project_dir() -> Path:
    """The dbt project: ``$BEACONLAKE_PROJECT_DIR`` or the repository holding this file."""
    configured = os.environ.get("BEACONLAKE_PROJECT_DIR")
    return Path(configured) if configured else Path(__file__).resolve().parents[2]


def project_path(path: str) -> str:
    """``path`` made absolute against the project directory (dbt runs in a copy elsewhere)."""
    return str(project_dir() / path)


def executable(name: str) -> str:
    """A program of the project's virtual environment (``$BEACONLAKE_VENV``, default .venv)."""
    venv = os.environ.get("BEACONLAKE_VENV") or str(project_dir() / ".venv")
    return str(Path(venv) / "bin" / name)


def parse_time_setting(name: str, default: str) -> str:
    """An Airflow Variable read when the DAG file is parsed (``default`` when unset)."""
    return Variable.get(name, default=default)


def first_day() -> dt.datetime:
    """The DAG's start date: Variable ``beaconlake_first_day`` (YYYY-MM-DD, UTC)."""
    day = dt.date.fromisoformat(parse_time_setting("beaconlake_first_day", DEFAULT_FIRST_DAY))
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def default_args() -> dict[str, Any]:
    """Task defaults: ``beaconlake_retries`` retries (default 2) five minutes apart, and a day
    waits for the day before (it builds on it: interval lookback, slow beacons, first seen)."""
    return {
        "owner": "beaconlake",
        "retries": int(parse_time_setting("beaconlake_retries", "2")),
        "retry_delay": dt.timedelta(minutes=5),
        "depends_on_past": True,
    }


def dbt_vars(day: str, extra: str = "{}", raw_dns_glob: str | None = None) -> str:
    """The dbt ``--vars`` of one day's run (a JSON object): the window is that day alone.

    ``extra`` (a JSON object) adds or overrides vars, such as thresholds or, on Trino,
    ``raw_dns_location``; ``raw_dns_glob`` names the raw events, relative to the project or
    absolute. The window's dates always win.
    """
    values = json.loads(extra)
    if raw_dns_glob:
        values["raw_dns_glob"] = project_path(raw_dns_glob)
    values.update(start_date=day, end_date=day)
    return json.dumps(values, sort_keys=True)


def template(expression: str) -> str:
    """A Jinja template printing ``expression`` (rendered when the task runs)."""
    return "{{ " + expression + " }}"


def variable(name: str, default: str | None = None) -> str:
    """The expression of an Airflow Variable (``default`` when unset; else the task fails)."""
    return f"var.value.{name}" if default is None else f"var.value.get({name!r}, {default!r})"


def dbt_vars_expression(raw_dns_glob: bool) -> str:
    """The expression of :func:`dbt_vars` for the run's day, with ``beaconlake_dbt_vars`` and,
    where ``raw_dns_glob``, ``beaconlake_raw_dns_glob`` (default: the fleet `make demo` makes,
    as in dbt_project.yml)."""
    args = ["ds", variable("beaconlake_dbt_vars", "{}")]
    if raw_dns_glob:
        args.append(variable("beaconlake_raw_dns_glob", "data/demo/sim/events/**/*.parquet"))
    return f"beaconlake_dbt_vars({', '.join(args)})"


def dag_settings() -> dict[str, Any]:
    """DAG arguments both DAGs share: daily runs with catch-up, one at a time, the macros."""
    return {
        "schedule": DAILY,
        "start_date": first_day(),
        "catchup": True,
        # days run in order, each on the warehouse the day before left
        "max_active_runs": 1,
        "default_args": default_args(),
        "user_defined_macros": {
            "beaconlake_dbt_vars": dbt_vars,
            "beaconlake_path": project_path,
            "shell_quote": shlex.quote,
        },
        "tags": ["beaconlake"],
    }


def task_env(target: str) -> dict[str, str]:
    """Environment of the dbt and confirmation tasks (added to the worker's own)."""
    env = {"BEACONLAKE_PROJECT_DIR": str(project_dir()), "BEACONLAKE_TARGET": target}
    if target == "duckdb":
        path = variable("beaconlake_duckdb_path", "beaconlake.duckdb")
        env["BEACONLAKE_DUCKDB_PATH"] = template(f"beaconlake_path({path})")
    return env


def confirm_task(target: str) -> BashOperator:
    """The confirmation: ``beaconlake confirm`` scores the day's candidates and replaces their
    rows of ``beacon_findings`` (on DuckDB in the file of ``beaconlake_duckdb_path``)."""
    command = shlex.join([executable("beaconlake"), "confirm", "--target", target])
    return BashOperator(
        task_id="confirm",
        bash_command=command + " --start {{ ds }} --end {{ ds }}",
        env=task_env(target),
        append_env=True,
        cwd=str(project_dir()),
    )
