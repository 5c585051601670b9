{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Per-pair aggregates first: the cheap numbers that decide which pairs get a per-minute series.
-- A registered-domain row exists only when the host queried two or more names under it that
-- day (with a single name the query-name row already is the same series) and it can be
-- profiled: the names' distinct seconds add up to at least min_beats, or the registered domain
-- carries a known-C2 entry. Its own seconds are merged only for those.

with

-- A name's registered domain is a function of the name: joined on pairs, not on seconds.
query_name_domains as (
    select distinct
        query_name,
        registered_domain
    from {{ ref('stg_dns__query_names') }}
    where name_rejection_reason is null
),

known_c2 as (
    select * from {{ ref('int_known_domains') }}
    where list_name = 'known_c2'
),

name_aggregates as (
    select
        tenant_id,
        host_id,
        query_name,
        event_date,
        count(*) as n_beats,
        cast(sum(n_queries) as bigint) as n_queries,
        min(second_at) as first_seen_at,
        max(second_at) as last_seen_at
    from {{ ref('int_dns_queries_aggregated_to_seconds') }}
    where {{ date_window_predicate('event_date') }}
    group by tenant_id, host_id, query_name, event_date
),

name_pairs as (
    select
        name_aggregates.tenant_id,
        name_aggregates.host_id,
        'query_name' as domain_level,
        name_aggregates.query_name as domain,
        query_name_domains.registered_domain,
        name_aggregates.event_date,
        1 as n_query_names,
        name_aggregates.n_beats,
        name_aggregates.n_queries,
        name_aggregates.first_seen_at,
        name_aggregates.last_seen_at
    from name_aggregates
    inner join query_name_domains
        on name_aggregates.query_name = query_name_domains.query_name
),

-- The sum of the names' distinct seconds bounds the registered domain's from above.
shared_registered_domains as (
    select
        tenant_id,
        host_id,
        registered_domain,
        event_date,
        count(*) as n_query_names
    from name_pairs
    group by tenant_id, host_id, registered_domain, event_date
    having
        count(*) > 1
        and (
            sum(n_beats) >= {{ var('min_beats') }}
            or registered_domain in (select known_c2.registered_domain from known_c2)
        )
),

shared_names as (
    select
        name_pairs.tenant_id,
        name_pairs.host_id,
        name_pairs.domain as query_name,
        name_pairs.registered_domain,
        name_pairs.event_date,
        shared_registered_domains.n_query_names
    from name_pairs
    inner join shared_registered_domains
        on
            name_pairs.tenant_id = shared_registered_domains.tenant_id
            and name_pairs.host_id = shared_registered_domains.host_id
            and name_pairs.registered_domain = shared_registered_domains.registered_domain
            and name_pairs.event_date = shared_registered_domains.event_date
),

-- The per-second table is read again here, not through a shared CTE: DuckDB would materialise
-- one that is read twice.
registered_seconds as (
    select
        seconds.tenant_id,
        seconds.host_id,
        shared_names.registered_domain,
        seconds.event_date,
        seconds.second_at,
        min(shared_names.n_query_names) as n_query_names,
        cast(sum(seconds.n_queries) as bigint) as n_queries
    from {{ ref('int_dns_queries_aggregated_to_seconds') }} as seconds
    inner join shared_names
        on
            seconds.tenant_id = shared_names.tenant_id
            and seconds.host_id = shared_names.host_id
            and seconds.query_name = shared_names.query_name
            and seconds.event_date = shared_names.event_date
    where {{ date_window_predicate('seconds.event_date') }}
    group by
        seconds.tenant_id,
        seconds.host_id,
        shared_names.registered_domain,
        seconds.event_date,
        seconds.second_at
),

registered_pairs as (
    select
        tenant_id,
        host_id,
        'registered_domain' as domain_level,
        registered_domain as domain,
        registered_domain,
        event_date,
        min(n_query_names) as n_query_names,
        count(*) as n_beats,
        cast(sum(n_queries) as bigint) as n_queries,
        min(second_at) as first_seen_at,
        max(second_at) as last_seen_at
    from registered_seconds
    group by tenant_id, host_id, registered_domain, event_date
),

final as (
    select * from name_pairs
    union all
    select * from registered_pairs
)

select * from final
