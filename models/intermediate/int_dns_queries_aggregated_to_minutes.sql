{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

with

beats as (
    select * from {{ ref('int_dns_beat_intervals') }}
    where {{ date_window_predicate('event_date') }}
),

final as (
    select
        event_date,
        pair_key,
        date_trunc('minute', beat_at) as minute_at,
        min(is_lookback) as is_lookback,
        count(*) as n_beats
    from beats
    group by
        event_date,
        pair_key,
        date_trunc('minute', beat_at)
)

select * from final
