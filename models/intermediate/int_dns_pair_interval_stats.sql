{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Inter-arrival statistics of each profiled pair and day, over the intervals that end that day
-- (the first may start in the lookback). Robust ones (median, MAD, Bowley) resist the long gaps
-- of missing beats and the short ones of bursts. Quantiles are exact, read off ranks from a
-- sort (which spills) rather than from per-group quantile states held in memory.

with

{%- set pair_day = 'tenant_id, host_id, domain_level, domain, event_date' %}

ranked_intervals as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        interval_seconds,
        row_number() over (partition by {{ pair_day }} order by interval_seconds) as interval_rank,
        count(*) over (partition by {{ pair_day }}) as n_intervals
    from {{ ref('int_dns_beat_intervals') }}
    where
        not is_lookback
        and interval_seconds is not null
        and {{ date_window_predicate('event_date') }}
),

moments as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        min(n_intervals) as n_intervals,
        avg(interval_seconds) as interval_mean_seconds,
        stddev_samp(interval_seconds) as interval_stddev_seconds,
        {{ ranked_quantile('interval_seconds', 'interval_rank', 'n_intervals', 0.25) }} as interval_q1_seconds,
        {{ ranked_quantile('interval_seconds', 'interval_rank', 'n_intervals', 0.5) }} as interval_median_seconds,
        {{ ranked_quantile('interval_seconds', 'interval_rank', 'n_intervals', 0.75) }} as interval_q3_seconds
    from ranked_intervals
    group by tenant_id, host_id, domain_level, domain, event_date
),

-- The intervals are read again rather than through a shared CTE, which DuckDB would materialise.
ranked_deviations as (
    select
        intervals.tenant_id,
        intervals.host_id,
        intervals.domain_level,
        intervals.domain,
        intervals.event_date,
        abs(intervals.interval_seconds - moments.interval_median_seconds) as absolute_deviation_seconds,
        row_number() over (
            partition by
                intervals.tenant_id,
                intervals.host_id,
                intervals.domain_level,
                intervals.domain,
                intervals.event_date
            order by abs(intervals.interval_seconds - moments.interval_median_seconds)
        ) as deviation_rank,
        moments.n_intervals
    from {{ ref('int_dns_beat_intervals') }} as intervals
    inner join moments
        on
            intervals.tenant_id = moments.tenant_id
            and intervals.host_id = moments.host_id
            and intervals.domain_level = moments.domain_level
            and intervals.domain = moments.domain
            and intervals.event_date = moments.event_date
    where
        not intervals.is_lookback
        and intervals.interval_seconds is not null
        and {{ date_window_predicate('intervals.event_date') }}
),

median_absolute_deviations as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        {{ ranked_quantile(
            'absolute_deviation_seconds', 'deviation_rank', 'n_intervals', 0.5
        ) }} as interval_mad_seconds
    from ranked_deviations
    group by tenant_id, host_id, domain_level, domain, event_date
),

final as (
    select
        moments.tenant_id,
        moments.host_id,
        moments.domain_level,
        moments.domain,
        moments.event_date,
        moments.n_intervals,
        moments.interval_mean_seconds,
        moments.interval_stddev_seconds,
        moments.interval_stddev_seconds / nullif(moments.interval_mean_seconds, 0) as interval_cv,
        moments.interval_q1_seconds,
        moments.interval_median_seconds,
        moments.interval_q3_seconds,
        median_absolute_deviations.interval_mad_seconds,
        median_absolute_deviations.interval_mad_seconds
        / nullif(moments.interval_median_seconds, 0) as interval_mad_ratio,
        case
            when moments.interval_q3_seconds > moments.interval_q1_seconds
                then (
                    moments.interval_q1_seconds + moments.interval_q3_seconds
                    - 2 * moments.interval_median_seconds
                ) / (moments.interval_q3_seconds - moments.interval_q1_seconds)
            else 0.0
        end as interval_bowley_skewness
    from moments
    inner join median_absolute_deviations
        on
            moments.tenant_id = median_absolute_deviations.tenant_id
            and moments.host_id = median_absolute_deviations.host_id
            and moments.domain_level = median_absolute_deviations.domain_level
            and moments.domain = median_absolute_deviations.domain
            and moments.event_date = median_absolute_deviations.event_date
)

select * from final
