{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- Every raw row of a day accounted for: staged (a valid query), rejected (quarantined with a
-- reason in stg_dns__events_rejected) or an exact duplicate of a staged row. The run summary
-- prints it per day; assert_raw_events_conserved checks raw = staged + rejected + duplicates.
-- Staged and duplicate counts come from int_dns_queries_aggregated_to_seconds, the one
-- materialisation of stg_dns__events (re-reading the view would cost a full pass).

with

raw_counts as (
    select
        cast(event_date as date) as event_date,
        count(*) as n_raw
    from {{ raw_dns_events() }}
    where {{ date_window_predicate('event_date') }}
    group by cast(event_date as date)
),

staged_counts as (
    select
        event_date,
        sum(n_queries) as n_staged,
        sum(n_duplicates) as n_duplicates
    from {{ ref('int_dns_queries_aggregated_to_seconds') }}
    where {{ date_window_predicate('event_date') }}
    group by event_date
),

rejected_counts as (
    select
        event_date,
        count(*) as n_rejected
    from {{ ref('stg_dns__events_rejected') }}
    where {{ date_window_predicate('event_date') }}
    group by event_date
),

final as (
    select
        raw_counts.event_date,
        raw_counts.n_raw,
        coalesce(staged_counts.n_staged, 0) as n_staged,
        coalesce(rejected_counts.n_rejected, 0) as n_rejected,
        coalesce(staged_counts.n_duplicates, 0) as n_duplicates
    from raw_counts
    left join staged_counts on raw_counts.event_date = staged_counts.event_date
    left join rejected_counts on raw_counts.event_date = rejected_counts.event_date
)

select * from final
