{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

with

checked_events as (
    select * from {{ checked_raw_events() }} as checked_events
    where
        rejection_reason is not null
        and {{ date_window_predicate('event_date') }}
),

final as (
    select
        tenant_id,
        host_id,
        raw_query_name,
        event_at,
        query_type,
        response_code,
        event_date,
        rejection_reason
    from checked_events
)

select * from final
