{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The beat times of every candidate (lookback beats flagged), for the confirmation step's
-- periodogram and autocorrelation. Incremental by day: a new day costs one day of beats.

with

candidates as (
    select * from {{ ref('fct_beacon_candidates') }}
    where {{ date_window_predicate('event_date') }}
),

beats as (
    select * from {{ ref('int_dns_beat_intervals') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        candidates.tenant_id,
        candidates.host_id,
        candidates.domain_level,
        candidates.domain,
        beats.event_date,
        beats.beat_at,
        beats.is_lookback,
        beats.interval_seconds
    from beats
    inner join candidates
        on
            beats.event_date = candidates.event_date
            and beats.pair_key = candidates.pair_key
)

select * from final
