-- Asserts every interval between beats is longer than the beat merge gap: beats are ordered
-- and bursts were merged.

select *
from {{ ref('int_dns_beat_intervals') }}
where not {{ starts_beat('interval_seconds') }}
