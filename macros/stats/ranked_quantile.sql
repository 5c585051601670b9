{#-
    Aggregate over rows ranked 1..n within their group (row_number over the value's order):
    the exact q-quantile with linear interpolation, the definition of DuckDB's quantile_cont and
    of percentile_cont. By default built from a sort instead of an in-memory quantile state, so
    it spills and gives the same exact value on every engine (Trino has no exact quantile
    aggregate). Count a group's rows with count(*), not from the window, so that an engine that
    does not read the ranks can skip computing them.
-#}
{% macro ranked_quantile(value_expr, rank_expr, n_expr, q) -%}
    {{ return(adapter.dispatch('ranked_quantile', 'beaconlake')(value_expr, rank_expr, n_expr, q)) }}
{%- endmacro %}

{% macro default__ranked_quantile(value_expr, rank_expr, n_expr, q) -%}
    {%- set position = '(cast(' ~ n_expr ~ ' - 1 as double) * ' ~ q ~ ')' -%}
    {%- set lower = 'max(case when ' ~ rank_expr ~ ' = floor(' ~ position ~ ') + 1 then ' ~ value_expr ~ ' end)' -%}
    {%- set upper = 'max(case when ' ~ rank_expr ~ ' = ceil(' ~ position ~ ') + 1 then ' ~ value_expr ~ ' end)' -%}
    ({{ lower }} + (max({{ position }}) - floor(max({{ position }}))) * ({{ upper }} - {{ lower }}))
{%- endmacro %}

{#-
    duckdb: its own exact quantile_cont, the same value without the sort. The ranks then go
    unread and DuckDB drops their window: on the 100M-event day int_dns_pair_interval_stats
    takes 7 s instead of 17 s. Its quantile states hold one double per row of the run's days.
-#}
{% macro duckdb__ranked_quantile(value_expr, rank_expr, n_expr, q) -%}
    quantile_cont({{ value_expr }}, {{ q }})
{%- endmacro %}
