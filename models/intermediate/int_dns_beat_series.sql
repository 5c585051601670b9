{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The pair-days worth a per-beat series: at least min_beats distinct seconds, or a domain a
-- known-C2 entry covers. Each gets a small integer key, dense within its day, so that the
-- per-beat models sort and join on (event_date, pair_key) rather than on four strings: the
-- beats are the largest tables downstream and the key is most of their width.

with

known_c2 as (
    select * from {{ ref('int_known_domains') }}
    where list_name = 'known_c2'
),

pairs as (
    select * from {{ ref('int_dns_pairs_aggregated_to_days') }}
    where {{ date_window_predicate('event_date') }}
),

profiled as (
    select * from pairs
    where
        n_seconds >= {{ number_var('min_beats') }}
        or exists (
            select 1 as is_listed from known_c2
            where {{ listed_domain_matches('pairs.domain', 'pairs.registered_domain', 'known_c2') }}
        )
),

final as (
    select
        row_number() over (
            partition by event_date
            order by tenant_id, host_id, domain_level, domain
        ) as pair_key,
        tenant_id,
        host_id,
        domain_level,
        domain,
        registered_domain,
        query_name_key,
        event_date,
        n_query_names,
        n_seconds,
        n_queries,
        n_nxdomain,
        n_tunnel_type_queries,
        answer_ttl_seconds,
        first_seen_at,
        last_seen_at
    from profiled
)

select * from final
