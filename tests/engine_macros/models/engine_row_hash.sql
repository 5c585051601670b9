-- row_hash of two nullable columns; the test compares every pair of rows.

with

cases as (
    select
        case_id,
        hash_group,
        case when first_value = '<empty>' then '' else first_value end as first_value,
        case when second_value = '<empty>' then '' else second_value end as second_value
    from {{ ref('engine_row_hash_cases') }}
),

final as (
    select
        case_id,
        hash_group,
        {{ row_hash(['first_value', 'second_value']) }} as actual_hash
    from cases
)

select * from final
