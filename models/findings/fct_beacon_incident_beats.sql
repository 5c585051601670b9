-- The evidence behind every incident at the alert severity or above (open, or closed by a
-- verdict): the beat times of the series that confirmed it in its latest window (a rotation's
-- members, each by name; a slow beacon's over its slow window), for a timeline, an interval
-- histogram and an autocorrelation in the report.

with

alerts as (
    select * from {{ ref('fct_beacon_incidents') }}
    where severity_rank >= {{ number_var('alert_min_severity_rank') }}
),

findings as (
    select * from {{ ref('fct_beacon_findings') }}
),

-- the latest window's findings of each such incident, at one domain level: the registered
-- domain's series where there is one (its beats include every name under it)
latest_findings as (
    select
        findings.incident_id,
        findings.tenant_id,
        findings.host_id,
        findings.domain_level,
        findings.domain,
        findings.beacon_kind,
        findings.window_start,
        findings.window_end,
        max(findings.domain_level) over (partition by findings.incident_id) as shown_level
    from findings
    inner join alerts
        on
            findings.incident_id = alerts.incident_id
            and findings.window_start = alerts.latest_window_start
            and findings.window_end = alerts.latest_window_end
),

series as (
    select * from latest_findings
    where domain_level = shown_level
),

pair_beats as (
    select
        series.incident_id,
        series.domain,
        beats.beat_at
    from {{ ref('fct_beacon_candidate_beats') }} as beats
    inner join series
        on
            beats.tenant_id = series.tenant_id
            and beats.host_id = series.host_id
            and beats.domain_level = series.domain_level
            and beats.domain = series.domain
            and beats.event_date >= cast(series.window_start as date)
            and beats.event_date < cast(series.window_end as date)
    where not beats.is_lookback
),

rotation_beats as (
    select
        series.incident_id,
        series.domain,
        beats.beat_at
    from {{ ref('fct_beacon_rotation_beats') }} as beats
    inner join series
        on
            beats.tenant_id = series.tenant_id
            and beats.host_id = series.host_id
            and beats.domain = series.domain
            and beats.event_date >= cast(series.window_start as date)
            and beats.event_date < cast(series.window_end as date)
    where series.domain_level = 'registered_domain'
),

slow_beats as (
    select
        series.incident_id,
        series.domain,
        beats.beat_at
    from {{ ref('fct_beacon_slow_beats') }} as beats
    inner join series
        on
            beats.tenant_id = series.tenant_id
            and beats.host_id = series.host_id
            and beats.domain_level = series.domain_level
            and beats.domain = series.domain
            and beats.event_date >= cast(series.window_start as date)
            and beats.event_date < cast(series.window_end as date)
    where series.beacon_kind = 'slow'
),

all_beats as (
    select * from pair_beats
    union all
    select * from rotation_beats
    union all
    select * from slow_beats
),

final as (
    select distinct
        incident_id,
        domain,
        beat_at
    from all_beats
)

select * from final
