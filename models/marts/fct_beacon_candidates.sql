{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The product: (host, domain) pairs that beacon on a day, for an analyst or the Python
-- confirmation step. Known-C2 pairs are always here; known-good pairs never (see
-- fct_beacon_candidates_allowlisted). Incremental by day: a day's rows are the decision of the
-- run that built it (lists, vars and campaigns as they were then); --full-refresh re-decides
-- every day with today's.

with

checked_pairs as (
    select * from {{ ref('int_dns_pairs_checked') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        *,
        case
            when is_known_c2 then 'known_c2'
            when passes_campaign_rule then 'campaign'
            when passes_thresholds then 'thresholds'
            else 'regular_on_popular_domain'
        end as candidate_reason
    from checked_pairs
    where
        is_known_c2
        or (
            (passes_thresholds or passes_popular_domain_rule or passes_campaign_rule)
            and not is_known_good
        )
)

select * from final
