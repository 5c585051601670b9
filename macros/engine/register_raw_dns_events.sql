{#-
    on-run-start: make the raw DNS source readable by the engine. Returns no SQL (what it needs is
    run here), so the hook is a no-op where nothing is needed.
-#}
{% macro register_raw_dns_events() %}
    {{ return(adapter.dispatch('register_raw_dns_events', 'beaconlake')()) }}
{% endmacro %}

{#- The source is a table the engine already knows. -#}
{% macro default__register_raw_dns_events() %}{% endmacro %}

{#- duckdb: read_parquet reads the files in place (the source's external_location). -#}
{% macro duckdb__register_raw_dns_events() %}{% endmacro %}

{#-
    trino: a Hive external table over the Parquet folder (the input contract's columns, every
    optional one declared so that files without it read null; event_date partitions), created
    or moved to the current location, then its partitions synced with the folders (FULL: days
    added and removed). A table created before an optional column joined the contract gets it
    added. Off with var raw_dns_register = false, for a table managed elsewhere.
-#}
{% macro trino__register_raw_dns_events() %}
    {%- if not execute or not var('raw_dns_register', true) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = source('dns', 'raw_events') -%}
    {%- set location = beaconlake.raw_dns_location() -%}
    {%- set schema_name = relation.database ~ '.' ~ relation.schema -%}
    {#- the input contract's columns, partition column (event_date) apart -#}
    {%- set columns = [
        ('event_time', beaconlake.timestamp_type()),
        ('host_id', 'varchar'),
        ('query_name', 'varchar'),
        ('tenant_id', 'varchar'),
        ('query_type', 'varchar'),
        ('response_code', 'varchar'),
        ('answer_ttl_seconds', 'double'),
    ] -%}
    {%- set existing = run_query(
        "select count(*) from " ~ relation.database ~ ".information_schema.tables"
        ~ " where table_schema = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'"
    ) -%}
    {%- if existing.columns[0].values()[0] > 0 -%}
        {%- set ddl = run_query('show create table ' ~ relation).columns[0].values()[0] -%}
        {%- set found = modules.re.search("external_location = '((?:[^']|'')*)'", ddl) -%}
        {%- if not found -%}
            {{ exceptions.raise_compiler_error(
                relation ~ " exists and is not an external table: drop it, or set var raw_dns_register: false"
            ) }}
        {%- endif -%}
        {%- set registered = found.group(1).replace("''", "'") -%}
        {%- if registered != location -%}
            {{ log("raw events: " ~ relation ~ " moves from " ~ registered ~ " to " ~ location, info=true) }}
            {%- do run_query('drop table ' ~ relation) -%}
        {%- else -%}
            {%- set known = run_query(
                "select column_name from " ~ relation.database ~ ".information_schema.columns"
                ~ " where table_schema = '" ~ relation.schema ~ "' and table_name = '" ~ relation.identifier ~ "'"
            ).columns[0].values() -%}
            {%- for name, data_type in columns if name not in known -%}
                {{ log("raw events: " ~ relation ~ " gets the contract's column " ~ name, info=true) }}
                {%- do run_query('alter table ' ~ relation ~ ' add column ' ~ name ~ ' ' ~ data_type) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- do run_query('create schema if not exists ' ~ schema_name) -%}
    {%- do run_query(
        "create table if not exists " ~ relation ~ " ("
        ~ columns | map('join', ' ') | join(', ') ~ ", event_date date
        )
        with (
            format = 'PARQUET',
            external_location = " ~ beaconlake.sql_string(location) ~ ",
            partitioned_by = array['event_date']
        )"
    ) -%}
    {%- do run_query(
        "call " ~ relation.database ~ ".system.sync_partition_metadata('"
        ~ relation.schema ~ "', '" ~ relation.identifier ~ "', 'FULL')"
    ) -%}
    {#- a glob whose partitions lie deeper than its folder (lake/**/*.parquet over lake/events/)
        would read nothing: say so rather than publish an empty window -#}
    {%- set partitions = run_query(
        'select count(*) from ' ~ relation.database ~ '.' ~ relation.schema ~ '."' ~ relation.identifier ~ '$partitions"'
    ).columns[0].values()[0] -%}
    {%- if partitions == 0 -%}
        {{ exceptions.raise_compiler_error(
            "raw events: no event_date=YYYY-MM-DD folders directly under " ~ location
            ~ " (Trino reads the partitions one level below it): point raw_dns_glob or raw_dns_location at the folder that holds them"
        ) }}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}
