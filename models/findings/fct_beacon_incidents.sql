-- One row per beacon on a host, across every window it was confirmed in: a registered domain
-- (both domain levels of it), a rotation group or a campaign's domain on one host. Its id is
-- a hash of (tenant, host, beacon key), so re-running a window, overlapping windows and
-- building day by day give the same incidents. The analysts' verdicts (int_triage_decisions)
-- set its status; a malicious one raises it to critical.

with

findings as (
    select * from {{ ref('fct_beacon_findings') }}
),

decisions as (
    select * from {{ ref('int_triage_decisions') }}
    where problem is null and not is_expired
),

-- the finding that speaks for an incident in a window: most severe, then best scored, the
-- registered domain before a query name
window_representatives as (
    select
        *,
        row_number() over (
            partition by incident_id, window_start, window_end
            order by severity_rank desc, score desc, domain_level desc, domain asc
        ) as rank_in_window
    from findings
),

incident_windows as (
    select
        *,
        lag(severity_rank) over (
            partition by incident_id order by window_end asc, window_start asc
        ) as previous_severity_rank,
        row_number() over (
            partition by incident_id order by window_end desc, window_start desc
        ) as recency
    from window_representatives
    where rank_in_window = 1
),

latest as (
    select * from incident_windows
    where recency = 1
),

rolled_up as (
    select
        incident_id,
        min(window_start) as first_seen_at,
        max(window_end) as last_seen_at,
        min(
            case
                when severity_rank >= {{ number_var('alert_min_severity_rank') }} then window_start
            end
        ) as first_alerted_at,
        count(distinct finding_id) as n_findings,
        max(severity_rank) as max_severity_rank,
        max(score) as max_score,
        max(case when is_known_c2 then 1 else 0 end) = 1 as is_known_c2,
        max(known_c2_family) as known_c2_family,
        {{ distinct_list('domain') }} as domains,
        {{ distinct_list('finding_id') }} as finding_ids
    from findings
    group by incident_id
),

windows_seen as (
    select
        incident_id,
        count(*) as n_windows
    from incident_windows
    group by incident_id
),

beacon_hosts as (
    select
        tenant_id,
        beacon_key,
        count(distinct host_id) as n_beacon_hosts
    from findings
    group by tenant_id, beacon_key
),

-- every active verdict whose scope covers one of the incident's findings
matched_decisions as (
    select distinct
        findings.incident_id,
        decisions.decision_id,
        decisions.verdict,
        decisions.expires_on,
        decisions.decided_by,
        decisions.decided_at,
        decisions.note,
        decisions.specificity
    from findings
    inner join decisions
        on
            (decisions.tenant_id is null or findings.tenant_id = decisions.tenant_id)
            and (decisions.host_id is null or findings.host_id = decisions.host_id)
            and (
                decisions.domain is null
                or decisions.domain in (findings.domain, findings.registered_domain)
                or (
                    decisions.include_subdomains
                    and substr(
                        findings.domain, length(findings.domain) - length(decisions.domain)
                    ) = '.' || decisions.domain
                )
            )
),

verdicts as (
    select
        *,
        row_number() over (
            partition by incident_id
            order by specificity desc, decided_at desc, decision_id asc
        ) as verdict_rank
    from matched_decisions
),

joined as (
    select
        latest.incident_id,
        latest.tenant_id,
        latest.host_id,
        latest.beacon_kind,
        latest.beacon_key,
        rolled_up.domains,
        beacon_hosts.n_beacon_hosts,
        rolled_up.first_seen_at,
        rolled_up.last_seen_at,
        rolled_up.first_alerted_at,
        windows_seen.n_windows,
        rolled_up.n_findings,
        latest.window_start as latest_window_start,
        latest.window_end as latest_window_end,
        latest.severity as detected_severity,
        latest.severity_rank as detected_severity_rank,
        latest.previous_severity_rank,
        rolled_up.max_severity_rank,
        latest.score,
        rolled_up.max_score,
        latest.period_seconds,
        latest.jitter,
        latest.beats,
        latest.events,
        latest.reason,
        latest.attack_techniques,
        rolled_up.is_known_c2,
        rolled_up.known_c2_family,
        rolled_up.finding_ids,
        verdicts.decision_id as triage_decision_id,
        verdicts.verdict as triage_verdict,
        verdicts.expires_on as triage_expires_on,
        verdicts.decided_by as triage_decided_by,
        verdicts.decided_at as triage_decided_at,
        verdicts.note as triage_note
    from latest
    inner join rolled_up on latest.incident_id = rolled_up.incident_id
    inner join windows_seen on latest.incident_id = windows_seen.incident_id
    inner join beacon_hosts
        on
            latest.tenant_id = beacon_hosts.tenant_id
            and latest.beacon_key = beacon_hosts.beacon_key
    left join verdicts
        on
            latest.incident_id = verdicts.incident_id
            and verdicts.verdict_rank = 1
),

final as (
    select
        *,
        case
            when triage_verdict = 'malicious' then {{ severity_name(-1) }}
            else detected_severity
        end as severity,
        case
            when triage_verdict = 'malicious' then {{ top_severity_rank() }}
            else detected_severity_rank
        end as severity_rank,
        case
            when triage_verdict is not null then triage_verdict
            when n_windows = 1 then 'new'
            when detected_severity_rank > previous_severity_rank then 'changed'
            else 'open'
        end as status,
        coalesce(triage_verdict, 'open') not in ('benign', 'snoozed') as is_open
    from joined
)

select * from final
