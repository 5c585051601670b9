{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Beats of the pairs worth profiling, with the interval since the previous beat.
-- A day's rows include the last count_window_minutes - 1 minutes of the previous day
-- (is_lookback), so windows and intervals crossing midnight are complete.

{%- set lookback_minutes = var('count_window_minutes') - 1 %}

with

pairs as (
    select * from {{ ref('int_dns_pairs_aggregated_to_days') }}
    where {{ date_window_predicate('event_date') }}
),

known_c2 as (
    select * from {{ ref('int_known_domains') }}
    where list_name = 'known_c2'
),

profiled_pairs as (
    select
        pairs.tenant_id,
        pairs.host_id,
        pairs.domain_level,
        pairs.domain,
        pairs.event_date
    from pairs
    where
        pairs.n_beats >= {{ var('min_beats') }}
        or exists (
            select 1 as is_listed from known_c2
            where {{ listed_domain_matches('pairs.domain', 'pairs.registered_domain', 'known_c2') }}
        )
),

seconds as (
    select * from {{ ref('int_dns_queries_aggregated_to_seconds') }}
    where {{ date_window_predicate('event_date', lookback_days=1) }}
),

-- Each second belongs to its own day and, near midnight, also to the next day's lookback.
seconds_by_day as (
    select
        *,
        event_date as analysis_date
    from seconds
    union all
    select
        *,
        cast(event_date + interval '1' day as date) as analysis_date
    from seconds
    where
        second_at >= cast(cast(event_date + interval '1' day as date) as timestamp)
        - interval '{{ lookback_minutes }}' minute
),

name_level_seconds as (
    select
        seconds_by_day.tenant_id,
        seconds_by_day.host_id,
        'query_name' as domain_level,
        seconds_by_day.query_name as domain,
        seconds_by_day.analysis_date as event_date,
        seconds_by_day.second_at
    from seconds_by_day
    inner join profiled_pairs
        on
            seconds_by_day.tenant_id = profiled_pairs.tenant_id
            and seconds_by_day.host_id = profiled_pairs.host_id
            and seconds_by_day.query_name = profiled_pairs.domain
            and seconds_by_day.analysis_date = profiled_pairs.event_date
            and profiled_pairs.domain_level = 'query_name'
),

registered_level_seconds as (
    select
        seconds_by_day.tenant_id,
        seconds_by_day.host_id,
        'registered_domain' as domain_level,
        seconds_by_day.registered_domain as domain,
        seconds_by_day.analysis_date as event_date,
        seconds_by_day.second_at
    from seconds_by_day
    inner join profiled_pairs
        on
            seconds_by_day.tenant_id = profiled_pairs.tenant_id
            and seconds_by_day.host_id = profiled_pairs.host_id
            and seconds_by_day.registered_domain = profiled_pairs.domain
            and seconds_by_day.analysis_date = profiled_pairs.event_date
            and profiled_pairs.domain_level = 'registered_domain'
    group by
        seconds_by_day.tenant_id,
        seconds_by_day.host_id,
        seconds_by_day.registered_domain,
        seconds_by_day.analysis_date,
        seconds_by_day.second_at
),

key_seconds as (
    select * from name_level_seconds
    union all
    select * from registered_level_seconds
),

second_gaps as (
    select
        *,
        {{ epoch_seconds('second_at') }} - {{ epoch_seconds(
            'lag(second_at) over (partition by tenant_id, host_id, domain_level, domain, event_date order by second_at)'
        ) }} as gap_seconds
    from key_seconds
),

-- A beat is a run of seconds each at most beat_merge_seconds after the previous one: the A,
-- AAAA and retry queries of one call-home, even when they straddle a second boundary.
beats as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        second_at as beat_at
    from second_gaps
    where gap_seconds is null or gap_seconds > {{ var('beat_merge_seconds') }}
),

final as (
    select
        tenant_id,
        host_id,
        domain_level,
        domain,
        event_date,
        beat_at,
        beat_at < cast(event_date as timestamp) as is_lookback,
        {{ epoch_seconds('beat_at') }} - {{ epoch_seconds(
            'lag(beat_at) over (partition by tenant_id, host_id, domain_level, domain, event_date order by beat_at)'
        ) }} as interval_seconds
    from beats
)

select * from final
where {{ date_window_predicate('event_date') }}
