{#- The last `depth_expr` labels of a split name joined with dots: the suffix of that depth. -#}
{% macro last_labels(labels_expr, n_labels_expr, depth_expr) %}
    {{ return(adapter.dispatch('last_labels', 'beaconlake')(labels_expr, n_labels_expr, depth_expr)) }}
{% endmacro %}

{% macro default__last_labels(labels_expr, n_labels_expr, depth_expr) -%}
    array_join(slice({{ labels_expr }}, {{ n_labels_expr }} - ({{ depth_expr }}) + 1, {{ depth_expr }}), '.')
{%- endmacro %}

{#- duckdb: list_slice takes begin and end (inclusive), array_to_string joins. -#}
{% macro duckdb__last_labels(labels_expr, n_labels_expr, depth_expr) -%}
    array_to_string(list_slice({{ labels_expr }}, {{ n_labels_expr }} - ({{ depth_expr }}) + 1, {{ n_labels_expr }}), '.')
{%- endmacro %}

{#- trino: slice takes begin and length. -#}
{% macro trino__last_labels(labels_expr, n_labels_expr, depth_expr) -%}
    array_join(slice({{ labels_expr }}, {{ n_labels_expr }} - ({{ depth_expr }}) + 1, {{ depth_expr }}), '.')
{%- endmacro %}
