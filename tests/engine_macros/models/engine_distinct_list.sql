-- distinct_list per list, against the list it must give.

with

cases as (
    select * from {{ ref('engine_distinct_list_cases') }}
),

final as (
    select
        list_id,
        max(expected_list) as expected_list,
        {{ distinct_list('item') }} as actual_list
    from cases
    group by list_id
)

select * from final
