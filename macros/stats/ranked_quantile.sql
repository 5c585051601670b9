{#-
    Aggregate over rows ranked 1..n within their group (row_number over the value's order):
    the exact q-quantile with linear interpolation, the definition of DuckDB's quantile_cont and
    of percentile_cont. Built from a sort instead of an in-memory quantile state, so it spills
    and gives the same exact value on every engine.
-#}
{% macro ranked_quantile(value_expr, rank_expr, n_expr, q) -%}
    {%- set position = '(cast(' ~ n_expr ~ ' - 1 as double) * ' ~ q ~ ')' -%}
    {%- set lower = 'max(case when ' ~ rank_expr ~ ' = floor(' ~ position ~ ') + 1 then ' ~ value_expr ~ ' end)' -%}
    {%- set upper = 'max(case when ' ~ rank_expr ~ ' = ceil(' ~ position ~ ') + 1 then ' ~ value_expr ~ ' end)' -%}
    ({{ lower }} + (max({{ position }}) - floor(max({{ position }}))) * ({{ upper }} - {{ lower }}))
{%- endmacro %}
