{#- Create the findings table the Python confirmation step writes, if it does not exist yet, so
    the findings marts build (empty) before the first confirmation run. Its columns must match
    beaconlake.store.FINDINGS_COLUMNS (a pytest compares them). -#}
{% macro ensure_findings_table() %}
    {%- set ts = beaconlake.timestamp_type() -%}
    create table if not exists {{ target.database ~ '.' if target.type == 'trino' else '' }}{{ target.schema }}.beacon_findings (
        window_start {{ ts }},
        window_end {{ ts }},
        tenant_id varchar,
        host_id varchar,
        domain_level varchar,
        domain varchar,
        registered_domain varchar,
        period_seconds double,
        jitter double,
        events bigint,
        beats bigint,
        score double,
        severity varchar,
        reason varchar,
        is_confirmed boolean,
        periodicity_score double,
        renewal_score double,
        renewal_llr double,
        interval_score double,
        spectral_score double,
        spectral_ratio double,
        acf_score double,
        seasonal_strength double,
        continuity double,
        coverage double,
        gaps_per_day double,
        missing_share double,
        rarity double,
        domain_hosts bigint,
        tenant_hosts bigint,
        first_seen_at {{ ts }},
        known_c2_family varchar,
        known_good_reason varchar,
        confirmed_at {{ ts }}
    )
{% endmacro %}
