{#- An id that a key always gets, on every engine: the first 16 hex digits of the MD5 of the
    key's columns joined by the unit separator (null as the record separator). -#}
{% macro stable_id(column_exprs) %}
    {{ return(adapter.dispatch('stable_id', 'beaconlake')(column_exprs)) }}
{% endmacro %}

{% macro stable_id_text(column_exprs) -%}
    concat_ws(chr(31), {% for c in column_exprs %}coalesce(cast({{ c }} as varchar), chr(30)){{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{% macro default__stable_id(column_exprs) -%}
    substr(md5({{ stable_id_text(column_exprs) }}), 1, 16)
{%- endmacro %}

{#- trino: md5 works on varbinary and gives varbinary. -#}
{% macro trino__stable_id(column_exprs) -%}
    substr(lower(to_hex(md5(to_utf8({{ stable_id_text(column_exprs) }})))), 1, 16)
{%- endmacro %}
