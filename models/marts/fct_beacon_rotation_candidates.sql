{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Hosts whose rare domains take turns on one schedule, one row per member domain. The pool's
-- merged series passes the interval thresholds of a pair with at least rotation_min_beats
-- beats (a series assembled from several domains needs more beats than one domain's to be
-- told from chance), and every member alone is at least rotation_min_speedup times slower, so
-- the regularity comes from the domains interleaving and not from one of them beaconing alone
-- (that is a pair candidate). A member takes at least rotation_min_member_share of an even
-- split of the pool's beats. The confirmation step scores each host's pool over the window
-- as one series and names every member in the finding. Incremental by day.

{%- set host_day = 'tenant_id, host_id, event_date' %}

with

pool_beats as (
    select * from {{ ref('int_dns_rotation_pool_beats') }}
    where {{ date_window_predicate('event_date') }}
),

members as (
    select * from {{ ref('int_dns_rotation_pool_members') }}
    where {{ date_window_predicate('event_date') }}
),

host_activity as (
    select * from {{ ref('int_dns_host_activity') }}
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
        min(n_intervals) as n_intervals,
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

member_medians as (
    select
        {{ host_day }},
        registered_domain,
        min(n_intervals) + 1 as n_member_beats,
        {{ ranked_quantile(
            'member_interval_seconds', 'interval_rank', 'n_intervals', 0.5
        ) }} as member_interval_median_seconds
    from ranked_member_intervals
    group by {{ host_day }}, registered_domain
),

pool_members as (
    select
        {{ host_day }},
        count(*) as n_members,
        min(member_interval_median_seconds) as fastest_member_median_seconds
    from member_medians
    group by {{ host_day }}
),

pools as (
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
),

rotating as (
    select * from pools
    where
        n_members >= 2
        and n_pool_beats >= {{ var('rotation_min_beats') }}
        and interval_median_seconds >= {{ var('min_interval_median_seconds') }}
        and interval_mad_ratio <= {{ var('max_interval_mad_ratio') }}
        and fastest_member_median_seconds
        >= {{ var('rotation_min_speedup') }} * interval_median_seconds
),

rotating_beats as (
    select pool_beats.*
    from pool_beats
    inner join rotating
        on
            pool_beats.tenant_id = rotating.tenant_id
            and pool_beats.host_id = rotating.host_id
            and pool_beats.event_date = rotating.event_date
),

company as {{ beat_company(
    'rotating_beats', ['tenant_id', 'host_id', 'registered_domain', 'event_date']
) }},

final as (
    select
        members.tenant_id,
        members.host_id,
        members.registered_domain as domain,
        members.event_date,
        members.n_query_names,
        members.n_queries,
        members.n_nxdomain,
        members.domain_n_hosts,
        members.n_tenant_hosts,
        host_activity.host_active_seconds,
        member_medians.n_member_beats,
        member_medians.member_interval_median_seconds,
        rotating.n_members,
        rotating.n_pool_beats,
        rotating.interval_median_seconds,
        rotating.interval_mad_ratio,
        company.n_company_probe_beats,
        company.n_company_beats,
        {{ host_company_rate('host_activity') }} as host_company_rate
    from rotating
    inner join members
        on
            rotating.tenant_id = members.tenant_id
            and rotating.host_id = members.host_id
            and rotating.event_date = members.event_date
    inner join member_medians
        on
            members.tenant_id = member_medians.tenant_id
            and members.host_id = member_medians.host_id
            and members.event_date = member_medians.event_date
            and members.registered_domain = member_medians.registered_domain
            and member_medians.n_member_beats >= {{ var('rotation_min_member_share') }}
            * cast(rotating.n_pool_beats as double) / rotating.n_members
    inner join host_activity
        on
            members.tenant_id = host_activity.tenant_id
            and members.host_id = host_activity.host_id
            and members.event_date = host_activity.event_date
    inner join company
        on
            members.tenant_id = company.tenant_id
            and members.host_id = company.host_id
            and members.event_date = company.event_date
            and members.registered_domain = company.registered_domain
)

select * from final
