{{ config(materialized='table', pre_hook="{{ ensure_findings_table() }}") }}

-- Confirmed beacons for BI tools: the confirmation step's scores with their known-list labels,
-- ranked within each tenant and window. Built after the candidates they were confirmed from:
-- depends_on: {{ ref('fct_beacon_candidates') }}

with

findings as (
    select * from {{ beaconlake.confirmation_rows() }}
),

confirmed as (
    select * from findings
    where is_confirmed
),

-- a row confirmed before the confirmation named beacons is its registered domain's beacon
keyed as (
    select
        *,
        coalesce(beacon_kind, 'domain') as known_beacon_kind,
        coalesce(beacon_key, registered_domain, domain) as known_beacon_key
    from confirmed
),

final as (
    select
        {{ stable_id([
            'cast(window_start as date)', 'cast(window_end as date)', 'tenant_id', 'host_id',
            'domain_level', 'domain'
        ]) }} as finding_id,
        {{ stable_id(['tenant_id', 'host_id', 'known_beacon_key']) }} as incident_id,
        window_start,
        window_end,
        tenant_id,
        host_id,
        domain_level,
        domain,
        registered_domain,
        known_beacon_kind as beacon_kind,
        known_beacon_key as beacon_key,
        period_seconds,
        jitter,
        events,
        beats,
        score,
        severity,
        {{ severity_rank('severity') }} as severity_rank,
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
    from keyed
)

select * from final
