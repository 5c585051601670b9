{#-
    The input's answer TTL (seconds) as a double, or null when it cannot be one: negative, above
    7 days (604,800 s: resolvers cap TTLs at a week or less, so a larger value is a logging or
    parsing error) or not a number. Such a TTL is set to null rather than quarantining the
    query: the query itself is valid, only the TTL evidence is lost.
-#}
{% macro valid_answer_ttl(ttl_expr) -%}
    case
        when cast({{ ttl_expr }} as double) between 0 and 604800
            then cast({{ ttl_expr }} as double)
    end
{%- endmacro %}
