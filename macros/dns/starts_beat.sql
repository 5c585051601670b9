{#-
    The beat rule, as a condition on one second of a series: true when the second starts a new
    beat. `gap_seconds` is the time since the series' previous second (null for its first). A
    beat is a run of seconds each at most var beat_merge_seconds after the previous one, so the
    A, AAAA and retries of one call-home count once, even across a second boundary, and a
    repeated second (a gap of 0) never starts a second beat. The confirmation merges event times
    with the same rule (beaconlake.confirm.periodicity.merge_beats).
-#}
{% macro starts_beat(gap_seconds) -%}
    ({{ gap_seconds }} is null or {{ gap_seconds }} > {{ number_var('beat_merge_seconds') }})
{%- endmacro %}
