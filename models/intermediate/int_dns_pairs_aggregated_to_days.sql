{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Per-pair aggregates first: the cheap numbers that decide which pairs get a per-minute series.
-- A registered-domain row exists only when the host queried two or more names under it that
-- day; with a single name the query-name row already is the same series.

with

seconds as (
    select * from {{ ref('int_dns_queries_aggregated_to_seconds') }}
    where {{ date_window_predicate('event_date') }}
),

name_pairs as (
    select
        tenant_id,
        host_id,
        'query_name' as domain_level,
        query_name as domain,
        min(registered_domain) as registered_domain,
        event_date,
        1 as n_query_names,
        count(*) as n_beats,
        cast(sum(n_queries) as bigint) as n_queries,
        min(second_at) as first_seen_at,
        max(second_at) as last_seen_at
    from seconds
    group by tenant_id, host_id, query_name, event_date
),

shared_registered_domains as (
    select
        tenant_id,
        host_id,
        registered_domain,
        event_date,
        count(*) as n_query_names
    from name_pairs
    group by tenant_id, host_id, registered_domain, event_date
    having count(*) > 1
),

registered_seconds as (
    select
        seconds.tenant_id,
        seconds.host_id,
        seconds.registered_domain,
        seconds.event_date,
        seconds.second_at,
        cast(sum(seconds.n_queries) as bigint) as n_queries
    from seconds
    inner join shared_registered_domains
        on
            seconds.tenant_id = shared_registered_domains.tenant_id
            and seconds.host_id = shared_registered_domains.host_id
            and seconds.registered_domain = shared_registered_domains.registered_domain
            and seconds.event_date = shared_registered_domains.event_date
    group by
        seconds.tenant_id,
        seconds.host_id,
        seconds.registered_domain,
        seconds.event_date,
        seconds.second_at
),

registered_pairs as (
    select
        registered_seconds.tenant_id,
        registered_seconds.host_id,
        'registered_domain' as domain_level,
        registered_seconds.registered_domain as domain,
        registered_seconds.registered_domain,
        registered_seconds.event_date,
        min(shared_registered_domains.n_query_names) as n_query_names,
        count(*) as n_beats,
        cast(sum(registered_seconds.n_queries) as bigint) as n_queries,
        min(registered_seconds.second_at) as first_seen_at,
        max(registered_seconds.second_at) as last_seen_at
    from registered_seconds
    inner join shared_registered_domains
        on
            registered_seconds.tenant_id = shared_registered_domains.tenant_id
            and registered_seconds.host_id = shared_registered_domains.host_id
            and registered_seconds.registered_domain = shared_registered_domains.registered_domain
            and registered_seconds.event_date = shared_registered_domains.event_date
    group by
        registered_seconds.tenant_id,
        registered_seconds.host_id,
        registered_seconds.registered_domain,
        registered_seconds.event_date
),

final as (
    select * from name_pairs
    union all
    select * from registered_pairs
)

select * from final
