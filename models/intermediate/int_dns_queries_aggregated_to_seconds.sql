{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The one pass over every staged event: same-second queries (A + AAAA, retries) merge here.

with

events as (
    select * from {{ ref('stg_dns__events') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        tenant_id,
        host_id,
        query_name,
        event_date,
        date_trunc('second', event_at) as second_at,
        min(registered_domain) as registered_domain,
        count(*) as n_queries,
        cast(sum(duplicate_count) as bigint) as n_duplicates
    from events
    group by
        tenant_id,
        host_id,
        query_name,
        event_date,
        date_trunc('second', event_at)
)

select * from final
