{#-
    First event_date (a 'YYYY-MM-DD' string, or none for "from the beginning") an incremental model
    must (re)build: var start_date when given; otherwise, on an incremental run, the latest
    plausible day the model already holds (it may have been partial).
-#}
{% macro run_start_date(state_column='event_date') %}
    {%- if date_var('start_date') -%}
        {{ return(date_var('start_date')) }}
    {%- elif execute and is_incremental() -%}
        {#- never past the latest plausible day: a forged far-future row must not move it -#}
        {%- set result = run_query(
            'select max(' ~ state_column ~ ') from ' ~ this
            ~ ' where ' ~ state_column ~ ' <= ' ~ latest_plausible_date()
        ) -%}
        {%- set latest = result.columns[0].values()[0] -%}
        {{ return(none if latest is none else (latest | string)[:10]) }}
    {%- else -%}
        {{ return(none) }}
    {%- endif -%}
{% endmacro %}
