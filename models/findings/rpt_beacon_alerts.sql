{{ config(materialized='view') }}

-- The analyst's queue: confirmed findings at or above the alert severity, most severe first,
-- at most `alert_budget_per_tenant_day` per tenant and analysis day (a window of several days
-- gets that many alerts per day it covers; the best-ranked ones).

with

findings as (
    select * from {{ ref('fct_beacon_findings') }}
),

alerts as (
    select
        *,
        greatest(1, date_diff('day', window_start, window_end)) as window_days,
        row_number() over (
            partition by tenant_id, window_start, window_end
            order by severity_rank desc, score desc, host_id asc, domain asc, domain_level asc
        ) as alert_rank
    from findings
    where severity_rank >= {{ number_var('alert_min_severity_rank') }}
),

final as (
    select * from alerts
    where alert_rank <= {{ number_var('alert_budget_per_tenant_day') }} * window_days
)

select * from final
