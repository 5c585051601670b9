{#- A timestamp column type with microsecond precision. -#}
{% macro timestamp_type() %}
    {{ return(adapter.dispatch('timestamp_type', 'beaconlake')()) }}
{% endmacro %}

{% macro default__timestamp_type() %}timestamp(6){% endmacro %}

{#- duckdb: timestamp is always microseconds and takes no precision argument. -#}
{% macro duckdb__timestamp_type() %}timestamp{% endmacro %}
