{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Exact-duplicate detection without sorting 100M wide rows: only hashes seen twice are kept,
-- and stg_dns__events compares those few rows column by column.

with

raw_events as (
    select
        cast(event_date as date) as event_date,
        {{ raw_event_hash() }} as event_hash
    from {{ raw_dns_events() }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        event_date,
        event_hash,
        count(*) as n_raw_events
    from raw_events
    group by event_date, event_hash
    having count(*) > 1
)

select * from final
