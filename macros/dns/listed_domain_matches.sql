{#-
    Join condition: a domain is covered by a list entry when it is the entry or a subdomain of it
    within the same registered domain (so listing a public suffix such as azurewebsites.net covers
    nothing beneath it, on purpose).
-#}
{% macro listed_domain_matches(domain, registered_domain, known) -%}
    {{ known }}.registered_domain = {{ registered_domain }}
    and (
        {{ domain }} = {{ known }}.listed_domain
        or (
            length({{ domain }}) > length({{ known }}.listed_domain)
            and substr({{ domain }}, length({{ domain }}) - length({{ known }}.listed_domain)) = '.' || {{ known }}.listed_domain
        )
    )
{%- endmacro %}
