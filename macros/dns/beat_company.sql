{#-
    A subquery: each beat of `beats` (a relation with tenant_id, host_id, event_date, beat_at,
    registered_domain and the columns `series`) with has_company, 1 when the host got an
    answer (not NXDOMAIN) about another registered domain within var company_seconds of it, else
    0 (see beat_company). The beats lie in the run's days; the answered seconds read are those
    days' and the previous day's last company_seconds (a beat just after midnight), so a day
    built on top of its history reads no more than a day built alone. incremental: the run's
    first day as date_window_predicate takes it.
    The join is on buckets of 2 * company_seconds + 1 seconds: a beat's window covers one or two
    of them, so each beat probes at most two buckets (not one row per second of its window) and
    the exact window is checked on the few seconds that share a bucket. On the 100M-event day
    this makes the candidates' company 2.6 times cheaper than one probe per second.
-#}
{% macro beats_with_company(beats, series, incremental=true) %}
    {%- set window = number_var('company_seconds') -%}
    {%- set start = run_start_date() if incremental else date_var('start_date') -%}
    (
        select
            {% for column in series %}probes.{{ column }}, {% endfor %}
            probes.beat_at,
            max(case when company.registered_domain is null then 0 else 1 end) as has_company
        from (
            select
                {% for column in series %}{{ column }}, {% endfor %}
                tenant_id as probe_tenant_id,
                host_id as probe_host_id,
                registered_domain as probe_registered_domain,
                beat_at,
                {{ company_bucket('beat_at', -window) }} + buckets.bucket_offset as probe_bucket
            from {{ beats }}
            cross join (values (0), (1)) as buckets (bucket_offset)
            where
                buckets.bucket_offset = 0
                or {{ company_bucket('beat_at', window) }}
                > {{ company_bucket('beat_at', -window) }}
        ) as probes
        left join (
            select
                seconds.tenant_id,
                seconds.host_id,
                seconds.event_date,
                seconds.second_at,
                {{ company_bucket('seconds.second_at') }} as second_bucket,
                names.registered_domain
            from {{ ref('int_dns_queries_aggregated_to_seconds') }} as seconds
            inner join (
                select distinct
                    query_name_key,
                    registered_domain
                from {{ ref('stg_dns__query_names') }}
                where name_rejection_reason is null
            ) as names
                on seconds.query_name_key = names.query_name_key
            where
                seconds.n_queries > seconds.n_nxdomain
                and {{ date_window_predicate(
                    'seconds.event_date', lookback_days=1, incremental=incremental
                ) }}
                {%- if start %}
                    and seconds.second_at >= timestamp '{{ start }} 00:00:00'
                    - interval '{{ window }}' second
                {%- endif %}
        ) as company
            on
                probes.probe_tenant_id = company.tenant_id
                and probes.probe_host_id = company.host_id
                and probes.probe_bucket = company.second_bucket
                and company.second_at
                between probes.beat_at - interval '{{ window }}' second
                and probes.beat_at + interval '{{ window }}' second
                and probes.probe_registered_domain != company.registered_domain
        group by {% for column in series %}probes.{{ column }}, {% endfor %}probes.beat_at
    )
{%- endmacro %}


{#-
    Seconds in a moment's company window: the moment and var company_seconds either side.
-#}
{% macro company_window_seconds() -%}
    {{ 2 * number_var('company_seconds') + 1 }}
{%- endmacro %}


{#-
    The company join's bucket of `timestamp_expr` moved by `shift` seconds: buckets as wide as
    a company window from the epoch, so a window spans the buckets of its two ends
    (beats_with_company).
-#}
{% macro company_bucket(timestamp_expr, shift=0) -%}
    {%- set moved = epoch_seconds(timestamp_expr) ~ (
        ' + ' ~ shift if shift > 0 else ' - ' ~ (-shift) if shift < 0 else ''
    ) -%}
    cast(floor(({{ moved }}) / {{ company_window_seconds() }}) as bigint)
{%- endmacro %}


{#-
    A subquery: for each series of `beats` (a relation with tenant_id, host_id, event_date,
    beat_at, registered_domain and the columns `series`), its beats and those with company: an
    answered query (not NXDOMAIN) by the same host to another registered domain within
    var company_seconds of the beat. A page load or an application's burst brings the names of
    other sites with it; an implant's call-home comes alone (its own retries, A + AAAA and
    NXDOMAIN decoys are not company). Compare with the host's base rate: how often any moment
    of its activity has such company (int_dns_host_activity.n_answered_seconds).
-#}
{% macro beat_company(beats, series, incremental=true) %}
    (
        select
            {{ series | join(', ') }},
            count(*) as n_company_probe_beats,
            cast(sum(has_company) as bigint) as n_company_beats
        from {{ beats_with_company(beats, series, incremental) }} as beat_companies
        group by {{ series | join(', ') }}
    )
{%- endmacro %}


{#-
    The host's base rate of company: the chance that a random moment of its activity has an
    answered query within var company_seconds, as if its answered seconds were spread evenly
    over its active time (clustered seconds make the true rate lower: the estimate errs on the
    side of the series). `activity` has int_dns_host_activity's columns (or their sums).
-#}
{% macro host_company_rate(activity) -%}
    least(
        1.0,
        {{ company_window_seconds() }} * cast({{ activity }}.n_answered_seconds as double)
        / nullif({{ activity }}.host_active_seconds, 0)
    )
{%- endmacro %}
