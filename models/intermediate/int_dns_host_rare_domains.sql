{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- A host's rare registered domains of a day: those that at most rare_domain_max_hosts of the
-- tenant's hosts queried that day, with the host's counts under each. What the rotation pools
-- and the slow window are drawn from, where an implant's domains hide from per-domain
-- thresholds. Reverse lookups and single labels are left out (they never reach an outside
-- server; the confirmation step applies the full local-name rule of confirm/lexical.py).
-- Incremental by day.

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
        count(*) as n_query_names,
        cast(sum(n_seconds) as bigint) as n_seconds,
        cast(sum(n_queries) as bigint) as n_queries,
        cast(sum(n_nxdomain) as bigint) as n_nxdomain,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from name_pairs
    group by tenant_id, host_id, registered_domain, event_date
),

final as (
    select
        registered_days.*,
        prevalence.n_hosts as domain_n_hosts,
        prevalence.n_tenant_hosts
    from registered_days
    inner join prevalence
        on
            registered_days.tenant_id = prevalence.tenant_id
            and registered_days.registered_domain = prevalence.domain
            and registered_days.event_date = prevalence.event_date
    where
        prevalence.n_hosts <= {{ number_var('rare_domain_max_hosts') }}
        and registered_days.registered_domain like '%.%'
        and registered_days.registered_domain not like '%.arpa'
)

select * from final
