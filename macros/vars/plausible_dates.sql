{#-
    The plausible range of event dates, as SQL date expressions: from var min_event_date to
    var max_event_days_ahead days after the day the run happens. Rows outside it are quarantined
    (implausible_event_time), their names are not learned, and no model's incremental state
    moves past the latest plausible day, so one forged far-future row cannot poison later runs.
-#}
{% macro earliest_plausible_date() %}
    {{- return("date '" ~ beaconlake.date_var('min_event_date') ~ "'") -}}
{% endmacro %}

{% macro latest_plausible_date() %}
    {{- return("cast(current_date + interval '" ~ beaconlake.number_var('max_event_days_ahead') | int ~ "' day as date)") -}}
{% endmacro %}
