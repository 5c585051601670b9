-- The beat times of every slow candidate over its window, for the confirmation step.

with

candidates as (
    select * from {{ ref('fct_beacon_slow_candidates') }}
),

beats as (
    select * from {{ ref('int_dns_slow_series_beats') }}
),

final as (
    select
        beats.tenant_id,
        beats.host_id,
        beats.domain_level,
        beats.domain,
        candidates.event_date,
        beats.beat_at
    from beats
    inner join candidates
        on
            beats.tenant_id = candidates.tenant_id
            and beats.host_id = candidates.host_id
            and beats.domain_level = candidates.domain_level
            and beats.domain = candidates.domain
)

select * from final
