"""The confirmation step inside dbt (DuckDB): the run window's candidates scored as series.

The same code as `beaconlake run` and `beaconlake confirm` (beaconlake.pipeline.score_window):
periodicity, rotation pools and slow series, with the evidence that makes a score, one row per
candidate series and window. Incremental by window: a re-run of a window replaces its rows.
"""


def model(dbt, session):
    # a table made before a findings column joined gets it (beaconlake.store.FINDINGS_COLUMNS)
    dbt.config(
        materialized="incremental", incremental_strategy="append",
        on_schema_change="append_new_columns",
    )  # fmt: skip
    # what the confirmation reads; named here so the graph runs it after them
    dbt.ref("fct_beacon_candidates")
    dbt.ref("fct_beacon_candidate_beats")
    dbt.ref("fct_beacon_candidate_company")
    dbt.ref("fct_beacon_rotation_candidates")
    dbt.ref("fct_beacon_rotation_beats")
    dbt.ref("fct_beacon_slow_candidates")
    dbt.ref("fct_beacon_slow_beats")
    dbt.ref("int_dns_domain_prevalence")

    from beaconlake.pipeline import confirmation_model

    return confirmation_model(
        session,
        dbt.this,
        start_date=dbt.config.get("start_date"),
        end_date=dbt.config.get("end_date"),
        incremental=dbt.is_incremental,
        settings=dbt.config.get("settings"),
    )
