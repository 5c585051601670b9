{#- The dot-separated labels of a domain name, as an array (1-based). -#}
{% macro split_labels(name_expr) %}
    {{ return(adapter.dispatch('split_labels', 'beaconlake')(name_expr)) }}
{% endmacro %}

{% macro default__split_labels(name_expr) %}split({{ name_expr }}, '.'){% endmacro %}

{#- duckdb: split() is an alias, string_split() is the documented name. -#}
{% macro duckdb__split_labels(name_expr) %}string_split({{ name_expr }}, '.'){% endmacro %}

{#- trino: the default spelling. -#}
{% macro trino__split_labels(name_expr) %}split({{ name_expr }}, '.'){% endmacro %}
