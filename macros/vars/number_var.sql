{#-
    A numeric var (a threshold, a count, a window length): its value when it is a number (an
    integer or a float, not a boolean), else the run stops with the var's name and value. Every
    var whose default in dbt_project.yml is a number is read through this macro
    (tests/test_vars.py checks it), so no text reaches SQL where a number belongs.
-#}
{% macro number_var(name) %}
    {%- set value = var(name) -%}
    {%- if value is boolean or value is not number -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a number, not " ~ value) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
