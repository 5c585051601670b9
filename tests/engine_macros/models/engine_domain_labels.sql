-- split_labels, array_size and last_labels: empty labels and a trailing dot are labels too.

with

cases as (
    select
        *,
        {{ split_labels('domain_name') }} as labels
    from {{ ref('engine_domain_name_cases') }}
),

final as (
    select
        case_id,
        domain_name,
        depth,
        expected_n_labels,
        expected_suffix,
        {{ array_size('labels') }} as actual_n_labels,
        {{ last_labels('labels', array_size('labels'), 'depth') }} as actual_suffix
    from cases
)

select * from final
