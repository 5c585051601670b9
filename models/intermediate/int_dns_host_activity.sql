{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- How long each host was active on a day, in 15-minute bins: the confirmation step's measure of
-- the time in which a beacon could have been seen at all; and in how many seconds it got an
-- answer to some query, which tells how often any moment of its activity has company (see
-- macros/dns/beat_company.sql).

with

-- one row per second in which the host queried anything (the per-second rows are per name),
-- answered or not: two plain aggregations rather than one count(distinct), which Trino runs as
-- a distinct marker over every row
active_seconds as (
    select
        tenant_id,
        host_id,
        event_date,
        second_at,
        max(case when n_queries > n_nxdomain then 1 else 0 end) as is_answered
    from {{ ref('int_dns_queries_aggregated_to_seconds') }}
    where {{ date_window_predicate('event_date') }}
    group by tenant_id, host_id, event_date, second_at
),

active_bins as (
    select
        tenant_id,
        host_id,
        event_date,
        cast(floor({{ epoch_seconds('second_at') }} / 900) as bigint) as bin_number,
        sum(is_answered) as n_answered_seconds
    from active_seconds
    group by
        tenant_id,
        host_id,
        event_date,
        cast(floor({{ epoch_seconds('second_at') }} / 900) as bigint)
),

final as (
    select
        tenant_id,
        host_id,
        event_date,
        count(*) as n_active_bins,
        900 * count(*) as host_active_seconds,
        cast(sum(n_answered_seconds) as bigint) as n_answered_seconds
    from active_bins
    group by tenant_id, host_id, event_date
)

select * from final
