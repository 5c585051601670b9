{{ config(materialized='view') }}

-- Every analyst verdict, from the seed (kept in version control) and from `beaconlake triage`
-- (the warehouse table), its scope normalised and what keeps it from applying: problem is null
-- for a verdict that applies, else why not. Nothing is dropped; fct_triage_audit shows it all.
-- Expiry is judged on var triage_as_of, by default the day of the build.

{%- set as_of_day = date_var('triage_as_of') %}
{%- set as_of = "date '" ~ as_of_day ~ "'" if as_of_day else 'current_date' %}

with

seeded as (
    select
        'seed' as decision_source,
        *
    from {{ ref('triage_decisions') }}
),

entered as (
    select
        'beaconlake triage' as decision_source,
        *
    from {{ source('triage', 'triage_decisions_entered') }}
),

decisions as (
    select * from seeded
    union all
    select * from entered
),

normalised as (
    select
        decision_source,
        nullif(trim(tenant_id), '') as tenant_id,
        nullif(trim(host_id), '') as host_id,
        nullif(rtrim(lower(trim(domain)), '.'), '') as domain,
        coalesce(include_subdomains, false) as include_subdomains,
        lower(trim(verdict)) as verdict,
        expires_on,
        decided_by,
        decided_at,
        note
    from decisions
),

final as (
    select
        {{ stable_id([
            'decision_source', 'tenant_id', 'host_id', 'domain', 'include_subdomains', 'verdict',
            'expires_on', 'decided_by', 'decided_at', 'note'
        ]) }} as decision_id,
        *,
        case
            when verdict is null or verdict not in ('benign', 'malicious', 'snoozed')
                then 'unknown_verdict'
            when tenant_id is null and host_id is null and domain is null then 'no_scope'
            when verdict = 'snoozed' and expires_on is null then 'snooze_without_end'
            when decided_at is null then 'no_decision_time'
        end as problem,
        coalesce(expires_on <= {{ as_of }}, false) as is_expired,
        -- the more of tenant, host and domain it names (an exact domain over its subdomains),
        -- the more specific: the most specific verdict that matches an incident is its verdict
        (case when tenant_id is null then 0 else 1 end)
        + (case when host_id is null then 0 else 2 end)
        + (case when domain is null then 0 when include_subdomains then 3 else 4 end)
            as specificity
    from normalised
)

select * from final
