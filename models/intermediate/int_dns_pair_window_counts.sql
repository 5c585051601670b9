{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The field report's method: beats counted in a window of count_window_minutes sliding by one
-- minute, over every window that fits inside the pair's observed span (first to last active
-- minute, lookback included), empty minutes included; then the mean and the population standard
-- deviation of those counts. Computed exactly without a dense series: the count is a step
-- function of the window start that changes only where a beat enters (minute - W + 1) or
-- leaves (minute + 1), so one running sum over those breakpoints gives every window's count.
-- One sort serves every window function below (same partition and order); breakpoints that
-- share a start are summed by the RANGE frame, and only the last of them opens a segment.

{%- set window_minutes = var('count_window_minutes') %}
{%- set pair_window = 'partition by event_date, pair_key order by window_start' %}

with

breakpoints as (
    select
        event_date,
        pair_key,
        cast(floor({{ epoch_seconds('minute_at') }} / 60) as bigint) - {{ window_minutes }} + 1 as window_start,
        n_beats as count_change
    from {{ ref('int_dns_queries_aggregated_to_minutes') }}
    where {{ date_window_predicate('event_date') }}
    union all
    select
        event_date,
        pair_key,
        cast(floor({{ epoch_seconds('minute_at') }} / 60) as bigint) + 1 as window_start,
        -n_beats as count_change
    from {{ ref('int_dns_queries_aggregated_to_minutes') }}
    where {{ date_window_predicate('event_date') }}
),

-- The earliest breakpoint is the first minute's entry, the latest the last minute's exit.
segments as (
    select
        event_date,
        pair_key,
        window_start,
        sum(count_change) over (
            {{ pair_window }}
            range between unbounded preceding and current row
        ) as window_count,
        lead(window_start) over ({{ pair_window }}) as next_window_start,
        min(window_start) over (
            {{ pair_window }}
            rows between unbounded preceding and unbounded following
        ) + {{ window_minutes }} - 1 as first_window_start,
        max(window_start) over (
            {{ pair_window }}
            rows between unbounded preceding and unbounded following
        ) - {{ window_minutes }} as last_window_start
    from breakpoints
),

clipped_segments as (
    select
        event_date,
        pair_key,
        last_window_start - first_window_start + 1 as n_windows,
        cast(window_count as double) as window_count,
        case
            when next_window_start - 1 < last_window_start
                then next_window_start - 1
            else last_window_start
        end
        - case
            when window_start > first_window_start then window_start
            else first_window_start
        end + 1 as n_steps
    from segments
    where
        next_window_start is not null
        and last_window_start >= first_window_start
),

sums as (
    select
        event_date,
        pair_key,
        min(n_windows) as n_windows,
        sum(window_count * n_steps) / min(n_windows) as window_count_mean,
        sum(window_count * window_count * n_steps) / min(n_windows) as window_count_square_mean
    from clipped_segments
    where n_steps > 0
    group by event_date, pair_key
),

spreads as (
    select
        event_date,
        pair_key,
        n_windows,
        window_count_mean,
        sqrt(
            case
                when window_count_square_mean > window_count_mean * window_count_mean
                    then window_count_square_mean - window_count_mean * window_count_mean
                else 0.0
            end
        ) as window_count_stddev
    from sums
),

final as (
    select
        *,
        window_count_stddev / nullif(window_count_mean, 0) as window_count_cv
    from spreads
)

select * from final
