{#- Hash of every raw column: exact duplicates hash equal (used to find them without a full sort). -#}
{% macro raw_event_hash(relation_alias=none) -%}
    {%- set prefix = relation_alias ~ '.' if relation_alias else '' -%}
    {%- set columns = [] -%}
    {%- for name in ['tenant_id', 'host_id', 'query_name', 'event_time', 'query_type', 'response_code', 'answer_ttl_seconds', 'event_date'] -%}
        {%- do columns.append(prefix ~ name) -%}
    {%- endfor -%}
    {{ row_hash(columns) }}
{%- endmacro %}
