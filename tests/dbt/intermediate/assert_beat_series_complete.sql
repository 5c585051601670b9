-- Asserts every pair-day with at least min_beats distinct seconds was profiled (nothing that can
-- still qualify is dropped by the pre-filter).

select pairs.*
from {{ ref('int_dns_pairs_aggregated_to_days') }} as pairs
left join {{ ref('int_dns_pair_profiles') }} as profiles
    on
        pairs.tenant_id = profiles.tenant_id
        and pairs.host_id = profiles.host_id
        and pairs.domain_level = profiles.domain_level
        and pairs.domain = profiles.domain
        and pairs.event_date = profiles.event_date
where
    pairs.n_seconds >= {{ number_var('min_beats') }}
    and profiles.domain is null
