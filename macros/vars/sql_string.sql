{#-
    A value as a SQL string literal: quoted, every single quote doubled. The only way a var's text
    (a path, a location) reaches SQL, so that a folder named x'||version()||' is read as that
    folder and never executed.
-#}
{% macro sql_string(value) %}
    {{ return("'" ~ (value | string).replace("'", "''") ~ "'") }}
{% endmacro %}
