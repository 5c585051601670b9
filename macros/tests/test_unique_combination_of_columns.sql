{#-
    Generic data test: no two rows share the values of `combination_of_columns` (the grain).
    Groups by a 64-bit hash of the key first (cheap on tens of millions of rows), then compares
    the few rows whose hashes repeat column by column, so a hash collision is never a failure.
    The model is read twice rather than through a shared CTE: DuckDB would materialise that CTE,
    every key column of every row.

    `window_column` (a date column that is part of the key) limits the check to the days of the
    run, vars start_date .. end_date: a day-partitioned incremental model only (re)writes those
    days, and earlier days were checked when they were built, so a new day's build does not read
    the whole history again. Without the vars (a full build) every row is checked.
-#}
{% test unique_combination_of_columns(model, combination_of_columns, window_column=none) %}
    {%- set in_window = date_window_predicate(window_column, incremental=false)
        if window_column else '1 = 1' %}
    with

    repeated_hashes as (
        select {{ row_hash(combination_of_columns) }} as key_hash
        from {{ model }}
        where {{ in_window }}
        group by {{ row_hash(combination_of_columns) }}
        having count(*) > 1
    ),

    repeated_rows as (
        select {{ combination_of_columns | join(', ') }}
        from {{ model }}
        where
            {{ in_window }}
            and {{ row_hash(combination_of_columns) }} in (select key_hash from repeated_hashes)
    )

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
    from repeated_rows
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
