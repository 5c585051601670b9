"""beaconlake, one day a run: dbt candidates -> confirmation -> dbt findings marts.

Each dbt stage is one of the project's YAML selectors (selectors.yml) built by a Cosmos
operator, with the project's own dbt and profiles/profiles.yml; between them ``beaconlake
confirm`` scores the day's candidates and writes ``beacon_findings``, on DuckDB and Trino alike.
A stage is one ``dbt build`` (dbt's threads run its models side by side, and DuckDB takes one
writer at a time), not a task per model.
"""

from __future__ import annotations

from airflow.sdk import DAG
from beaconlake_common import (
    confirm_task,
    dag_settings,
    dbt_vars_expression,
    executable,
    parse_time_setting,
    project_dir,
    task_env,
    template,
)
from cosmos import ProfileConfig
from cosmos.constants import InvocationMode
from cosmos.operators.local import DbtBuildLocalOperator

#: dbt target (duckdb or trino): the Variable ``beaconlake_target``, read at parse time.
TARGET = parse_time_setting("beaconlake_target", "duckdb")


def dbt_stage(selector: str) -> DbtBuildLocalOperator:
    """``dbt build --selector SELECTOR`` over the run's day (models, seeds and their tests)."""
    return DbtBuildLocalOperator(
        task_id=selector,
        project_dir=str(project_dir()),
        profile_config=ProfileConfig(
            profile_name="beaconlake",
            target_name=TARGET,
            profiles_yml_filepath=project_dir() / "profiles" / "profiles.yml",
        ),
        dbt_executable_path=executable("dbt"),
        invocation_mode=InvocationMode.SUBPROCESS,
        selector=selector,
        dbt_cmd_flags=["--vars", template(dbt_vars_expression(raw_dns_glob=True))],
        env=task_env(TARGET),
        append_env=True,
        install_deps=False,
        emit_datasets=False,
    )


with DAG(
    dag_id="beaconlake",
    description="DNS beacons, daily: dbt candidates, confirmation, dbt findings marts",
    **dag_settings(),
):
    dbt_stage("candidates") >> confirm_task(TARGET) >> dbt_stage("findings")
