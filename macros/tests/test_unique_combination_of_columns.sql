{#-
    Generic data test: no two rows share the values of `combination_of_columns` (the grain).
    Groups by a 64-bit hash of the key first (cheap on tens of millions of rows), then compares
    the few rows whose hashes repeat column by column, so a hash collision is never a failure.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    with

    hashed as (
        select
            {{ combination_of_columns | join(', ') }},
            {{ row_hash(combination_of_columns) }} as key_hash
        from {{ model }}
    ),

    repeated_hashes as (
        select key_hash from hashed
        group by key_hash
        having count(*) > 1
    )

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as n_rows
    from hashed
    where key_hash in (select key_hash from repeated_hashes)
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
