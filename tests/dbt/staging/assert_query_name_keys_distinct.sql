-- query_name_key stands for the query name in the per-second table and the pair tables, so two
-- names sharing one 64-bit key would merge their counts and series. Never seen in practice
-- (about one chance in thirty million at a million names), but never silent either: any key with
-- two names fails the build before the per-second table is built on it.

select
    query_name_key,
    count(distinct query_name) as n_query_names
from {{ ref('stg_dns__query_names') }}
group by query_name_key
having count(distinct query_name) > 1
