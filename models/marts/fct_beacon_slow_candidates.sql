-- Slow beacons: a host's sparse series (too few beats a day to be a day's candidate) that is
-- regular over the slow window, slow_window_days days ending on the run's last day: at least
-- min_beats beats on slow_min_days days or more, a median interval of an hour or more
-- (slow_min_interval_median_seconds) and a MAD ratio within slow_max_interval_mad_ratio. A
-- beacon every 8 hours has 3 beats a day and 21 in a week; its intervals keep the schedule
-- over days, while a person's visits to a site over a week leave about as many intervals of
-- every length. Known-good domains are left out (a known-C2 one is a day's candidate
-- whatever its beats).

{%- set series = 'tenant_id, host_id, domain_level, domain' %}

with

beats as (
    select * from {{ ref('int_dns_slow_series_beats') }}
),

sparse_seconds as (
    select * from {{ ref('int_dns_sparse_pair_seconds') }}
),

host_activity as (
    select * from {{ ref('int_dns_host_activity') }}
),

known_good as (
    select * from {{ ref('int_known_domains') }}
    where list_name = 'known_good'
),

ranked_intervals as (
    select
        {{ series }},
        interval_seconds,
        row_number() over (partition by {{ series }} order by interval_seconds) as interval_rank,
        count(*) over (partition by {{ series }}) as n_intervals
    from beats
    where interval_seconds is not null
),

medians as (
    select
        {{ series }},
        count(*) as n_intervals,
        {{ ranked_quantile(
            'interval_seconds', 'interval_rank', 'n_intervals', 0.5
        ) }} as interval_median_seconds
    from ranked_intervals
    group by {{ series }}
),

ranked_deviations as (
    select
        ranked_intervals.tenant_id,
        ranked_intervals.host_id,
        ranked_intervals.domain_level,
        ranked_intervals.domain,
        ranked_intervals.n_intervals,
        abs(ranked_intervals.interval_seconds - medians.interval_median_seconds)
            as absolute_deviation_seconds,
        row_number() over (
            partition by
                ranked_intervals.tenant_id,
                ranked_intervals.host_id,
                ranked_intervals.domain_level,
                ranked_intervals.domain
            order by abs(ranked_intervals.interval_seconds - medians.interval_median_seconds)
        ) as deviation_rank
    from ranked_intervals
    inner join medians
        on
            ranked_intervals.tenant_id = medians.tenant_id
            and ranked_intervals.host_id = medians.host_id
            and ranked_intervals.domain_level = medians.domain_level
            and ranked_intervals.domain = medians.domain
),

deviations as (
    select
        {{ series }},
        {{ ranked_quantile(
            'absolute_deviation_seconds', 'deviation_rank', 'n_intervals', 0.5
        ) }} as interval_mad_seconds
    from ranked_deviations
    group by {{ series }}
),

series_summaries as (
    select
        {{ series }},
        max(registered_domain) as registered_domain,
        min(window_start_date) as window_start_date,
        max(window_end_date) as window_end_date,
        count(*) as n_beats,
        count(distinct event_date) as n_days,
        min(beat_at) as first_beat_at,
        max(beat_at) as last_beat_at
    from beats
    group by {{ series }}
),

slow_series as (
    select
        series_summaries.*,
        medians.interval_median_seconds,
        deviations.interval_mad_seconds
        / nullif(medians.interval_median_seconds, 0) as interval_mad_ratio
    from series_summaries
    inner join medians
        on
            series_summaries.tenant_id = medians.tenant_id
            and series_summaries.host_id = medians.host_id
            and series_summaries.domain_level = medians.domain_level
            and series_summaries.domain = medians.domain
    inner join deviations
        on
            series_summaries.tenant_id = deviations.tenant_id
            and series_summaries.host_id = deviations.host_id
            and series_summaries.domain_level = deviations.domain_level
            and series_summaries.domain = deviations.domain
    where
        series_summaries.n_beats >= {{ number_var('min_beats') }}
        and series_summaries.n_days >= {{ number_var('slow_min_days') }}
        and medians.interval_median_seconds >= {{ number_var('slow_min_interval_median_seconds') }}
        and deviations.interval_mad_seconds
        <= {{ number_var('slow_max_interval_mad_ratio') }} * medians.interval_median_seconds
        and not exists (
            select 1 as is_listed from known_good
            where {{ listed_domain_matches(
                'series_summaries.domain', 'series_summaries.registered_domain', 'known_good'
            ) }}
        )
),

