{#-
    A subquery: every raw event of the run window with its normalised name, the name's key and
    registered domain, the raw-column hash and the quarantine reason (null when it is staged). A
    macro, not an ephemeral model, so that each caller gets its own scan: DuckDB materialises a
    CTE that is read twice, which for 100M rows costs minutes.
-#}
{% macro checked_raw_events() -%}
    {#- timestamp_type: a plain `timestamp` cast would round to milliseconds on Trino. -#}
    {%- set event_at = 'cast(raw_events.event_time as ' ~ timestamp_type() ~ ')' -%}
    (
        select
            raw_events.tenant_id,
            raw_events.host_id,
            raw_events.query_name as raw_query_name,
            query_names.query_name,
            query_names.query_name_key,
            query_names.registered_domain,
            {{ event_at }} as event_at,
            raw_events.query_type,
            raw_events.response_code,
            {{ valid_answer_ttl('raw_events.answer_ttl_seconds') }} as answer_ttl_seconds,
            cast(raw_events.event_date as date) as event_date,
            {{ raw_event_hash('raw_events') }} as event_hash,
            {{ event_rejection_reason(
                event_at, 'cast(raw_events.event_date as date)',
                'raw_events.tenant_id', 'raw_events.host_id', 'raw_events.query_name',
                'query_names.name_rejection_reason', '(query_names.raw_query_name is not null)'
            ) }} as rejection_reason
        from {{ raw_dns_events() }} as raw_events
        left join {{ ref('stg_dns__query_names') }} as query_names
            on raw_events.query_name = query_names.raw_query_name
        where {{ date_window_predicate('raw_events.event_date', incremental=false) }}
    )
{%- endmacro %}
