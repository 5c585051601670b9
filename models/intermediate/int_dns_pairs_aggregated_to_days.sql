{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Per-pair aggregates first: the cheap numbers that decide which pairs get a per-beat series.
-- A registered-domain row exists only when the host queried two or more names under it that
-- day (with a single name the query-name row already is the same series) and it may be worth
-- profiling: the names' distinct seconds add up to at least min_beats, or the registered domain
-- carries a known-C2 entry. Its counts are sums over its names, read off the name rows without
-- another pass over the per-second table: n_seconds is then an upper bound (two names queried
-- in one second count twice), exact beat counts come from the beat series.
-- The pair-day's answer TTL is the longest of its seconds' smallest answer TTLs: a caching
-- resolver hands out what remains of its entry's TTL, so shorter values are common and the
-- longest is the closest to the zone's own TTL, the one a client's refresh period follows.

with

-- A name and its registered domain are functions of its key: joined on pairs, not on seconds.
query_name_domains as (
    select distinct
        query_name_key,
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
        query_name_key,
        event_date,
        count(*) as n_seconds,
        cast(sum(n_queries) as bigint) as n_queries,
        cast(sum(n_nxdomain) as bigint) as n_nxdomain,
        cast(sum(n_tunnel_type_queries) as bigint) as n_tunnel_type_queries,
        max(min_answer_ttl_seconds) as answer_ttl_seconds,
        min(second_at) as first_seen_at,
        max(second_at) as last_seen_at
    from {{ ref('int_dns_queries_aggregated_to_seconds') }}
    where {{ date_window_predicate('event_date') }}
    group by tenant_id, host_id, query_name_key, event_date
),

name_pairs as (
    select
        name_aggregates.tenant_id,
        name_aggregates.host_id,
        'query_name' as domain_level,
        query_name_domains.query_name as domain,
        query_name_domains.registered_domain,
        name_aggregates.query_name_key,
        name_aggregates.event_date,
        1 as n_query_names,
        name_aggregates.n_seconds,
        name_aggregates.n_queries,
        name_aggregates.n_nxdomain,
        name_aggregates.n_tunnel_type_queries,
        name_aggregates.answer_ttl_seconds,
        name_aggregates.first_seen_at,
        name_aggregates.last_seen_at
    from name_aggregates
    inner join query_name_domains
        on name_aggregates.query_name_key = query_name_domains.query_name_key
),

registered_pairs as (
    select
        tenant_id,
        host_id,
        'registered_domain' as domain_level,
        registered_domain as domain,
        registered_domain,
        null as query_name_key,  -- typed by the union: the key's integer type differs by engine
        event_date,
        count(*) as n_query_names,
        cast(sum(n_seconds) as bigint) as n_seconds,
        cast(sum(n_queries) as bigint) as n_queries,
        cast(sum(n_nxdomain) as bigint) as n_nxdomain,
        cast(sum(n_tunnel_type_queries) as bigint) as n_tunnel_type_queries,
        max(answer_ttl_seconds) as answer_ttl_seconds,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from (
        -- joined again rather than read from name_pairs: an engine that keeps a CTE read twice
        -- (DuckDB) then keeps the narrower name_aggregates, not every pair with its domain
        select
            name_aggregates.*,
            query_name_domains.registered_domain
        from name_aggregates
        inner join query_name_domains
            on name_aggregates.query_name_key = query_name_domains.query_name_key
    ) as named_aggregates
    group by tenant_id, host_id, registered_domain, event_date
    having
        count(*) > 1
        and (
            sum(n_seconds) >= {{ number_var('min_beats') }}
            or registered_domain in (select known_c2.registered_domain from known_c2)
        )
),

final as (
    select * from name_pairs
    union all
    select * from registered_pairs
)

select * from final