-- query counts and prevalence over the window, from the days' sparse rows
series_counts as (
    select
        slow_series.tenant_id,
        slow_series.host_id,
        slow_series.domain_level,
        slow_series.domain,
        count(distinct sparse_seconds.query_name) as n_query_names,
        cast(sum(sparse_seconds.n_queries) as bigint) as n_queries,
        cast(sum(sparse_seconds.n_nxdomain) as bigint) as n_nxdomain,
        max(sparse_seconds.domain_n_hosts) as domain_n_hosts,
        max(sparse_seconds.n_tenant_hosts) as n_tenant_hosts
    from slow_series
    inner join sparse_seconds
        on
            slow_series.tenant_id = sparse_seconds.tenant_id
            and slow_series.host_id = sparse_seconds.host_id
            and (
                (slow_series.domain_level = 'query_name' and slow_series.domain = sparse_seconds.query_name)
                or (
                    slow_series.domain_level = 'registered_domain'
                    and slow_series.domain = sparse_seconds.registered_domain
                )
            )
            and sparse_seconds.event_date between slow_series.window_start_date
            and slow_series.window_end_date
    group by
        slow_series.tenant_id,
        slow_series.host_id,
        slow_series.domain_level,
        slow_series.domain
),

-- company as judged day by day in int_dns_sparse_pair_seconds
company as (
    select
        beats.tenant_id,
        beats.host_id,
        beats.domain_level,
        beats.domain,
        count(*) as n_company_probe_beats,
        cast(sum(beats.has_company) as bigint) as n_company_beats
    from beats
    inner join slow_series
        on
            beats.tenant_id = slow_series.tenant_id
            and beats.host_id = slow_series.host_id
            and beats.domain_level = slow_series.domain_level
            and beats.domain = slow_series.domain
    group by beats.tenant_id, beats.host_id, beats.domain_level, beats.domain
),

series_activity as (
    select
        slow_series.tenant_id,
        slow_series.host_id,
        slow_series.domain_level,
        slow_series.domain,
        sum(host_activity.host_active_seconds) as host_active_seconds,
        sum(host_activity.n_answered_seconds) as n_answered_seconds
    from slow_series
    inner join host_activity
        on
            slow_series.tenant_id = host_activity.tenant_id
            and slow_series.host_id = host_activity.host_id
            and host_activity.event_date between slow_series.window_start_date
            and slow_series.window_end_date
    group by
        slow_series.tenant_id,
        slow_series.host_id,
        slow_series.domain_level,
        slow_series.domain
),

final as (
    select
        slow_series.tenant_id,
        slow_series.host_id,
        slow_series.domain_level,
        slow_series.domain,
        slow_series.registered_domain,
        slow_series.window_end_date as event_date,
        slow_series.window_start_date,
        slow_series.n_beats,
        slow_series.n_days,
        slow_series.first_beat_at,
        slow_series.last_beat_at,
        slow_series.interval_median_seconds,
        slow_series.interval_mad_ratio,
        series_counts.n_query_names,
        series_counts.n_queries,
        series_counts.n_nxdomain,
        series_counts.domain_n_hosts,
        series_counts.n_tenant_hosts,
        series_activity.host_active_seconds,
        company.n_company_probe_beats,
        company.n_company_beats,
        {{ host_company_rate('series_activity') }} as host_company_rate
    from slow_series
    inner join series_counts
        on
            slow_series.tenant_id = series_counts.tenant_id
            and slow_series.host_id = series_counts.host_id
            and slow_series.domain_level = series_counts.domain_level
            and slow_series.domain = series_counts.domain
    inner join series_activity
        on
            slow_series.tenant_id = series_activity.tenant_id
            and slow_series.host_id = series_activity.host_id
            and slow_series.domain_level = series_activity.domain_level
            and slow_series.domain = series_activity.domain
    left join company
        on
            slow_series.tenant_id = company.tenant_id
            and slow_series.host_id = company.host_id
            and slow_series.domain_level = company.domain_level
            and slow_series.domain = company.domain
)

select * from final
