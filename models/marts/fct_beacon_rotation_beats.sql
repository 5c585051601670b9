{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The beat times of every rotation candidate's member domains, for the confirmation step, which
-- scores a host's pool as one series. Incremental by day.

with

candidates as (
    select * from {{ ref('fct_beacon_rotation_candidates') }}
    where {{ date_window_predicate('event_date') }}
),

beats as (
    select * from {{ ref('int_dns_rotation_pool_beats') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        beats.tenant_id,
        beats.host_id,
        beats.registered_domain as domain,
        beats.event_date,
        beats.beat_at
    from beats
    inner join candidates
        on
            beats.tenant_id = candidates.tenant_id
            and beats.host_id = candidates.host_id
            and beats.event_date = candidates.event_date
            and beats.registered_domain = candidates.domain
)

select * from final
