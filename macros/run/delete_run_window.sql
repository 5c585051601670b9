{#-
    Pre-hook of the day-partitioned incremental models (append strategy): on an incremental run,
    delete the days this run rebuilds, so a re-run or a changed day replaces them exactly and a
    day that lost all its rows does not keep stale ones.
-#}
{% macro delete_run_window(date_column='event_date') %}
    {%- if is_incremental() -%}
        delete from {{ this }} where {{ date_window_predicate(date_column) }}
    {%- endif -%}
{% endmacro %}
