-- The two curated lists, and the domains analysts marked malicious, in one shape, each entry
-- with its registered domain (same PSL logic as staging) so pairs match an entry by equality on
-- the registered domain plus a suffix check.

with

known_good as (
    select
        'known_good' as list_name,
        lower(domain) as listed_domain,
        category as list_category,
        reason as list_detail
    from {{ ref('known_good_domains') }}
),

known_c2 as (
    select
        'known_c2' as list_name,
        lower(domain) as listed_domain,
        family as list_category,
        source as list_detail
    from {{ ref('known_c2_domains') }}
),

-- a domain an analyst marked malicious (whatever tenant they looked at): every host that
-- queries it is a candidate from the next build on
triaged_c2 as (
    select
        'known_c2' as list_name,
        domain as listed_domain,
        'analyst verdict' as list_category,
        'beaconlake triage by ' || {{ distinct_list("coalesce(decided_by, 'unknown')") }}
            as list_detail
    from {{ ref('int_triage_decisions') }}
    where
        verdict = 'malicious'
        and problem is null
        and not is_expired
        and domain is not null
        and host_id is null
        and domain not in (select known_c2.listed_domain from known_c2)
    group by domain
),

listed as (
    select * from known_good
    union all
    select * from known_c2
    union all
    select * from triaged_c2
),

registered_domains as (
    {{ psl_registered_domains('listed', 'listed_domain') }}
),

final as (
    select
        listed.list_name,
        listed.listed_domain,
        registered_domains.registered_domain,
        listed.list_category,
        listed.list_detail
    from listed
    inner join registered_domains
        on listed.listed_domain = registered_domains.domain_name
)

select * from final
