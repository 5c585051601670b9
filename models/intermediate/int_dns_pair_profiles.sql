{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Everything known about a profiled pair on a day, in one row; thresholds are applied in marts
-- so that changing a threshold var needs no rebuild of this history.

with

pairs as (
    select * from {{ ref('int_dns_pairs_aggregated_to_days') }}
    where {{ date_window_predicate('event_date') }}
),

interval_stats as (
    select * from {{ ref('int_dns_pair_interval_stats') }}
    where {{ date_window_predicate('event_date') }}
),

window_counts as (
    select * from {{ ref('int_dns_pair_window_counts') }}
    where {{ date_window_predicate('event_date') }}
),

prevalence as (
    select * from {{ ref('int_dns_domain_prevalence') }}
    where {{ date_window_predicate('event_date') }}
),

host_activity as (
    select * from {{ ref('int_dns_host_activity') }}
    where {{ date_window_predicate('event_date') }}
),

active_minutes as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        count(*) as n_active_minutes
    from {{ ref('int_dns_queries_aggregated_to_minutes') }}
    where
        not is_lookback
        and {{ date_window_predicate('event_date') }}
    group by tenant_id, host_id, domain_level, domain, event_date
),

final as (
    select
        pairs.tenant_id,
        pairs.host_id,
        pairs.domain_level,
        pairs.domain,
        pairs.registered_domain,
        pairs.event_date,
        pairs.n_query_names,
        pairs.n_queries,
        pairs.n_beats,
        active_minutes.n_active_minutes,
        pairs.first_seen_at,
        pairs.last_seen_at,
        interval_stats.n_intervals,
        interval_stats.interval_mean_seconds,
        interval_stats.interval_stddev_seconds,
        interval_stats.interval_cv,
        interval_stats.interval_q1_seconds,
        interval_stats.interval_median_seconds,
        interval_stats.interval_q3_seconds,
        interval_stats.interval_mad_seconds,
        interval_stats.interval_mad_ratio,
        interval_stats.interval_bowley_skewness,
        window_counts.n_windows,
        window_counts.window_count_mean,
        window_counts.window_count_stddev,
        window_counts.window_count_cv,
        prevalence.n_hosts as domain_n_hosts,
        prevalence.n_tenant_hosts,
        prevalence.prevalence,
        host_activity.host_active_seconds
    from pairs
    inner join active_minutes
        on
            pairs.tenant_id = active_minutes.tenant_id
            and pairs.host_id = active_minutes.host_id
            and pairs.domain_level = active_minutes.domain_level
            and pairs.domain = active_minutes.domain
            and pairs.event_date = active_minutes.event_date
    left join interval_stats
        on
            pairs.tenant_id = interval_stats.tenant_id
            and pairs.host_id = interval_stats.host_id
            and pairs.domain_level = interval_stats.domain_level
            and pairs.domain = interval_stats.domain
            and pairs.event_date = interval_stats.event_date
    left join window_counts
        on
            pairs.tenant_id = window_counts.tenant_id
            and pairs.host_id = window_counts.host_id
            and pairs.domain_level = window_counts.domain_level
            and pairs.domain = window_counts.domain
            and pairs.event_date = window_counts.event_date
    inner join host_activity
        on
            pairs.tenant_id = host_activity.tenant_id
            and pairs.host_id = host_activity.host_id
            and pairs.event_date = host_activity.event_date
    left join prevalence
        on
            pairs.tenant_id = prevalence.tenant_id
            and pairs.domain_level = prevalence.domain_level
            and pairs.domain = prevalence.domain
            and pairs.event_date = prevalence.event_date
)

select * from final
