-- The field report's stage one as one query: per-minute counts per (tenant, host, query name),
-- the mean and standard deviation of each pair's hourly counts (hours without a query count
-- as zero, from the pair's first to its last hour), the mean and standard deviation of the gaps
-- between its active minutes, and a threshold on both. No beats, no registered domains, no
-- lists: the least an engine must do to read a day and find regular pairs in it, so the time
-- this takes is the floor `benchmarks/bench_run.py` sets beside `beaconlake run` on the same day.

{%- set min_active_minutes = 12 -%}
{%- set max_gap_cv = 0.5 -%}
{%- set max_hourly_count_cv = 1.0 %}

with

events as (
    select
        tenant_id,
        host_id,
        query_name,
        event_time
    from {{ source('dns', 'raw_events') }}
),

minutes as (
    select
        tenant_id,
        host_id,
        query_name,
        date_trunc('minute', event_time) as minute_at,
        count(*) as n_queries
    from events
    group by tenant_id, host_id, query_name, date_trunc('minute', event_time)
),

gaps as (
    select
        tenant_id,
        host_id,
        query_name,
        minute_at,
        n_queries,
        date_diff(
            'second',
            lag(minute_at) over (partition by tenant_id, host_id, query_name order by minute_at),
            minute_at
        ) as gap_seconds
    from minutes
),

pairs as (
    select
        tenant_id,
        host_id,
        query_name,
        count(*) as n_active_minutes,
        sum(n_queries) as n_queries,
        date_diff('hour', date_trunc('hour', min(minute_at)), date_trunc('hour', max(minute_at))) + 1
            as n_hours,
        avg(gap_seconds) as gap_mean_seconds,
        stddev_samp(gap_seconds) as gap_stddev_seconds
    from gaps
    group by tenant_id, host_id, query_name
),

hourly_counts as (
    select
        tenant_id,
        host_id,
        query_name,
        date_trunc('hour', minute_at) as hour_at,
        sum(n_queries) as n_queries
    from minutes
    group by tenant_id, host_id, query_name, date_trunc('hour', minute_at)
),

hourly as (
    select
        tenant_id,
        host_id,
        query_name,
        sum(n_queries * n_queries) as sum_squared_hourly_counts
    from hourly_counts
    group by tenant_id, host_id, query_name
),

final as (
    select
        pairs.tenant_id,
        pairs.host_id,
        pairs.query_name,
        pairs.n_active_minutes,
        pairs.n_queries,
        pairs.gap_mean_seconds,
        pairs.gap_stddev_seconds,
        pairs.n_queries * 1.0 / pairs.n_hours as hourly_count_mean,
        sqrt(greatest(
            hourly.sum_squared_hourly_counts * 1.0 / pairs.n_hours
            - power(pairs.n_queries * 1.0 / pairs.n_hours, 2),
            0
        )) as hourly_count_stddev
    from pairs
    inner join hourly
        on
            pairs.tenant_id = hourly.tenant_id
            and pairs.host_id = hourly.host_id
            and pairs.query_name = hourly.query_name
    where pairs.n_active_minutes >= {{ min_active_minutes }}
)

select * from final
where
    gap_stddev_seconds <= {{ max_gap_cv }} * gap_mean_seconds
    and hourly_count_stddev <= {{ max_hourly_count_cv }} * hourly_count_mean
