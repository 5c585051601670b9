{#- An array of the integers start..stop (inclusive), to unnest with `cross join unnest(...)`. -#}
{% macro integer_series(start_expr, stop_expr) %}
    {{ return(adapter.dispatch('integer_series', 'beaconlake')(start_expr, stop_expr)) }}
{% endmacro %}

{% macro default__integer_series(start_expr, stop_expr) %}sequence({{ start_expr }}, {{ stop_expr }}){% endmacro %}

{#- duckdb: generate_series() includes its stop value, like trino's sequence(). -#}
{% macro duckdb__integer_series(start_expr, stop_expr) %}generate_series({{ start_expr }}, {{ stop_expr }}){% endmacro %}

{#- trino: sequence() (at most 10,000 elements; used only for label depths here). -#}
{% macro trino__integer_series(start_expr, stop_expr) %}sequence({{ start_expr }}, {{ stop_expr }}){% endmacro %}
