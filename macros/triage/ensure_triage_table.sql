{#-
    on-run-start: the warehouse table `beaconlake triage` writes verdicts into (the source
    triage.triage_decisions_entered), made empty when absent so that every build can read it.
    The same columns as the seed triage_decisions and beaconlake.triage.TRIAGE_COLUMNS (a pytest
    compares them). Runs its statements itself: the hook renders nothing.
-#}
{% macro ensure_triage_table() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = source('triage', 'triage_decisions_entered') -%}
    {%- set ts = beaconlake.timestamp_type() -%}
    {%- do run_query(
        'create schema if not exists ' ~ (relation.database ~ '.' if target.type == 'trino' else '')
        ~ relation.schema
    ) -%}
    {%- do run_query(
        'create table if not exists ' ~ relation ~ ' (tenant_id varchar, host_id varchar, '
        ~ 'domain varchar, include_subdomains boolean, verdict varchar, expires_on date, '
        ~ 'decided_by varchar, decided_at ' ~ ts ~ ', note varchar)'
    ) -%}
{% endmacro %}
