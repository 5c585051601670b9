{#-
    First event_date (a 'YYYY-MM-DD' string, or none for "from the beginning") an incremental model
    must (re)build: var start_date when given; otherwise, on an incremental run, the latest day the
    model already holds (it may have been partial).
-#}
{% macro run_start_date(state_column='event_date') %}
    {%- if var('start_date', none) -%}
        {{ return(var('start_date') | string) }}
    {%- elif execute and is_incremental() -%}
        {%- set result = run_query('select max(' ~ state_column ~ ') from ' ~ this) -%}
        {%- set latest = result.columns[0].values()[0] -%}
        {{ return(none if latest is none else (latest | string)[:10]) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{% endmacro %}
