{#-
    on-run-start: the vars that shape SQL rather than hold a threshold are checked before any
    model runs: the run window's dates (and start_date <= end_date), the raw table's names
    (identifiers) and raw_dns_register (a boolean). Numeric vars are checked where they are read
    (number_var), paths are quoted (sql_string). Returns no SQL.
-#}
{% macro validate_vars() %}
    {%- set start = beaconlake.date_var('start_date') -%}
    {%- set end = beaconlake.date_var('end_date') -%}
    {%- if start and end and start > end -%}
        {{ exceptions.raise_compiler_error("var start_date " ~ start ~ " is after end_date " ~ end) }}
    {%- endif -%}
    {%- do beaconlake.date_var('min_event_date') -%}
    {%- do beaconlake.date_var('triage_as_of') -%}
    {%- do beaconlake.number_var('max_event_days_ahead') -%}
    {%- for name in ['raw_dns_catalog', 'raw_dns_schema', 'raw_dns_table'] -%}
        {%- set value = var(name, none) -%}
        {%- if value is not none and not modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]*', value | string) -%}
            {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a plain identifier (letters, digits, _), not " ~ value) }}
        {%- endif -%}
    {%- endfor -%}
    {%- if var('raw_dns_register', true) is not boolean -%}
        {{ exceptions.raise_compiler_error("var raw_dns_register must be true or false, not " ~ var('raw_dns_register')) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
