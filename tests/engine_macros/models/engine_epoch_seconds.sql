-- epoch_seconds over timestamp_type: microseconds survive the cast (Trino's plain `timestamp`
-- would round them to milliseconds) and a zoneless time reads as UTC.

with

cases as (
    select * from {{ ref('engine_timestamp_cases') }}
),

final as (
    select
        case_id,
        at_text,
        expected_epoch_seconds,
        {{ epoch_seconds('cast(at_text as ' ~ timestamp_type() ~ ')') }} as actual_epoch_seconds
    from cases
)

select * from final
