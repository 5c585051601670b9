{#-
    Predicate keeping the days of this run on a date column: [run_start_date - lookback_days,
    end_date]. Dates are rendered as literals so that engines prune Parquet partitions.
    incremental=false ignores what the model already holds (views, sources); state_column is the
    model's own date column that tells how far it got.
-#}
{% macro date_window_predicate(date_column, lookback_days=0, incremental=true, state_column='event_date') %}
    {%- set start = run_start_date(state_column) if incremental else date_var('start_date') -%}
    {%- set end = date_var('end_date') -%}
    {%- set parts = [] -%}
    {%- if start -%}
        {%- set first_day = modules.datetime.date.fromisoformat(start) - modules.datetime.timedelta(days=lookback_days) -%}
        {%- do parts.append(date_column ~ " >= date '" ~ first_day.isoformat() ~ "'") -%}
    {%- endif -%}
    {%- if end -%}
        {%- do parts.append(date_column ~ " <= date '" ~ (end | string) ~ "'") -%}
    {%- endif -%}
    {{- parts | join(' and ') if parts else '1 = 1' -}}
{% endmacro %}
