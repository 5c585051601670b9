{{ config(materialized='view') }}

-- The candidate rule, one boolean per threshold var, so every decision can be explained.
-- A pair of a spreading campaign (int_dns_campaign_domains) needs no prevalence check.

with

profiles as (
    select * from {{ ref('int_dns_pair_profiles') }}
),

list_matches as (
    select * from {{ ref('int_dns_domains_matched_to_lists') }}
),

campaigns as (
    select * from {{ ref('int_dns_campaign_domains') }}
),

-- Hosts of the tenant whose series on the domain is as regular as a beacon's that day: what
-- tells one host beaconing to a popular domain from a fleet-wide keep-alive.
regular_hosts as (
    select
        tenant_id,
        domain_level,
        domain,
        event_date,
        count(*) as domain_n_regular_hosts
    from profiles
    where
        n_seconds >= {{ number_var('min_beats') }}
        and interval_mad_ratio <= {{ number_var('popular_domain_max_interval_mad_ratio') }}
        and interval_median_seconds >= {{ number_var('min_interval_median_seconds') }}
    group by tenant_id, domain_level, domain, event_date
),

checked as (
    select
        profiles.*,
        list_matches.known_good_domain,
        list_matches.known_good_category,
        list_matches.known_good_reason,
        list_matches.known_c2_domain,
        list_matches.known_c2_family,
        list_matches.known_c2_source,
        coalesce(list_matches.known_good_domain is not null, false) as is_known_good,
        coalesce(list_matches.known_c2_domain is not null, false) as is_known_c2,
        profiles.n_seconds >= {{ number_var('min_beats') }} as passes_min_beats,
        coalesce(
            profiles.interval_mad_ratio <= {{ number_var('max_interval_mad_ratio') }}, false
        ) as passes_interval_regularity,
        coalesce(
            profiles.interval_median_seconds >= {{ number_var('min_interval_median_seconds') }}, false
        ) as passes_interval_median,
        coalesce(
            profiles.n_tenant_hosts < {{ number_var('min_tenant_hosts_for_prevalence') }}
            or profiles.prevalence <= {{ number_var('max_prevalence') }},
            true
        ) as passes_prevalence,
        coalesce(regular_hosts.domain_n_regular_hosts, 0) as domain_n_regular_hosts,
        campaigns.n_campaign_hosts,
        campaigns.first_seen_date as campaign_first_seen_date,
        campaigns.first_regular_date as campaign_first_regular_date,
        campaigns.n_campaign_hosts is not null as is_campaign,
        coalesce(
            profiles.interval_mad_ratio <= {{ number_var('popular_domain_max_interval_mad_ratio') }}
            and regular_hosts.domain_n_regular_hosts <= greatest(
                1, {{ number_var('popular_domain_max_regular_share') }} * coalesce(profiles.n_tenant_hosts, 0)
            ),
            false
        ) as is_regular_on_popular_domain
    from profiles
    left join list_matches
        on profiles.domain = list_matches.domain
    left join regular_hosts
        on
            profiles.tenant_id = regular_hosts.tenant_id
            and profiles.domain_level = regular_hosts.domain_level
            and profiles.domain = regular_hosts.domain
            and profiles.event_date = regular_hosts.event_date
    left join campaigns
        on
            profiles.tenant_id = campaigns.tenant_id
            and profiles.domain_level = campaigns.domain_level
            and profiles.domain = campaigns.domain
),

final as (
    select
        *,
        passes_min_beats
        and passes_interval_regularity
        and passes_interval_median
        and passes_prevalence as passes_thresholds,
        passes_min_beats
        and passes_interval_median
        and not passes_prevalence
        and is_regular_on_popular_domain as passes_popular_domain_rule,
        passes_min_beats
        and passes_interval_regularity
        and passes_interval_median
        and is_campaign as passes_campaign_rule
    from checked
)

select * from final
