{#-
    Where the raw Parquet files live, as a folder URI for an engine that registers them as a table
    (Trino's Hive connector): var raw_dns_location when given (any URI the catalog can read, e.g.
    s3://bucket/dns/events), else the folder part of var raw_dns_glob before its first wildcard,
    without trailing event_date=... folders, on the server's local file system. A relative glob
    cannot name a folder on the server: it must be absolute, and inside the folder the catalog's
    local:// URIs are confined to (local_file_root()): local:///x is <root>/x.
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
    {%- if '/../' in folder ~ '/' or '/./' in folder ~ '/' -%}
        {{ exceptions.raise_compiler_error(
            "raw_dns_glob '" ~ glob_text ~ "' has '.' or '..' in its folder: give the plain absolute path"
        ) }}
    {%- endif -%}
    {%- set root = local_file_root().rstrip('/') -%}
    {%- if root and folder != root and not folder.startswith(root ~ '/') -%}
        {{ exceptions.raise_compiler_error(
            "raw_dns_glob '" ~ glob_text ~ "' is outside " ~ root ~ ", the only folder the Trino "
            ~ "server's local:// URIs reach: move the events there, start the server with "
            ~ "BEACONLAKE_TRINO_LOCAL_ROOT set to a folder holding them, or set var raw_dns_location"
        ) }}
    {%- endif -%}
    {{ return('local:///' ~ folder[root | length:].lstrip('/')) }}
{% endmacro %}


{#-
    The folder a Trino server's local file system is confined to (its catalog's local.location),
    as trino/server.sh sets it: BEACONLAKE_TRINO_LOCAL_ROOT, else the run folder's lake/
    (BEACONLAKE_TRINO_HOME, else <BEACONLAKE_CACHE or ~/.cache/beaconlake>/trino-run). A server
    whose local.location is / takes BEACONLAKE_TRINO_LOCAL_ROOT=/.
-#}
{% macro local_file_root() %}
    {%- set explicit = env_var('BEACONLAKE_TRINO_LOCAL_ROOT', '') -%}
    {%- if explicit -%}
        {{ return(explicit) }}
    {%- endif -%}
    {%- set cache = env_var('BEACONLAKE_CACHE', '') or env_var('HOME', '') ~ '/.cache/beaconlake' -%}
    {%- set run_dir = env_var('BEACONLAKE_TRINO_HOME', '') or cache ~ '/trino-run' -%}
    {{ return(run_dir ~ '/lake') }}
{% endmacro %}
