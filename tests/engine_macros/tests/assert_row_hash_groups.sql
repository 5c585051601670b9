-- row_hash: rows of one hash_group hash equal, rows of different groups differently (null, '',
-- and a value moved between columns all count).
select
    first_row.case_id as first_case_id,
    second_row.case_id as second_case_id
from {{ ref('engine_row_hash') }} as first_row
inner join {{ ref('engine_row_hash') }} as second_row
    on first_row.case_id < second_row.case_id
where (first_row.hash_group = second_row.hash_group) <> (first_row.actual_hash = second_row.actual_hash)
