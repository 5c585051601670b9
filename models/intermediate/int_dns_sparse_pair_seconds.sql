{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- A host's sparse series of a day: every second in which it queried a name under a rare
-- registered domain (int_dns_host_rare_domains) that it queried in at most
-- slow_max_beats_per_day distinct seconds that day: a call-home every hour or slower. Kept so
-- that a beacon calling home every few hours, with too few beats a day for the day's
-- candidates (or just enough on some days), is judged over a multi-day window
-- (fct_beacon_slow_candidates) without reading earlier days' events again. has_company is
-- the second's company (macro beats_with_company), judged here while the day's seconds are at
-- hand, so the window's candidates never probe earlier days' seconds.

with

name_pairs as (
    select * from {{ ref('int_dns_pairs_aggregated_to_days') }}
    where
        domain_level = 'query_name'
        and {{ date_window_predicate('event_date') }}
),

sparse_domains as (
    select * from {{ ref('int_dns_host_rare_domains') }}
    where
        n_seconds <= {{ number_var('slow_max_beats_per_day') }}
        and {{ date_window_predicate('event_date') }}
),

sparse_names as (
    select
        name_pairs.tenant_id,
        name_pairs.host_id,
        name_pairs.domain as query_name,
        name_pairs.query_name_key,
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

sparse_seconds as (
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
            and seconds.query_name_key = sparse_names.query_name_key
            and seconds.event_date = sparse_names.event_date
    where {{ date_window_predicate('seconds.event_date') }}
),

-- one probe per second and registered domain (company is about other registered domains)
domain_seconds as (
    select distinct
        tenant_id,
        host_id,
        registered_domain,
        event_date,
        second_at as beat_at
    from sparse_seconds
),

second_company as {{ beats_with_company(
    'domain_seconds', ['tenant_id', 'host_id', 'registered_domain', 'event_date']
) }},

final as (
    select
        sparse_seconds.*,
        second_company.has_company
    from sparse_seconds
    inner join second_company
        on
            sparse_seconds.tenant_id = second_company.tenant_id
            and sparse_seconds.host_id = second_company.host_id
            and sparse_seconds.registered_domain = second_company.registered_domain
            and sparse_seconds.second_at = second_company.beat_at
)

select * from final
