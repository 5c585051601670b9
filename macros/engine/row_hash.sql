{#- A 64-bit hash of several columns (nulls allowed); equal rows hash equal, collisions possible. -#}
{% macro row_hash(column_exprs) %}
    {{ return(adapter.dispatch('row_hash', 'beaconlake')(column_exprs)) }}
{% endmacro %}

{% macro default__row_hash(column_exprs) -%}
    md5(concat_ws(chr(31), {% for c in column_exprs %}coalesce(cast({{ c }} as varchar), chr(30)){{ ", " if not loop.last }}{% endfor %}))
{%- endmacro %}

{#- duckdb: native variadic hash(), no string building. -#}
{% macro duckdb__row_hash(column_exprs) -%}
    hash({{ column_exprs | join(', ') }})
{%- endmacro %}

{#- trino: xxhash64 over a separator-joined string, read as a bigint. -#}
{% macro trino__row_hash(column_exprs) -%}
    from_big_endian_64(xxhash64(to_utf8(concat_ws(chr(31), {% for c in column_exprs %}coalesce(cast({{ c }} as varchar), chr(30)){{ ", " if not loop.last }}{% endfor %}))))
{%- endmacro %}
