"""beaconlake with dbt Cloud: dbt Cloud job 1 (candidates) -> confirmation -> job 2 (findings).

dbt Cloud runs only dbt commands, so the confirmation (``beaconlake confirm``, Python) runs on
the Airflow worker against the same warehouse, typically Trino. The jobs are dbt_cloud/*.json;
each run overrides their steps with the day's window. Settings are Airflow Variables:
``beaconlake_dbt_cloud_conn_id`` (default ``dbt_cloud_default``),
``beaconlake_dbt_cloud_candidates_job_id`` and ``beaconlake_dbt_cloud_findings_job_id`` (read
when a task runs), ``beaconlake_dbt_cloud_target`` (the confirmation's target, default trino,
read at parse time) and ``beaconlake_dbt_vars`` (more dbt vars for both jobs, a JSON object).
"""

from __future__ import annotations

from airflow.providers.dbt.cloud.operators.dbt import DbtCloudRunJobOperator
from airflow.sdk import DAG
from beaconlake_common import (
    confirm_task,
    dag_settings,
    dbt_vars_expression,
    parse_time_setting,
    template,
    variable,
)

#: The warehouse the dbt Cloud environment builds, which the confirmation reads and writes.
TARGET = parse_time_setting("beaconlake_dbt_cloud_target", "trino")


def dbt_cloud_stage(selector: str) -> DbtCloudRunJobOperator:
    """Run the stage's dbt Cloud job over the run's day and wait for it to finish."""
    day_vars = template(f"shell_quote({dbt_vars_expression(raw_dns_glob=False)})")
    return DbtCloudRunJobOperator(
        task_id=selector,
        dbt_cloud_conn_id=template(variable("beaconlake_dbt_cloud_conn_id", "dbt_cloud_default")),
        job_id=template(variable(f"beaconlake_dbt_cloud_{selector}_job_id")),
        steps_override=[f"dbt build --selector {selector} --vars {day_vars}"],
        trigger_reason=f"beaconlake {selector} of " + template("ds"),
        check_interval=30,
        timeout=6 * 60 * 60,
    )


with DAG(
    dag_id="beaconlake_dbt_cloud",
    description="DNS beacons, daily: dbt Cloud candidates, confirmation, dbt Cloud findings",
    **dag_settings(),
):
    dbt_cloud_stage("candidates") >> confirm_task(TARGET) >> dbt_cloud_stage("findings")
