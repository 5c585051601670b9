{#- True when the (RE2) pattern matches anywhere in the string. -#}
{% macro regex_matches(string_expr, pattern) %}
    {{ return(adapter.dispatch('regex_matches', 'beaconlake')(string_expr, pattern)) }}
{% endmacro %}

{% macro default__regex_matches(string_expr, pattern) %}regexp_like({{ string_expr }}, '{{ pattern }}'){% endmacro %}

{#- duckdb: regexp_matches() is the partial-match predicate. -#}
{% macro duckdb__regex_matches(string_expr, pattern) %}regexp_matches({{ string_expr }}, '{{ pattern }}'){% endmacro %}

{#- trino: regexp_like() is the partial-match predicate. -#}
{% macro trino__regex_matches(string_expr, pattern) %}regexp_like({{ string_expr }}, '{{ pattern }}'){% endmacro %}
