{{ config(materialized='table', pre_hook="{{ ensure_findings_table() }}") }}

-- Confirmed beacons for BI tools: the confirmation step's scores with their known-list labels,
-- ranked within each tenant and window. Built after the candidates they were confirmed from:
-- depends_on: {{ ref('fct_beacon_candidates') }}

with

findings as (
    select * from {{ beaconlake.confirmation_rows() }}
),

-- a row confirmed before the confirmation named beacons is its registered domain's beacon
confirmed as (
    select
        window_start,
        window_end,
        tenant_id,
        host_id,
        domain_level,
        domain,
        registered_domain,
        coalesce(beacon_kind, 'domain') as beacon_kind,
        coalesce(beacon_key, registered_domain, domain) as beacon_key,
        period_seconds,
        jitter,
        events,
        beats,
        score,
        severity,
        reason,
        periodicity_score,
        renewal_score,
        interval_score,
        spectral_score,
        acf_score,
        seasonal_strength,
        continuity,
        coverage,
        missing_share,
        rarity,
        domain_hosts,
        tenant_hosts,
        first_seen_at,
        known_c2_family,
        known_good_reason,
        attack_techniques,
        confirmed_at
    from findings
    where is_confirmed
),

final as (
    select
        {{ stable_id([
            'cast(window_start as date)', 'cast(window_end as date)', 'tenant_id', 'host_id',
            'domain_level', 'domain'
        ]) }} as finding_id,
        {{ stable_id(['tenant_id', 'host_id', 'beacon_key']) }} as incident_id,
        window_start,
        window_end,
        tenant_id,
        host_id,
        domain_level,
        domain,
        registered_domain,
        beacon_kind,
        beacon_key,
        period_seconds,
        jitter,
        events,
        beats,
        score,
        severity,
        case severity
            when 'critical' then 4
            when 'high' then 3
            when 'medium' then 2
            when 'low' then 1
            else 0
        end as severity_rank,
        reason,
        periodicity_score,
        renewal_score,
        interval_score,
        spectral_score,
        acf_score,
        seasonal_strength,
        continuity,
        coverage,
        missing_share,
        rarity,
        domain_hosts,
        tenant_hosts,
        first_seen_at,
        known_c2_family,
        known_good_reason,
        known_c2_family is not null as is_known_c2,
        known_good_reason is not null as is_known_good,
        attack_techniques,
        confirmed_at,
        row_number() over (
            partition by tenant_id, window_start, window_end
            order by score desc, host_id asc, domain asc, domain_level asc
        ) as rank_in_tenant
    from confirmed
)

select * from final
