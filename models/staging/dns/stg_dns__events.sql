-- A view: materialising 100M events costs more than the one heavy model that reads them.
-- Two independent scans (unique rows; rows whose hash repeats, compared column by column) are
-- cheaper than one DISTINCT over every wide row.

with

repeated_event_hashes as (
    select * from {{ ref('stg_dns__repeated_event_hashes') }}
),

unique_events as (
    select
        checked_events.tenant_id,
        checked_events.host_id,
        checked_events.query_name,
        checked_events.query_name_key,
        checked_events.registered_domain,
        checked_events.event_at,
        checked_events.query_type,
        checked_events.response_code,
        checked_events.answer_ttl_seconds,
        checked_events.event_date,
        0 as duplicate_count
    from {{ checked_raw_events() }} as checked_events
    left join repeated_event_hashes
        on
            checked_events.event_hash = repeated_event_hashes.event_hash
            and checked_events.event_date = repeated_event_hashes.event_date
    where
        checked_events.rejection_reason is null
        and repeated_event_hashes.event_hash is null
),

deduplicated_events as (
    select
        checked_events.tenant_id,
        checked_events.host_id,
        checked_events.query_name,
        checked_events.query_name_key,
        checked_events.registered_domain,
        checked_events.event_at,
        checked_events.query_type,
        checked_events.response_code,
        checked_events.answer_ttl_seconds,
        checked_events.event_date,
        count(*) - 1 as duplicate_count
    from {{ checked_raw_events() }} as checked_events
    inner join repeated_event_hashes
        on
            checked_events.event_hash = repeated_event_hashes.event_hash
            and checked_events.event_date = repeated_event_hashes.event_date
    where checked_events.rejection_reason is null
    group by
        checked_events.tenant_id,
        checked_events.host_id,
        checked_events.raw_query_name,
        checked_events.query_name,
        checked_events.query_name_key,
        checked_events.registered_domain,
        checked_events.event_at,
        checked_events.query_type,
        checked_events.response_code,
        checked_events.answer_ttl_seconds,
        checked_events.event_date
),

final as (
    select * from unique_events
    union all
    select * from deduplicated_events
)

select * from final
