{#-
    A select of (domain_name, registered_domain) for the distinct names in `names_relation`.`name_column`,
    the eTLD+1 by the Public Suffix List seed, exactly as publicsuffixlist's privatesuffix() with the
    fallback of beaconlake.domains.registered_domain:
    - every suffix of a name (depth 1..labels) is joined with the rules; the deepest match wins,
      at equal depth exception > wildcard > normal; the public suffix is then
      exception: depth - 1, wildcard: depth + 1 (depth when the name is the wildcard's base),
      normal: depth; no match: 1 (implicit "*" rule for unknown TLDs);
    - registered domain = public suffix + one label; names that are themselves a public suffix
      fall back to their last two labels (single labels to themselves).
    Runs over distinct names only, never per event.
-#}
{% macro psl_registered_domains(names_relation, name_column='query_name') %}
    with

    labelled as (
        select distinct
            {{ name_column }} as domain_name,
            {{ split_labels(name_column) }} as labels,
            {{ array_size(split_labels(name_column)) }} as n_labels
        from {{ names_relation }}
    ),

    suffixes as (
        select
            labelled.domain_name,
            labelled.n_labels,
            depths.depth,
            {{ last_labels('labelled.labels', 'labelled.n_labels', 'depths.depth') }} as suffix
        from labelled
        cross join unnest({{ integer_series(1, 'labelled.n_labels') }}) as depths (depth)
    ),

    matches as (
        select
            suffixes.domain_name,
            suffixes.depth,
            case rules.rule_kind
                when 'exception' then suffixes.depth - 1
                when 'wildcard'
                    then case when suffixes.depth < suffixes.n_labels then suffixes.depth + 1 else suffixes.depth end
                else suffixes.depth
            end as public_labels,
            case rules.rule_kind when 'exception' then 1 when 'wildcard' then 2 else 3 end as rule_priority
        from suffixes
        inner join {{ ref('public_suffix_rules') }} as rules
            on suffixes.suffix = rules.rule_suffix
    ),

    ranked as (
        select
            domain_name,
            public_labels,
            row_number() over (partition by domain_name order by depth desc, rule_priority asc) as match_rank
        from matches
    ),

    public_suffixes as (
        select
            labelled.domain_name,
            labelled.labels,
            labelled.n_labels,
            coalesce(ranked.public_labels, 1) as public_labels
        from labelled
        left join ranked
            on labelled.domain_name = ranked.domain_name and ranked.match_rank = 1
    )

    select
        domain_name,
        case
            when public_labels >= 1 and n_labels > public_labels
                then {{ last_labels('labels', 'n_labels', 'public_labels + 1') }}
            when n_labels >= 2 then {{ last_labels('labels', 'n_labels', '2') }}
            else domain_name
        end as registered_domain
    from public_suffixes
{% endmacro %}
