{#- Generic data test: rows where the column differs from `expected` (beyond `tolerance`, for
    numbers), or exactly one of the two is null. -#}
{% test equals_expected(model, column_name, expected, tolerance=none) %}
    select *
    from {{ model }}
    where
        {%- if tolerance is none %}
        not ({{ column_name }} = {{ expected }})
        {%- else %}
        not (abs({{ column_name }} - {{ expected }}) <= {{ tolerance }})
        {%- endif %}
        or ({{ column_name }} is null) <> ({{ expected }} is null)
{% endtest %}
