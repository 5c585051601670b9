-- Asserts every candidate of the run's days has a confirmation row in a window covering its
-- day. A schedule that builds candidates and findings but skips the confirmation between them
-- (`beaconlake confirm` on Trino) fails here instead of publishing an empty alert queue.
-- depends_on: {{ ref('fct_beacon_findings') }}

select
    candidates.event_date,
    candidates.tenant_id,
    candidates.host_id,
    candidates.domain_level,
    candidates.domain
from {{ ref('fct_beacon_candidates') }} as candidates
left join {{ beaconlake.confirmation_rows() }} as confirmations
    on
        candidates.tenant_id = confirmations.tenant_id
        and candidates.host_id = confirmations.host_id
        and candidates.domain_level = confirmations.domain_level
        and candidates.domain = confirmations.domain
        and candidates.event_date >= cast(confirmations.window_start as date)
        and candidates.event_date < cast(confirmations.window_end as date)
where
    {{ date_window_predicate('candidates.event_date', incremental=false) }}
    and confirmations.domain is null
