{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The one pass over every staged event: same-second queries (A + AAAA, retries) merge here.
-- Kept narrow on purpose: this aggregation's cost grows with the width of its rows. The name is
-- its integer key (query_name_key; about a quarter cheaper than the string on the 100M-event
-- day) and the registered domain is left out: both are functions of the name, joined on the far
-- fewer pair rows downstream.
-- Besides the counts, how many of the queries got NXDOMAIN and how many asked for a record type
-- that tunnels favour (TXT, NULL, CNAME, MX, SRV, ANY, KEY): features for ranking; and the
-- smallest answer TTL of the second (one cheap aggregate: this is the hot path).

{%- set tunnel_query_types = "'TXT', 'NULL', 'CNAME', 'MX', 'SRV', 'ANY', 'KEY'" %}

with

events as (
    select * from {{ ref('stg_dns__events') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        tenant_id,
        host_id,
        query_name_key,
        event_date,
        date_trunc('second', event_at) as second_at,
        count(*) as n_queries,
        cast(sum(duplicate_count) as bigint) as n_duplicates,
        count(*) filter (where response_code = 'NXDOMAIN') as n_nxdomain,
        count(*) filter (where query_type in ({{ tunnel_query_types }})) as n_tunnel_type_queries,
        min(answer_ttl_seconds) as min_answer_ttl_seconds
    from events
    group by
        tenant_id,
        host_id,
        query_name_key,
        event_date,
        date_trunc('second', event_at)
)

select * from final
