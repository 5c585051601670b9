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
-- Incremental by day. The beats are fct_beacon_candidate_beats' own (the day's, without the
-- lookback), read from int_dns_beat_intervals by the candidates' pair keys, so that the
-- millions of probes group on (event_date, pair_key) rather than on four strings.

with

candidates as (
    select * from {{ ref('fct_beacon_candidates') }}
    where {{ date_window_predicate('event_date') }}
),

beats as (
    select * from {{ ref('int_dns_beat_intervals') }}
    where
        not is_lookback
        and {{ date_window_predicate('event_date') }}
),

candidate_beats as (
    select
        candidates.pair_key,
        candidates.tenant_id,
        candidates.host_id,
        candidates.registered_domain,
        beats.event_date,
        beats.beat_at
    from beats
    inner join candidates
        on
            beats.event_date = candidates.event_date
            and beats.pair_key = candidates.pair_key
),

host_activity as (
    select * from {{ ref('int_dns_host_activity') }}
    where {{ date_window_predicate('event_date') }}
),

company as {{ beat_company('candidate_beats', ['event_date', 'pair_key']) }},

final as (
    select
        candidates.tenant_id,
        candidates.host_id,
        candidates.domain_level,
        candidates.domain,
        candidates.event_date,
        company.n_company_probe_beats,
        company.n_company_beats,
        {{ host_company_rate('host_activity') }} as host_company_rate
    from company
    inner join candidates
        on
            company.event_date = candidates.event_date
            and company.pair_key = candidates.pair_key
    inner join host_activity
        on
            candidates.tenant_id = host_activity.tenant_id
            and candidates.host_id = host_activity.host_id
            and candidates.event_date = host_activity.event_date
)

select * from final
