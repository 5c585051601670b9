{#- Number of elements of an array. -#}
{% macro array_size(array_expr) %}
    {{ return(adapter.dispatch('array_size', 'beaconlake')(array_expr)) }}
{% endmacro %}

{% macro default__array_size(array_expr) %}cardinality({{ array_expr }}){% endmacro %}

{#- duckdb: lists have len(), no cardinality() on lists. -#}
{% macro duckdb__array_size(array_expr) %}len({{ array_expr }}){% endmacro %}

{#- trino: the default spelling. -#}
{% macro trino__array_size(array_expr) %}cardinality({{ array_expr }}){% endmacro %}
