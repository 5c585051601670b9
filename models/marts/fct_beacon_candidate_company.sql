{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- How many of each candidate's beats that day came with company: an answered query of the same
-- host to another registered domain within company_seconds (macros/dns/beat_company.sql). A
-- site a person visits is queried with the names of its page; a call-home comes alone.
-- Incremental by day.

with

candidates as (
    select * from {{ ref('fct_beacon_candidates') }}
    where {{ date_window_predicate('event_date') }}
),

beats as (
    select * from {{ ref('fct_beacon_candidate_beats') }}
    where
        not is_lookback
        and {{ date_window_predicate('event_date') }}
),

candidate_beats as (
    select
        beats.tenant_id,
        beats.host_id,
        beats.domain_level,
        beats.domain,
        candidates.registered_domain,
        beats.event_date,
        beats.beat_at
    from beats
    inner join candidates
        on
            beats.tenant_id = candidates.tenant_id
            and beats.host_id = candidates.host_id
            and beats.domain_level = candidates.domain_level
            and beats.domain = candidates.domain
            and beats.event_date = candidates.event_date
),

host_activity as (
    select * from {{ ref('int_dns_host_activity') }}
    where {{ date_window_predicate('event_date') }}
),

company as {{ beat_company(
    'candidate_beats', ['tenant_id', 'host_id', 'domain_level', 'domain', 'event_date']
) }},

final as (
    select
        company.tenant_id,
        company.host_id,
        company.domain_level,
        company.domain,
        company.event_date,
        company.n_company_probe_beats,
        company.n_company_beats,
        {{ host_company_rate('host_activity') }} as host_company_rate
    from company
    inner join host_activity
        on
            company.tenant_id = host_activity.tenant_id
            and company.host_id = host_activity.host_id
            and company.event_date = host_activity.event_date
)

select * from final
