{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Beats of the pairs worth profiling, with the interval since the previous beat.
-- A day's rows include the previous day's last beat within interval_lookback_minutes - 1
-- minutes of midnight (is_lookback), so the interval crossing midnight is complete.

{%- set lookback_minutes = number_var('interval_lookback_minutes') - 1 %}
{%- set first_day = run_start_date() %}

with

beat_series as (
    select * from {{ ref('int_dns_beat_series') }}
    where {{ date_window_predicate('event_date') }}
),

-- Which names' seconds make up each profiled series, read from the analysis day and (for the
-- lookback) the day before: a name series is its own name; a registered-domain series is every
-- name under it that the host queried on either day. Names by their key, as the seconds hold
-- them.
series_names as (
    select
        tenant_id,
        host_id,
        query_name_key,
        event_date as source_date,
        event_date,
        pair_key
    from beat_series
    where domain_level = 'query_name'
    union all
    select
        tenant_id,
        host_id,
        query_name_key,
        cast(event_date - interval '1' day as date) as source_date,
        event_date,
        pair_key
    from beat_series
    where domain_level = 'query_name'
    union all
    select
        pairs.tenant_id,
        pairs.host_id,
        pairs.query_name_key,
        pairs.event_date as source_date,
        beat_series.event_date,
        beat_series.pair_key
    from {{ ref('int_dns_pairs_aggregated_to_days') }} as pairs
    inner join beat_series
        on
            pairs.tenant_id = beat_series.tenant_id
            and pairs.host_id = beat_series.host_id
            and pairs.registered_domain = beat_series.domain
            and (
                pairs.event_date = beat_series.event_date
                or pairs.event_date = cast(beat_series.event_date - interval '1' day as date)
            )
    where
        {{ date_window_predicate('pairs.event_date', lookback_days=1) }}
        and pairs.domain_level = 'query_name'
        and beat_series.domain_level = 'registered_domain'
),

-- One pass over the per-second table: each second of a series' names, from the analysis day or
-- the lookback minutes of the day before. Several names active in one second of a
-- registered-domain series give equal rows; the beat rule below keeps one of them.
key_seconds as (
    select
        series_names.event_date,
        series_names.pair_key,
        seconds.second_at
    from {{ ref('int_dns_queries_aggregated_to_seconds') }} as seconds
    inner join series_names
        on
            seconds.tenant_id = series_names.tenant_id
            and seconds.host_id = series_names.host_id
            and seconds.query_name_key = series_names.query_name_key
            and seconds.event_date = series_names.source_date
    where
        {{ date_window_predicate('seconds.event_date', lookback_days=1) }}
        {%- if first_day %}
            -- only the lookback of the day before the run: the rest of it is never joined
            and seconds.second_at >= timestamp '{{ first_day }} 00:00:00'
            - interval '{{ lookback_minutes }}' minute
        {%- endif %}
        and seconds.second_at >= cast(series_names.event_date as timestamp)
        - interval '{{ lookback_minutes }}' minute
),

second_gaps as (
    select
        *,
        {{ epoch_seconds('second_at') }} - {{ epoch_seconds(
            'lag(second_at) over (partition by event_date, pair_key order by second_at)'
        ) }} as gap_seconds
    from key_seconds
),

-- A beat is a run of seconds each at most beat_merge_seconds after the previous one (the macro
-- starts_beat): the A, AAAA and retry queries of one call-home, even when they straddle a
-- second boundary.
beats as (
    select
        event_date,
        pair_key,
        second_at as beat_at
    from second_gaps
    where {{ starts_beat('gap_seconds') }}
),

intervals as (
    select
        event_date,
        pair_key,
        beat_at,
        beat_at < cast(event_date as timestamp) as is_lookback,
        {{ epoch_seconds('beat_at') }} - {{ epoch_seconds(
            'lag(beat_at) over (partition by event_date, pair_key order by beat_at)'
        ) }} as interval_seconds,
        lead(beat_at) over (partition by event_date, pair_key order by beat_at) as next_beat_at
    from beats
),

-- Of the lookback, only the last beat before midnight is kept: the day's first interval starts
-- from it, and nothing downstream reads the others.
final as (
    select
        event_date,
        pair_key,
        beat_at,
        is_lookback,
        interval_seconds
    from intervals
    where
        not is_lookback
        or next_beat_at >= cast(event_date as timestamp)
)

select * from final
