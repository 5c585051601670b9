{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Inter-arrival statistics of each profiled pair and day, over the intervals that end that day
-- (the first may start in the lookback). Robust ones (median, MAD, Bowley) resist the long gaps
-- of missing beats and the short ones of bursts. Quantiles are exact (macro ranked_quantile:
-- read off ranks from a sort, or DuckDB's own exact quantile, which skips the sort).

with

{%- set pair_day = 'event_date, pair_key' %}

ranked_intervals as (
    select
        event_date,
        pair_key,
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
        event_date,
        pair_key,
        count(*) as n_intervals,
        avg(interval_seconds) as interval_mean_seconds,
        stddev_samp(interval_seconds) as interval_stddev_seconds,
        {{ ranked_quantile('interval_seconds', 'interval_rank', 'n_intervals', 0.25) }} as interval_q1_seconds,
        {{ ranked_quantile('interval_seconds', 'interval_rank', 'n_intervals', 0.5) }} as interval_median_seconds,
        {{ ranked_quantile('interval_seconds', 'interval_rank', 'n_intervals', 0.75) }} as interval_q3_seconds
    from ranked_intervals
    group by event_date, pair_key
),

-- The intervals are read again rather than through a shared CTE, which DuckDB would materialise.
ranked_deviations as (
    select
        intervals.event_date,
        intervals.pair_key,
        abs(intervals.interval_seconds - moments.interval_median_seconds) as absolute_deviation_seconds,
        row_number() over (
            partition by intervals.event_date, intervals.pair_key
            order by abs(intervals.interval_seconds - moments.interval_median_seconds)
        ) as deviation_rank,
        moments.n_intervals
    from {{ ref('int_dns_beat_intervals') }} as intervals
    inner join moments
        on
            intervals.event_date = moments.event_date
            and intervals.pair_key = moments.pair_key
    where
        not intervals.is_lookback
        and intervals.interval_seconds is not null
        and {{ date_window_predicate('intervals.event_date') }}
),

median_absolute_deviations as (
    select
        event_date,
        pair_key,
        {{ ranked_quantile(
            'absolute_deviation_seconds', 'deviation_rank', 'n_intervals', 0.5
        ) }} as interval_mad_seconds
    from ranked_deviations
    group by event_date, pair_key
),

final as (
    select
        moments.event_date,
        moments.pair_key,
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
            moments.event_date = median_absolute_deviations.event_date
            and moments.pair_key = median_absolute_deviations.pair_key
)

select * from final
