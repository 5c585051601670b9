-- quantile over 1..101: exact on DuckDB (26, 51, 91); Trino's approx_percentile may be off by
-- its rank error, which the test's tolerance (1 % of the range) allows.

with

cases as (
    select n as observed_value
    from unnest({{ integer_series(1, 101) }}) as series (n)
),

{%- set quantiles = [(0.25, 26.0), (0.5, 51.0), (0.9, 91.0)] %}

final as (
    {%- for q, expected in quantiles %}
        select
            {{ q }} as quantile_level,
            {{ expected }} as expected_value,
            cast({{ quantile('observed_value', q) }} as double) as actual_value
        from cases
        {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from final
