-- Every analyst verdict ever given, as an audit trail: where it came from, who gave it, why,
-- whether it applies today and the incidents whose status it sets now. state: applied,
-- governs_nothing (no incident matches, or a more specific verdict governs them), expired, or
-- invalid: <problem>.

with

decisions as (
    select * from {{ ref('int_triage_decisions') }}
),

incidents as (
    select * from {{ ref('fct_beacon_incidents') }}
),

governed as (
    select
        triage_decision_id as decision_id,
        count(*) as n_incidents,
        {{ distinct_list('incident_id') }} as incident_ids
    from incidents
    where triage_decision_id is not null
    group by triage_decision_id
),

final as (
    select
        decisions.decision_id,
        decisions.decision_source,
        decisions.tenant_id,
        decisions.host_id,
        decisions.domain,
        decisions.include_subdomains,
        decisions.verdict,
        decisions.expires_on,
        decisions.decided_by,
        decisions.decided_at,
        decisions.note,
        decisions.specificity,
        case
            when decisions.problem is not null then 'invalid: ' || decisions.problem
            when decisions.is_expired then 'expired'
            when governed.n_incidents > 0 then 'applied'
            else 'not_matching'
        end as state,
        coalesce(governed.n_incidents, 0) as n_incidents,
        governed.incident_ids
    from decisions
    left join governed on decisions.decision_id = governed.decision_id
)

select * from final
