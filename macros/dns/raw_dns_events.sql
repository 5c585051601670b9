{#-
    The raw DNS source with the input contract's optional columns filled with nulls when absent,
    restricted to the run window's partitions (var start_date / end_date).
-#}
{% macro raw_dns_events() -%}
    {{ with_optional_columns(source('dns', 'raw_events'), {'query_type': 'varchar', 'response_code': 'varchar', 'answer_ttl_seconds': 'double'}) }}
{%- endmacro %}
