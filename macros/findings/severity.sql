{#-
    The severity scale (var severities, lowest first; the confirmation step's
    scoring.SEVERITIES reads the same list): a severity's rank is its position, 0 for info.
    severity_rank(expression) turns a severity name into its rank (null for a name the scale
    does not know); severity_name(rank) is the name at a rank (negative counts from the top:
    -1 is critical); top_severity_rank() the highest rank.
-#}
{% macro severities() %}
    {%- set levels = var('severities') -%}
    {%- for level in levels -%}
        {%- if level is not string or not modules.re.fullmatch('[a-z]+', level) -%}
            {{ exceptions.raise_compiler_error("var severities must list lowercase words, not " ~ levels) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return(levels) }}
{% endmacro %}

{% macro severity_rank(expression) -%}
    case {{ expression }}
        {%- for level in severities() %}
            when '{{ level }}' then {{ loop.index0 }}
        {%- endfor %}
    end
{%- endmacro %}

{% macro severity_name(rank) -%}
    '{{ severities()[rank] }}'
{%- endmacro %}

{% macro top_severity_rank() -%}
    {{ severities() | length - 1 }}
{%- endmacro %}
