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

pools as (
    select * from {{ ref('int_dns_rotation_pools') }}
    where {{ date_window_predicate('event_date') }}
),

member_medians as (
    select * from {{ ref('int_dns_rotation_member_stats') }}
    where {{ date_window_predicate('event_date') }}
),

rotating as (
    select * from pools
    where
        n_members >= 2
        and n_pool_beats >= {{ number_var('rotation_min_beats') }}
        and interval_median_seconds >= {{ number_var('min_interval_median_seconds') }}
        and interval_mad_ratio <= {{ number_var('max_interval_mad_ratio') }}
        and fastest_member_median_seconds
        >= {{ number_var('rotation_min_speedup') }} * interval_median_seconds
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
            and member_medians.n_member_beats >= {{ number_var('rotation_min_member_share') }}
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
