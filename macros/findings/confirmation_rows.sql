{#- The confirmation step's rows (one per candidate series and window): the beacon_findings
    Python model where dbt runs Python models in-process (DuckDB); elsewhere (Trino) the table
    `beaconlake confirm` writes, declared as a source. -#}
{% macro confirmation_rows() %}
    {{ return(adapter.dispatch('confirmation_rows', 'beaconlake')()) }}
{% endmacro %}

{% macro default__confirmation_rows() %}
    {{ return(source('confirmation', 'beacon_findings')) }}
{% endmacro %}

{% macro duckdb__confirmation_rows() %}
    {{ return(ref('beacon_findings')) }}
{% endmacro %}
