{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Pairs that pass every threshold but are not candidates because a known-good entry covers their
-- domain: nothing disappears silently. Incremental by day, as fct_beacon_candidates.

with

checked_pairs as (
    select * from {{ ref('int_dns_pairs_checked') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select * from checked_pairs
    where
        (passes_thresholds or passes_popular_domain_rule or passes_campaign_rule)
        and is_known_good
        and not is_known_c2
)

select * from final
