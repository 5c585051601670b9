-- The 20 most regular beacon candidates of the latest day, for a first look:
-- dbt compile --select top_candidates, then run the compiled SQL.

with

candidates as (
    select * from {{ ref('fct_beacon_candidates') }}
),

latest_day as (
    select max(event_date) as event_date from candidates
),

final as (
    select
        candidates.tenant_id,
        candidates.host_id,
        candidates.domain_level,
        candidates.domain,
        candidates.candidate_reason,
        candidates.n_beats,
        candidates.interval_median_seconds,
        candidates.interval_mad_ratio,
        candidates.prevalence
    from candidates
    inner join latest_day
        on candidates.event_date = latest_day.event_date
    order by
        candidates.candidate_reason asc,
        candidates.interval_mad_ratio asc,
        candidates.n_beats desc
    limit 20
)

select * from final
