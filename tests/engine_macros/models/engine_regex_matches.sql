-- regex_matches with the patterns of query_name_rejection_reason: a partial match, RE2 syntax.

with

cases as (
    select * from {{ ref('engine_regex_cases') }}
),

final as (
    select
        case_id,
        subject,
        expected_dns_characters,
        expected_empty_label,
        expected_long_label,
        {{ regex_matches('subject', '^[a-z0-9_.-]+$') }} as actual_dns_characters,
        {{ regex_matches('subject', '^[.]|[.][.]|[.]$') }} as actual_empty_label,
        {{ regex_matches('subject', '[^.]{64}') }} as actual_long_label
    from cases
)

select * from final
