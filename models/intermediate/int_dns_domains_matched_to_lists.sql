-- Each profiled domain with the deepest entry of each curated list that covers it. Rebuilt on
-- every run; the day-incremental candidate marts apply it to the days a run builds.

with

domains as (
    select distinct
        domain,
        registered_domain
    from {{ ref('int_dns_pair_profiles') }}
),

known_domains as (
    select * from {{ ref('int_known_domains') }}
),

matches as (
    select
        domains.domain,
        known_domains.list_name,
        known_domains.listed_domain,
        known_domains.list_category,
        known_domains.list_detail,
        row_number() over (
            partition by domains.domain, known_domains.list_name
            order by length(known_domains.listed_domain) desc, known_domains.listed_domain asc
        ) as match_rank
    from domains
    inner join known_domains
        on {{ listed_domain_matches('domains.domain', 'domains.registered_domain', 'known_domains') }}
),

final as (
    select
        domain,
        max(case when list_name = 'known_good' then listed_domain end) as known_good_domain,
        max(case when list_name = 'known_good' then list_category end) as known_good_category,
        max(case when list_name = 'known_good' then list_detail end) as known_good_reason,
        max(case when list_name = 'known_c2' then listed_domain end) as known_c2_domain,
        max(case when list_name = 'known_c2' then list_category end) as known_c2_family,
        max(case when list_name = 'known_c2' then list_detail end) as known_c2_source
    from matches
    where match_rank = 1
    group by domain
)

select * from final
