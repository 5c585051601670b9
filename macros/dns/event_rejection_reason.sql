{#-
    Why a raw event is quarantined (null when it is staged). Row checks come first (a plausible
    event time: vars min_event_date and max_event_days_ahead), then the name check from
    stg_dns__query_names (`name_reason`, `known_name` true when the name was found), then the run
    window: the event time must fall on its partition's day and within [var start_date,
    var end_date].
-#}
{% macro event_rejection_reason(event_at, event_date, tenant_id, host_id, raw_query_name, name_reason, known_name) -%}
    case
        when {{ event_at }} is null then 'missing_event_time'
        when
            cast({{ event_at }} as date) < {{ earliest_plausible_date() }}
            or cast({{ event_at }} as date) > {{ latest_plausible_date() }}
            then 'implausible_event_time'
        when {{ tenant_id }} is null or trim({{ tenant_id }}) = '' then 'missing_tenant_id'
        when {{ host_id }} is null or trim({{ host_id }}) = '' then 'missing_host_id'
        when {{ raw_query_name }} is null then 'missing_query_name'
        when not {{ known_name }} then 'unknown_query_name'
        when {{ name_reason }} is not null then {{ name_reason }}
        when cast({{ event_at }} as date) <> {{ event_date }} then 'outside_run_window'
        {%- if date_var('start_date') %}
        when {{ event_at }} < timestamp '{{ date_var("start_date") }} 00:00:00' then 'outside_run_window'
        {%- endif %}
        {%- if date_var('end_date') %}
        when cast({{ event_at }} as date) > date '{{ date_var("end_date") }}' then 'outside_run_window'
        {%- endif %}
    end
{%- endmacro %}
