{#-
    Why a normalised query name cannot be a DNS name (null when it can): RFC 1035 limits
    (253 characters, 63 per label), no empty labels, letters/digits/hyphen/underscore only
    (underscore for service names such as _ldap._tcp; IDNs arrive as xn-- punycode).
-#}
{% macro query_name_rejection_reason(name_expr) -%}
    case
        when {{ name_expr }} = '' then 'empty_query_name'
        when length({{ name_expr }}) > 253 then 'name_too_long'
        when not {{ regex_matches(name_expr, '^[a-z0-9_.-]+$') }} then 'invalid_characters'
        when {{ regex_matches(name_expr, '^[.]|[.][.]|[.]$') }} then 'empty_label'
        when {{ regex_matches(name_expr, '[^.]{64}') }} then 'label_too_long'
    end
{%- endmacro %}
