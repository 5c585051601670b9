{{ config(materialized='view') }}

-- The candidate rule, one boolean per threshold var, so every decision can be explained.

with

profiles as (
    select * from {{ ref('int_dns_pair_profiles') }}
),

list_matches as (
    select * from {{ ref('int_dns_domains_matched_to_lists') }}
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
        profiles.n_beats >= {{ var('min_beats') }} as passes_min_beats,
        coalesce(
            profiles.interval_mad_ratio <= {{ var('max_interval_mad_ratio') }}, false
        ) as passes_interval_regularity,
        coalesce(
            profiles.interval_median_seconds >= {{ var('min_interval_median_seconds') }}, false
        ) as passes_interval_median,
        coalesce(
            profiles.n_tenant_hosts < {{ var('min_tenant_hosts_for_prevalence') }}
            or profiles.prevalence <= {{ var('max_prevalence') }},
            true
        ) as passes_prevalence
    from profiles
    left join list_matches
        on profiles.domain = list_matches.domain
),

final as (
    select
        *,
        passes_min_beats
        and passes_interval_regularity
        and passes_interval_median
        and passes_prevalence as passes_thresholds
    from checked
)

select * from final
