{#- Lowercase and trim a query name and strip one trailing dot (the DNS root), as domains.py does. -#}
{% macro normalize_query_name(name_expr) -%}
    case
        when lower(trim({{ name_expr }})) like '%.'
            then substr(lower(trim({{ name_expr }})), 1, length(trim({{ name_expr }})) - 1)
        else lower(trim({{ name_expr }}))
    end
{%- endmacro %}
