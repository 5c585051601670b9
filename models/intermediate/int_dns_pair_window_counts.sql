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

{%- set window_minutes = var('count_window_minutes') %}

with

minutes as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        n_beats,
        cast(floor({{ epoch_seconds('minute_at') }} / 60) as bigint) as minute_number
    from {{ ref('int_dns_queries_aggregated_to_minutes') }}
    where {{ date_window_predicate('event_date') }}
),

spans as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        min(minute_number) as first_window_start,
        max(minute_number) - {{ window_minutes }} + 1 as last_window_start
    from minutes
    group by tenant_id, host_id, domain_level, domain, event_date
    having max(minute_number) - min(minute_number) + 1 >= {{ window_minutes }}
),

breakpoints as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        minute_number - {{ window_minutes }} + 1 as window_start,
        n_beats as count_change
    from minutes
    union all
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        minute_number + 1 as window_start,
        -n_beats as count_change
    from minutes
),

merged_breakpoints as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        window_start,
        sum(count_change) as count_change
    from breakpoints
    group by tenant_id, host_id, domain_level, domain, event_date, window_start
),

segments as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        window_start,
        sum(count_change) over (
            partition by tenant_id, host_id, domain_level, domain, event_date
            order by window_start
            rows between unbounded preceding and current row
        ) as window_count,
        lead(window_start) over (
            partition by tenant_id, host_id, domain_level, domain, event_date
            order by window_start
        ) as next_window_start
    from merged_breakpoints
),

clipped_segments as (
    select
        spans.tenant_id,
        spans.host_id,
        spans.domain_level,
        spans.domain,
        spans.event_date,
        spans.last_window_start - spans.first_window_start + 1 as n_windows,
        cast(segments.window_count as double) as window_count,
        case
            when segments.next_window_start - 1 < spans.last_window_start
                then segments.next_window_start - 1
            else spans.last_window_start
        end
        - case
            when segments.window_start > spans.first_window_start then segments.window_start
            else spans.first_window_start
        end + 1 as n_steps
    from segments
    inner join spans
        on
            segments.tenant_id = spans.tenant_id
            and segments.host_id = spans.host_id
            and segments.domain_level = spans.domain_level
            and segments.domain = spans.domain
            and segments.event_date = spans.event_date
    where segments.next_window_start is not null
),

sums as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        min(n_windows) as n_windows,
        sum(window_count * n_steps) / min(n_windows) as window_count_mean,
        sum(window_count * window_count * n_steps) / min(n_windows) as window_count_square_mean
    from clipped_segments
    where n_steps > 0
    group by tenant_id, host_id, domain_level, domain, event_date
),

spreads as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
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
