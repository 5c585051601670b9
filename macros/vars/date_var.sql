{#-
    A date var (start_date, end_date) as a 'YYYY-MM-DD' string, or none when it is not set.
    Anything else (a time, free text, SQL) stops the run with the var's name and value: dates
    reach SQL only as validated literals.
-#}
{% macro date_var(name) %}
    {%- set value = var(name, none) -%}
    {%- if value is none or value == '' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set text = value | string -%}
    {%- set found = modules.re.fullmatch('([0-9]{4})-([0-9]{2})-([0-9]{2})', text) -%}
    {%- set year, month, day = (found.groups() | map('int') | list) if found else (0, 0, 0) -%}
    {#- the month's last day, from the first of the next month (constructors that cannot fail) -#}
    {%- set month_days = 0 if not (1 <= year <= 9998 and 1 <= month <= 12) else (
        modules.datetime.date(year + month // 12, month % 12 + 1, 1) - modules.datetime.timedelta(days=1)
    ).day -%}
    {%- if not (1 <= day <= month_days) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a date YYYY-MM-DD, not " ~ text) }}
    {%- endif -%}
    {{ return(text) }}
{% endmacro %}
