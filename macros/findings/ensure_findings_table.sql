{#- Create the findings table the Python confirmation step writes, if it does not exist yet, so
    the findings marts build (empty) before the first confirmation run, and give a table made
    before a column joined it that column. Its columns must match beaconlake.store.FINDINGS_COLUMNS
    and ADDED_FINDINGS_COLUMNS (a pytest compares them). Runs its statements itself: the hook
    renders nothing. -#}
{% macro ensure_findings_table() %}
    {%- if execute -%}
        {%- set findings = source('confirmation', 'beacon_findings') -%}
        {%- do run_query(beaconlake.findings_table_sql(findings)) -%}
        {%- for name in ['beacon_kind', 'beacon_key', 'attack_techniques'] -%}
            {%- do run_query('alter table ' ~ findings ~ ' add column if not exists ' ~ name ~ ' varchar') -%}
        {%- endfor -%}
    {%- endif -%}
{% endmacro %}

{% macro findings_table_sql(findings) %}
    {%- set ts = beaconlake.timestamp_type() -%}
    create table if not exists {{ findings }} (
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
        confirmed_at {{ ts }},
        beacon_kind varchar,
        beacon_key varchar,
        attack_techniques varchar
    )
{% endmacro %}
