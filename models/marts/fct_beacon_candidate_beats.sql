-- The beat times of every candidate (lookback beats flagged), for the confirmation step's
-- periodogram and autocorrelation.

with

candidates as (
    select * from {{ ref('fct_beacon_candidates') }}
),

beats as (
    select * from {{ ref('int_dns_beat_intervals') }}
),

final as (
    select
        beats.tenant_id,
        beats.host_id,
        beats.domain_level,
        beats.domain,
        beats.event_date,
        beats.beat_at,
        beats.is_lookback,
        beats.interval_seconds
    from beats
    inner join candidates
        on
            beats.tenant_id = candidates.tenant_id
            and beats.host_id = candidates.host_id
            and beats.domain_level = candidates.domain_level
            and beats.domain = candidates.domain
            and beats.event_date = candidates.event_date
)

select * from final
