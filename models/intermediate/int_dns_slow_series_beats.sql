-- The beats of the slow window's sparse series: the slow_window_days days ending on the run's
-- last day. A series is a host's name, or its registered domain when it queried two or more
-- names under it in the window (a fresh subdomain per call-home repeats only there). Only
-- series that can still become slow candidates (min_beats distinct seconds on slow_min_days
-- days or more) get beats, merged as a pair's are (var beat_merge_seconds).

{%- set series = 'tenant_id, host_id, domain_level, domain' %}

with

sparse_seconds as (
    select * from {{ ref('int_dns_sparse_pair_seconds') }}
    where {{ date_window_predicate(
        'event_date', lookback_days=number_var('slow_window_days') - 1, incremental=false
    ) }}
),

window_end as (
    select max(event_date) as window_end_date from sparse_seconds
),

windowed_seconds as (
    select sparse_seconds.*
    from sparse_seconds
    cross join window_end
    where
        sparse_seconds.event_date > cast(
            window_end.window_end_date - interval '{{ number_var('slow_window_days') }}' day as date
        )
),

-- the window's days: slow_window_days, or fewer when the history is shorter
slow_window as (
    select
        min(event_date) as window_start_date,
        max(event_date) as window_end_date
    from windowed_seconds
),

registered_series as (
    select
        tenant_id,
        host_id,
        registered_domain
    from windowed_seconds
    group by tenant_id, host_id, registered_domain
    having count(distinct query_name) > 1
),

series_seconds as (
    select
        tenant_id,
        host_id,
        'query_name' as domain_level,
        query_name as domain,
        registered_domain,
        event_date,
        second_at,
        has_company
    from windowed_seconds
    union all
    select
        windowed_seconds.tenant_id,
        windowed_seconds.host_id,
        'registered_domain' as domain_level,
        windowed_seconds.registered_domain as domain,
        windowed_seconds.registered_domain,
        windowed_seconds.event_date,
        windowed_seconds.second_at,
        windowed_seconds.has_company
    from windowed_seconds
    inner join registered_series
        on
            windowed_seconds.tenant_id = registered_series.tenant_id
            and windowed_seconds.host_id = registered_series.host_id
            and windowed_seconds.registered_domain = registered_series.registered_domain
),

promising_series as (
    select {{ series }}
    from series_seconds
    group by {{ series }}
    having
        count(distinct second_at) >= {{ number_var('min_beats') }}
        and count(distinct event_date) >= {{ number_var('slow_min_days') }}
),

promising_seconds as (
    select series_seconds.*
    from series_seconds
    inner join promising_series
        on
            series_seconds.tenant_id = promising_series.tenant_id
            and series_seconds.host_id = promising_series.host_id
            and series_seconds.domain_level = promising_series.domain_level
            and series_seconds.domain = promising_series.domain
),

second_gaps as (
    select
        *,
        {{ epoch_seconds('second_at') }} - {{ epoch_seconds(
            'lag(second_at) over (partition by ' ~ series ~ ' order by second_at)'
        ) }} as gap_seconds
    from promising_seconds
),

-- a repeated second (two names of a registered-domain series) has a gap of 0: one beat
beats as (
    select
        {{ series }},
        registered_domain,
        event_date,
        second_at as beat_at,
        has_company
    from second_gaps
    where {{ starts_beat('gap_seconds') }}
),

final as (
    select
        beats.tenant_id,
        beats.host_id,
        beats.domain_level,
        beats.domain,
        beats.registered_domain,
        beats.event_date,
        beats.beat_at,
        beats.has_company,
        {{ epoch_seconds('beats.beat_at') }} - {{ epoch_seconds(
            'lag(beats.beat_at) over (partition by ' ~ series ~ ' order by beats.beat_at)'
        ) }} as interval_seconds,
        slow_window.window_start_date,
        slow_window.window_end_date
    from beats
    cross join slow_window
)

select * from final
