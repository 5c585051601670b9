{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Each rotation pool member's own series of a day: its beats and its median interval, which
-- the pool's merged series must beat (fct_beacon_rotation_candidates). Incremental by day.

{%- set host_day = 'tenant_id, host_id, event_date' %}

with

pool_beats as (
    select * from {{ ref('int_dns_rotation_pool_beats') }}
    where {{ date_window_predicate('event_date') }}
),

ranked_member_intervals as (
    select
        {{ host_day }},
        registered_domain,
        member_interval_seconds,
        row_number() over (
            partition by {{ host_day }}, registered_domain order by member_interval_seconds
        ) as interval_rank,
        count(*) over (partition by {{ host_day }}, registered_domain) as n_intervals
    from pool_beats
    where member_interval_seconds is not null
),

final as (
    select
        {{ host_day }},
        registered_domain,
        count(*) + 1 as n_member_beats,
        {{ ranked_quantile(
            'member_interval_seconds', 'interval_rank', 'n_intervals', 0.5
        ) }} as member_interval_median_seconds
    from ranked_member_intervals
    group by {{ host_day }}, registered_domain
)

select * from final
