{#- A relation that has every column in `columns` (name -> type), null where the input lacks it. -#}
{% macro with_optional_columns(relation, columns) %}
    {{ return(adapter.dispatch('with_optional_columns', 'beaconlake')(relation, columns)) }}
{% endmacro %}

{#- Table sources declare every column; a missing Parquet column already reads as null. -#}
{% macro default__with_optional_columns(relation, columns) %}{{ relation }}{% endmacro %}

{#- duckdb: read_parquet has only the columns the files hold; union by name fills the rest. -#}
{% macro duckdb__with_optional_columns(relation, columns) -%}
    (
        select * from {{ relation }}
        union all by name
        select {% for name, data_type in columns.items() %}cast(null as {{ data_type }}) as {{ name }}{{ ", " if not loop.last }}{% endfor %}
        where false
    )
{%- endmacro %}

{#- trino: the Hive table declares the optional columns. -#}
{% macro trino__with_optional_columns(relation, columns) %}{{ relation }}{% endmacro %}
