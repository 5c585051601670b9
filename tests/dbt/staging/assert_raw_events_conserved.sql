-- Asserts raw = staged + rejected + duplicates for every day of the run: no raw row is lost.

select * from {{ ref('fct_dns_event_counts') }}
where
    {{ date_window_predicate('event_date', incremental=false) }}
    and n_raw <> n_staged + n_rejected + n_duplicates
