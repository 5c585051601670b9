{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- How many of the tenant's active hosts queried a domain that day, at both levels (the
-- registered level counts hosts that queried any name under it).

with

name_pairs as (
    select * from {{ ref('int_dns_pairs_aggregated_to_days') }}
    where
        domain_level = 'query_name'
        and {{ date_window_predicate('event_date') }}
),

tenant_hosts as (
    select
        tenant_id,
        event_date,
        count(*) as n_tenant_hosts
    from {{ ref('int_dns_host_activity') }}
    where {{ date_window_predicate('event_date') }}
    group by tenant_id, event_date
),

name_hosts as (
    select
        tenant_id,
        'query_name' as domain_level,
        domain,
        event_date,
        count(*) as n_hosts
    from name_pairs
    group by tenant_id, domain, event_date
),

registered_hosts as (
    select
        tenant_id,
        'registered_domain' as domain_level,
        registered_domain as domain,
        event_date,
        count(distinct host_id) as n_hosts
    from name_pairs
    group by tenant_id, registered_domain, event_date
),

domain_hosts as (
    select * from name_hosts
    union all
    select * from registered_hosts
),

final as (
    select
        domain_hosts.tenant_id,
        domain_hosts.domain_level,
        domain_hosts.domain,
        domain_hosts.event_date,
        domain_hosts.n_hosts,
        tenant_hosts.n_tenant_hosts,
        cast(domain_hosts.n_hosts as double) / tenant_hosts.n_tenant_hosts as prevalence
    from domain_hosts
    inner join tenant_hosts
        on
            domain_hosts.tenant_id = tenant_hosts.tenant_id
            and domain_hosts.event_date = tenant_hosts.event_date
)

select * from final
