-- stable_id of two nullable columns, against the id computed outside the engine.

with

cases as (
    select
        case_id,
        case when first_value = '<empty>' then '' else first_value end as first_value,
        second_value,
        expected_id
    from {{ ref('engine_stable_id_cases') }}
),

final as (
    select
        case_id,
        expected_id,
        {{ stable_id(['first_value', 'second_value']) }} as actual_id
    from cases
)

select * from final
