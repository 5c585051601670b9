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
-- threshold: rare in the tenant (int_dns_host_rare_domains), not known good, queried in two or
-- more seconds spread over at least rotation_min_member_span_minutes. A host with more such
-- domains than rotation_max_members in a day is browsing, not rotating, and has no pool that day.

with

rare_domains as (
    select * from {{ ref('int_dns_host_rare_domains') }}
    where {{ date_window_predicate('event_date') }}
),

known_good as (
    select * from {{ ref('int_known_domains') }}
    where list_name = 'known_good'
),

eligible as (
    select * from rare_domains
    where
        n_seconds >= 2
        and last_seen_at >= first_seen_at
        + interval '{{ number_var('rotation_min_member_span_minutes') }}' minute
        and not exists (
            select 1 as is_listed from known_good
            where {{ listed_domain_matches(
                'rare_domains.registered_domain', 'rare_domains.registered_domain', 'known_good'
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
    where pool_sizes.n_pool_members between 2 and {{ number_var('rotation_max_members') }}
)

select * from final
