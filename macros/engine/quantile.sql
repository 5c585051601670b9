{#- Aggregate: the q-quantile (0..1) of a numeric column, linear interpolation where exact. -#}
{% macro quantile(value_expr, q) %}
    {{ return(adapter.dispatch('quantile', 'beaconlake')(value_expr, q)) }}
{% endmacro %}

{% macro default__quantile(value_expr, q) -%}
    percentile_cont({{ q }}) within group (order by {{ value_expr }})
{%- endmacro %}

{#- duckdb: exact, interpolated quantile. -#}
{% macro duckdb__quantile(value_expr, q) %}quantile_cont({{ value_expr }}, {{ q }}){% endmacro %}

{#- trino: no exact quantile aggregate; approx_percentile (q-digest, ~1 % rank error). -#}
{% macro trino__quantile(value_expr, q) %}approx_percentile({{ value_expr }}, {{ q }}){% endmacro %}
