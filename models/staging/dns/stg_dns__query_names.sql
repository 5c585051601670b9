{{
    config(
        materialized='incremental',
        incremental_strategy='append',
    )
}}

with

raw_names as (
    select
        query_name as raw_query_name,
        min(cast(event_date as date)) as first_seen_date
    from {{ raw_dns_events() }}
    where
        query_name is not null
        and {{ date_window_predicate('event_date', state_column='first_seen_date') }}
        -- a name first seen on an implausible day would look older (or newer) than it is
        and cast(event_date as date) between {{ earliest_plausible_date() }} and {{ latest_plausible_date() }}
    group by query_name
),

new_names as (
    select
        raw_query_name,
        first_seen_date
    from raw_names
    {% if is_incremental() %}
        where not exists (
            select 1 as is_known from {{ this }} as known
            where known.raw_query_name = raw_names.raw_query_name
        )
    {% endif %}
),

normalized as (
    select
        raw_query_name,
        first_seen_date,
        {{ normalize_query_name('raw_query_name') }} as query_name
    from new_names
),

validated as (
    select
        raw_query_name,
        first_seen_date,
        query_name,
        {{ query_name_rejection_reason('query_name') }} as name_rejection_reason
    from normalized
),

valid_names as (
    select query_name from validated
    where name_rejection_reason is null
),

registered_domains as (
    {{ psl_registered_domains('valid_names') }}
),

final as (
    select
        validated.raw_query_name,
        validated.query_name,
        {{ row_hash(['validated.query_name']) }} as query_name_key,
        registered_domains.registered_domain,
        validated.name_rejection_reason,
        validated.first_seen_date
    from validated
    left join registered_domains
        on validated.query_name = registered_domains.domain_name
)

select * from final
