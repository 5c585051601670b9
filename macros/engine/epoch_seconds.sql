{#- Seconds since 1970-01-01 00:00 UTC of a timestamp without zone (UTC wall time), as double. -#}
{% macro epoch_seconds(timestamp_expr) %}
    {{ return(adapter.dispatch('epoch_seconds', 'beaconlake')(timestamp_expr)) }}
{% endmacro %}

{% macro default__epoch_seconds(timestamp_expr) %}extract(epoch from {{ timestamp_expr }}){% endmacro %}

{#- duckdb: epoch() returns fractional seconds as double. -#}
{% macro duckdb__epoch_seconds(timestamp_expr) %}epoch({{ timestamp_expr }}){% endmacro %}

{#- trino: to_unixtime() reads a zoneless timestamp in the session zone; the profile pins UTC. -#}
{% macro trino__epoch_seconds(timestamp_expr) %}to_unixtime({{ timestamp_expr }}){% endmacro %}
