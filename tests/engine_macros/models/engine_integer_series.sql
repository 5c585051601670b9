-- integer_series: 1..stop inclusive, unnested per row.

with

cases as (
    select * from {{ ref('engine_series_cases') }}
),

final as (
    select
        cases.case_id,
        cases.expected_count,
        cases.expected_sum,
        count(series.n) as actual_count,
        sum(series.n) as actual_sum
    from cases
    cross join unnest({{ integer_series(1, 'cases.series_stop') }}) as series (n)
    group by cases.case_id, cases.expected_count, cases.expected_sum
)

select * from final
