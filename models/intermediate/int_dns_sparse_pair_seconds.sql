{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- A host's sparse series of a day: every second in which it queried a name under a rare
-- registered domain (at most rare_domain_max_hosts of the tenant's hosts that day) that it
-- queried in at most slow_max_beats_per_day distinct seconds that day: a call-home every hour
-- or slower. Kept so that a beacon calling home every few hours, with too few beats a day for
-- the day's candidates (or just enough on some days), is judged over a multi-day window
-- (fct_beacon_slow_candidates) without reading earlier days' events again.

with

name_pairs as (
    select * from {{ ref('int_dns_pairs_aggregated_to_days') }}
    where
        domain_level = 'query_name'
        and {{ date_window_predicate('event_date') }}
),

prevalence as (
    select * from {{ ref('int_dns_domain_prevalence') }}
    where
        domain_level = 'registered_domain'
        and {{ date_window_predicate('event_date') }}
),

registered_days as (
    select
        tenant_id,
        host_id,
        registered_domain,
        event_date,
        sum(n_seconds) as n_seconds
    from name_pairs
    group by tenant_id, host_id, registered_domain, event_date
),

sparse_domains as (
    select
        registered_days.tenant_id,
        registered_days.host_id,
        registered_days.registered_domain,
        registered_days.event_date,
        prevalence.n_hosts as domain_n_hosts,
        prevalence.n_tenant_hosts
    from registered_days
    inner join prevalence
        on
            registered_days.tenant_id = prevalence.tenant_id
            and registered_days.registered_domain = prevalence.domain
            and registered_days.event_date = prevalence.event_date
    where
        prevalence.n_hosts <= {{ var('rare_domain_max_hosts') }}
        and registered_days.n_seconds <= {{ var('slow_max_beats_per_day') }}
        -- reverse lookups and single labels never reach an outside server
        and registered_days.registered_domain like '%.%'
        and registered_days.registered_domain not like '%.arpa'
),

sparse_names as (
    select
        name_pairs.tenant_id,
        name_pairs.host_id,
        name_pairs.domain as query_name,
        name_pairs.registered_domain,
        name_pairs.event_date,
        sparse_domains.domain_n_hosts,
        sparse_domains.n_tenant_hosts
    from name_pairs
    inner join sparse_domains
        on
            name_pairs.tenant_id = sparse_domains.tenant_id
            and name_pairs.host_id = sparse_domains.host_id
            and name_pairs.registered_domain = sparse_domains.registered_domain
            and name_pairs.event_date = sparse_domains.event_date
),

final as (
    select
        sparse_names.tenant_id,
        sparse_names.host_id,
        sparse_names.query_name,
        sparse_names.registered_domain,
        sparse_names.event_date,
        seconds.second_at,
        seconds.n_queries,
        seconds.n_nxdomain,
        sparse_names.domain_n_hosts,
        sparse_names.n_tenant_hosts
    from {{ ref('int_dns_queries_aggregated_to_seconds') }} as seconds
    inner join sparse_names
        on
            seconds.tenant_id = sparse_names.tenant_id
            and seconds.host_id = sparse_names.host_id
            and seconds.query_name = sparse_names.query_name
            and seconds.event_date = sparse_names.event_date
    where {{ date_window_predicate('seconds.event_date') }}
)

select * from final
