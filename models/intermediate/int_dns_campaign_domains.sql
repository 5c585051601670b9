-- Domains spreading through a tenant, the way an attack does: new in the tenant's history (first
-- queried after its history began, at most campaign_max_age_days before the run's last day),
-- beacon-regular on at least campaign_min_hosts hosts whose series began on two or more
-- different days (host after host), and not seen in another tenant before this one. A vendor
-- agent is old, present across tenants from the start, or rolled out to every host at once.
-- Rebuilt each run over the campaign window, from the profiled pairs.

{%- set domain_key = 'tenant_id, domain_level, domain' %}

with

profiles as (
    select * from {{ ref('int_dns_pair_profiles') }}
    where {{ date_window_predicate(
        'event_date', lookback_days=number_var('campaign_max_age_days'), incremental=false
    ) }}
),

prevalence as (
    select * from {{ ref('int_dns_domain_prevalence') }}
),

host_activity as (
    select * from {{ ref('int_dns_host_activity') }}
),

window_end as (
    select max(event_date) as window_end_date from profiles
),

recent_profiles as (
    select profiles.*
    from profiles
    cross join window_end
    where
        profiles.event_date > cast(
            window_end.window_end_date - interval '{{ number_var('campaign_max_age_days') }}' day as date
        )
),

-- a day's series that passes every pair threshold but prevalence
regular_pairs as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        n_tenant_hosts
    from recent_profiles
    where
        n_seconds >= {{ number_var('min_beats') }}
        and interval_mad_ratio <= {{ number_var('max_interval_mad_ratio') }}
        and interval_median_seconds >= {{ number_var('min_interval_median_seconds') }}
),

host_first_days as (
    select
        {{ domain_key }},
        host_id,
        min(event_date) as first_regular_date
    from regular_pairs
    group by {{ domain_key }}, host_id
),

spreading as (
    select
        {{ domain_key }},
        count(*) as n_campaign_hosts,
        count(distinct first_regular_date) as n_infection_days,
        min(first_regular_date) as first_regular_date,
        max(first_regular_date) as last_infection_date
    from host_first_days
    group by {{ domain_key }}
    having
        count(*) >= {{ number_var('campaign_min_hosts') }}
        and count(distinct first_regular_date) >= 2
),

spreading_domains as (
    select distinct
        domain_level,
        domain
    from spreading
),

-- when each tenant first queried these domains, over the whole history
first_seen as (
    select
        prevalence.tenant_id,
        prevalence.domain_level,
        prevalence.domain,
        min(prevalence.event_date) as first_seen_date
    from prevalence
    inner join spreading_domains
        on
            prevalence.domain_level = spreading_domains.domain_level
            and prevalence.domain = spreading_domains.domain
    group by prevalence.tenant_id, prevalence.domain_level, prevalence.domain
),

history as (
    select min(event_date) as history_start_date from host_activity
),

tenant_sizes as (
    select
        tenant_id,
        max(n_tenant_hosts) as n_tenant_hosts
    from regular_pairs
    group by tenant_id
),

campaigns as (
    select
        spreading.*,
        own.first_seen_date,
        min(elsewhere.first_seen_date) as first_seen_elsewhere_date,
        count(elsewhere.tenant_id) as n_other_tenants
    from spreading
    inner join first_seen as own
        on
            spreading.tenant_id = own.tenant_id
            and spreading.domain_level = own.domain_level
            and spreading.domain = own.domain
    left join first_seen as elsewhere
        on
            spreading.domain_level = elsewhere.domain_level
            and spreading.domain = elsewhere.domain
            and spreading.tenant_id != elsewhere.tenant_id
    cross join history
    cross join window_end
    where
        own.first_seen_date > history.history_start_date
        and own.first_seen_date > cast(
            window_end.window_end_date - interval '{{ number_var('campaign_max_age_days') }}' day as date
        )
    group by
        spreading.tenant_id,
        spreading.domain_level,
        spreading.domain,
        spreading.n_campaign_hosts,
        spreading.n_infection_days,
        spreading.first_regular_date,
        spreading.last_infection_date,
        own.first_seen_date
),

final as (
    select
        campaigns.tenant_id,
        campaigns.domain_level,
        campaigns.domain,
        campaigns.first_seen_date,
        campaigns.first_regular_date,
        campaigns.last_infection_date,
        campaigns.n_campaign_hosts,
        campaigns.n_infection_days,
        tenant_sizes.n_tenant_hosts,
        campaigns.n_other_tenants,
        campaigns.first_seen_elsewhere_date
    from campaigns
    inner join tenant_sizes
        on campaigns.tenant_id = tenant_sizes.tenant_id
    where
        campaigns.first_seen_elsewhere_date is null
        or campaigns.first_seen_elsewhere_date >= campaigns.first_seen_date
)

select * from final
