{#-
    Where the raw Parquet files live, as a folder URI for an engine that registers them as a table
    (Trino's Hive connector): var raw_dns_location when given (any URI the catalog can read, e.g.
    s3://bucket/dns/events), else the folder part of var raw_dns_glob before its first wildcard,
    without trailing event_date=... folders, as local:///abs/path (the local file system). A
    relative glob cannot name a folder on the server: it must be absolute.
-#}
{% macro raw_dns_location() %}
    {%- set configured = var('raw_dns_location', none) -%}
    {%- if configured -%}
        {{ return(configured | string) }}
    {%- endif -%}
    {%- set glob_text = var('raw_dns_glob') | string -%}
    {%- set folders = [] -%}
    {%- for part in glob_text.split('/') -%}
        {%- if '*' in part or '?' in part or '[' in part or part.endswith('.parquet') -%}
            {%- break -%}
        {%- endif -%}
        {%- do folders.append(part) -%}
    {%- endfor -%}
    {%- for _ in range(folders | length) -%}
        {%- if folders and (folders[-1] == '' or folders[-1].startswith('event_date=')) -%}
            {%- do folders.pop() -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set folder = folders | join('/') -%}
    {%- if not folder.startswith('/') -%}
        {{ exceptions.raise_compiler_error(
            "raw_dns_glob '" ~ glob_text ~ "' is relative: on " ~ target.type ~ " give an absolute path "
            ~ "or set var raw_dns_location to the folder URI the server reads"
        ) }}
    {%- endif -%}
    {{ return('local://' ~ folder) }}
{% endmacro %}
