{{ config(materialized='view') }}

-- The analyst's queue: open incidents (no benign verdict, not snoozed) at or above the alert
-- severity, those new or changed in their latest window first, then the most severe and best
-- scored; at most alert_budget_per_tenant_day per tenant and day its latest windows cover.

with

incidents as (
    select * from {{ ref('fct_beacon_incidents') }}
    where
        is_open
        and severity_rank >= {{ number_var('alert_min_severity_rank') }}
),

queued as (
    select
        *,
        greatest(1, date_diff('day', latest_window_start, latest_window_end)) as window_days,
        row_number() over (
            partition by tenant_id
            order by
                case when status in ('new', 'changed') then 0 else 1 end asc,
                severity_rank desc,
                score desc,
                host_id asc,
                beacon_key asc
        ) as alert_rank
    from incidents
),

budgets as (
    select
        tenant_id,
        {{ number_var('alert_budget_per_tenant_day') }} * max(window_days) as alert_budget
    from queued
    group by tenant_id
),

final as (
    select queued.*
    from queued
    inner join budgets on queued.tenant_id = budgets.tenant_id
    where queued.alert_rank <= budgets.alert_budget
)

select * from final
