-- Every raw name of the run's days is known to stg_dns__query_names: a row quarantined as
-- unknown_query_name means the names model skipped a day (its incremental state ran ahead of the
-- data), which would silently quarantine a whole day's valid rows, planted beacons included.

select
    event_date,
    count(*) as unknown_name_rows
from {{ ref('stg_dns__events_rejected') }}
where
    rejection_reason = 'unknown_query_name'
    and {{ date_window_predicate('event_date', incremental=false) }}
group by event_date
