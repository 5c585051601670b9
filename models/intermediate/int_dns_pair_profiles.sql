{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Everything known about a profiled pair on a day, in one row; thresholds are applied in marts
-- so that changing a threshold var needs no rebuild of this history, only of the marts.

with

pairs as (
    select * from {{ ref('int_dns_beat_series') }}
    where {{ date_window_predicate('event_date') }}
),

interval_stats as (
    select * from {{ ref('int_dns_pair_interval_stats') }}
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
        event_date,
        pair_key,
        count(*) as n_active_minutes,
        cast(sum(n_beats) as bigint) as n_beats
    from {{ ref('int_dns_queries_aggregated_to_minutes') }}
    where
        not is_lookback
        and {{ date_window_predicate('event_date') }}
    group by event_date, pair_key
),

final as (
    select
        pairs.pair_key,
        pairs.tenant_id,
        pairs.host_id,
        pairs.domain_level,
        pairs.domain,
        pairs.registered_domain,
        pairs.event_date,
        pairs.n_query_names,
        pairs.n_queries,
        pairs.n_nxdomain,
        pairs.n_tunnel_type_queries,
        cast(pairs.n_nxdomain as double) / nullif(pairs.n_queries, 0) as nxdomain_share,
        cast(pairs.n_tunnel_type_queries as double)
        / nullif(pairs.n_queries, 0) as tunnel_type_share,
        pairs.answer_ttl_seconds,
        pairs.n_seconds,
        active_minutes.n_beats,
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
        prevalence.n_hosts as domain_n_hosts,
        prevalence.n_tenant_hosts,
        prevalence.prevalence,
        host_activity.host_active_seconds
    from pairs
    inner join active_minutes
        on
            pairs.event_date = active_minutes.event_date
            and pairs.pair_key = active_minutes.pair_key
    left join interval_stats
        on
            pairs.event_date = interval_stats.event_date
            and pairs.pair_key = interval_stats.pair_key
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
