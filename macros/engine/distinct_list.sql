{#- Aggregate: the distinct non-null values of a text expression, sorted, joined by ', '
    (null when there are none). -#}
{% macro distinct_list(expr) %}
    {{ return(adapter.dispatch('distinct_list', 'beaconlake')(expr)) }}
{% endmacro %}

{% macro default__distinct_list(expr) -%}
    string_agg(distinct {{ expr }}, ', ' order by {{ expr }})
{%- endmacro %}

{#- trino: array_join skips nulls; an empty array joins to '', made null. -#}
{% macro trino__distinct_list(expr) -%}
    nullif(array_join(array_sort(array_distinct(array_agg({{ expr }}))), ', '), '')
{%- endmacro %}
