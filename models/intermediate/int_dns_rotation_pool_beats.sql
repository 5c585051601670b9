{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        pre_hook="{{ delete_run_window() }}",
    )
}}

-- The beats of each host's rotation pool as one series: a member's seconds merge into beats as
-- a pair's do (var beat_merge_seconds), and the pool's series is every member's beats in time
-- order, a beat of one member a second after another's being the same call-home. The interval
-- since the previous beat is kept both within the member and across the pool: an implant
-- rotating over its domains is regular across the pool and slow and irregular on each.

with

members as (
    select * from {{ ref('int_dns_rotation_pool_members') }}
    where {{ date_window_predicate('event_date') }}
),

query_name_domains as (
    select distinct
        query_name_key,
        registered_domain
    from {{ ref('stg_dns__query_names') }}
    where name_rejection_reason is null
),

member_seconds as (
    select
        members.tenant_id,
        members.host_id,
        members.event_date,
        members.registered_domain,
        seconds.second_at
    from {{ ref('int_dns_queries_aggregated_to_seconds') }} as seconds
    inner join query_name_domains
        on seconds.query_name_key = query_name_domains.query_name_key
    inner join members
        on
            seconds.tenant_id = members.tenant_id
            and seconds.host_id = members.host_id
            and seconds.event_date = members.event_date
            and query_name_domains.registered_domain = members.registered_domain
    where {{ date_window_predicate('seconds.event_date') }}
),

member_gaps as (
    select
        *,
        {{ epoch_seconds('second_at') }} - {{ epoch_seconds(
            'lag(second_at) over (
                partition by tenant_id, host_id, event_date, registered_domain order by second_at
            )'
        ) }} as gap_seconds
    from member_seconds
),

member_beats as (
    select
        tenant_id,
        host_id,
        event_date,
        registered_domain,
        second_at as beat_at,
        gap_seconds as member_interval_seconds
    from member_gaps
    where {{ starts_beat('gap_seconds') }}
),

pool_gaps as (
    select
        *,
        {{ epoch_seconds('beat_at') }} - {{ epoch_seconds(
            'lag(beat_at) over (
                partition by tenant_id, host_id, event_date order by beat_at, registered_domain
            )'
        ) }} as pool_gap_seconds
    from member_beats
),

final as (
    select
        tenant_id,
        host_id,
        event_date,
        registered_domain,
        beat_at,
        member_interval_seconds,
        pool_gap_seconds,
        -- the first beat of a pool call-home (others within beat_merge_seconds join it)
        {{ starts_beat('pool_gap_seconds') }} as is_pool_beat
    from pool_gaps
)

select * from final
