{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Each host's rotation pool of a day as one series: its members, its beats and the robust
-- statistics of its merged intervals (median, MAD ratio), beside the fastest member's own
-- median. The rotation rule is applied in fct_beacon_rotation_candidates, so that changing a
-- threshold var needs no rebuild of this history. Incremental by day.

{%- set host_day = 'tenant_id, host_id, event_date' %}

with

pool_beats as (
    select * from {{ ref('int_dns_rotation_pool_beats') }}
    where {{ date_window_predicate('event_date') }}
),

member_stats as (
    select * from {{ ref('int_dns_rotation_member_stats') }}
    where {{ date_window_predicate('event_date') }}
),

ranked_pool_intervals as (
    select
        {{ host_day }},
        pool_gap_seconds,
        row_number() over (partition by {{ host_day }} order by pool_gap_seconds) as interval_rank,
        count(*) over (partition by {{ host_day }}) as n_intervals
    from pool_beats
    where is_pool_beat and pool_gap_seconds is not null
),

pool_medians as (
    select
        {{ host_day }},
        count(*) as n_intervals,
        {{ ranked_quantile(
            'pool_gap_seconds', 'interval_rank', 'n_intervals', 0.5
        ) }} as interval_median_seconds
    from ranked_pool_intervals
    group by {{ host_day }}
),

ranked_pool_deviations as (
    select
        ranked_pool_intervals.tenant_id,
        ranked_pool_intervals.host_id,
        ranked_pool_intervals.event_date,
        ranked_pool_intervals.n_intervals,
        abs(
            ranked_pool_intervals.pool_gap_seconds - pool_medians.interval_median_seconds
        ) as absolute_deviation_seconds,
        row_number() over (
            partition by
                ranked_pool_intervals.tenant_id,
                ranked_pool_intervals.host_id,
                ranked_pool_intervals.event_date
            order by abs(
                ranked_pool_intervals.pool_gap_seconds - pool_medians.interval_median_seconds
            )
        ) as deviation_rank
    from ranked_pool_intervals
    inner join pool_medians
        on
            ranked_pool_intervals.tenant_id = pool_medians.tenant_id
            and ranked_pool_intervals.host_id = pool_medians.host_id
            and ranked_pool_intervals.event_date = pool_medians.event_date
),

pool_deviations as (
    select
        {{ host_day }},
        {{ ranked_quantile(
            'absolute_deviation_seconds', 'deviation_rank', 'n_intervals', 0.5
        ) }} as interval_mad_seconds
    from ranked_pool_deviations
    group by {{ host_day }}
),

pool_members as (
    select
        {{ host_day }},
        count(*) as n_members,
        min(member_interval_median_seconds) as fastest_member_median_seconds
    from member_stats
    group by {{ host_day }}
),

final as (
    select
        pool_medians.tenant_id,
        pool_medians.host_id,
        pool_medians.event_date,
        pool_members.n_members,
        pool_medians.n_intervals + 1 as n_pool_beats,
        pool_medians.interval_median_seconds,
        pool_deviations.interval_mad_seconds / nullif(
            pool_medians.interval_median_seconds, 0
        ) as interval_mad_ratio,
        pool_members.fastest_member_median_seconds
    from pool_medians
    inner join pool_deviations
        on
            pool_medians.tenant_id = pool_deviations.tenant_id
            and pool_medians.host_id = pool_deviations.host_id
            and pool_medians.event_date = pool_deviations.event_date
    inner join pool_members
        on
            pool_medians.tenant_id = pool_members.tenant_id
            and pool_medians.host_id = pool_members.host_id
            and pool_medians.event_date = pool_members.event_date
)

select * from final
