{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- A host's rotation pool: the rare registered domains it kept returning to during a day. An
-- implant that spreads its call-homes over several unrelated domains leaves each one too few or
-- too irregular beats to be a candidate alone, so the pool is chosen before any per-domain
-- threshold: rare in the tenant, not a local name, not known good, queried in two or more
-- seconds spread over at least rotation_min_member_span_minutes. A host with more such domains
-- than rotation_max_members in a day is browsing, not rotating, and has no pool that day.

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

known_good as (
    select * from {{ ref('int_known_domains') }}
    where list_name = 'known_good'
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

eligible as (
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
        prevalence.n_hosts <= {{ var('rare_domain_max_hosts') }}
        and registered_days.n_seconds >= 2
        and registered_days.last_seen_at >= registered_days.first_seen_at
        + interval '{{ var("rotation_min_member_span_minutes") }}' minute
        -- reverse lookups and single labels never reach an outside server (the confirmation
        -- step applies the full local-name rule of confirm/lexical.py)
        and registered_days.registered_domain like '%.%'
        and registered_days.registered_domain not like '%.arpa'
        and not exists (
            select 1 as is_listed from known_good
            where {{ listed_domain_matches(
                'registered_days.registered_domain', 'registered_days.registered_domain', 'known_good'
            ) }}
        )
),

pool_sizes as (
    select
        tenant_id,
        host_id,
        event_date,
        count(*) as n_pool_members
    from eligible
    group by tenant_id, host_id, event_date
),

final as (
    select
        eligible.tenant_id,
        eligible.host_id,
        eligible.registered_domain,
        eligible.event_date,
        eligible.n_query_names,
        eligible.n_seconds,
        eligible.n_queries,
        eligible.n_nxdomain,
        eligible.first_seen_at,
        eligible.last_seen_at,
        eligible.domain_n_hosts,
        eligible.n_tenant_hosts,
        pool_sizes.n_pool_members
    from eligible
    inner join pool_sizes
        on
            eligible.tenant_id = pool_sizes.tenant_id
            and eligible.host_id = pool_sizes.host_id
            and eligible.event_date = pool_sizes.event_date
    where pool_sizes.n_pool_members between 2 and {{ var('rotation_max_members') }}
)

select * from final
