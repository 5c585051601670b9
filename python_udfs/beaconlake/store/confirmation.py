"""The confirmation's reads: the candidates of an analysis window and their beat times, from
the candidate marts dbt builds (``fct_beacon_candidates`` and its siblings), and the days a dbt
build of the ``beacon_findings`` model confirms."""

from __future__ import annotations

import pandas as pd

from beaconlake.confirm.batch import SERIES_ID
from beaconlake.store import Days, Warehouse, in_days


def _series(wh: Warehouse, window: Days) -> str:
    """SQL: the window's candidate series, one row per (tenant, host, domain level, domain),
    each numbered in key order (``SERIES_ID``). Both reads number them this way, so that the
    beats carry the number instead of four strings, which cost seconds a day to read."""
    return f"""
        select
            tenant_id,
            host_id,
            domain_level,
            domain,
            row_number() over (order by tenant_id, host_id, domain_level, domain) as {SERIES_ID}
        from {wh.relation("fct_beacon_candidates")}
        where {in_days(window)}
        group by tenant_id, host_id, domain_level, domain
    """


def read_candidates(wh: Warehouse, window: Days) -> pd.DataFrame:
    """One row per (tenant, host, domain level, domain) that was a candidate on a window day,
    numbered (``SERIES_ID``) as ``read_beats`` numbers their beats (``_series``).

    Query counts (``n_queries``, ``n_nxdomain``, ``n_tunnel_type_queries``, ``n_query_names``)
    and the host's active seconds are summed over the window's days. ``domain_regular_hosts`` is
    the most hosts regular on the domain on a window day, ``is_regular_on_popular_domain`` whether
    the pair was a candidate for that reason on some day. ``answer_ttl_seconds`` is the longest of
    the daily answer TTLs (each already the longest the resolver handed out that day, the closest
    to the zone's TTL), null for logs without TTLs.

    ``campaign_hosts`` and ``campaign_first_seen_at`` describe a spreading campaign whose domain
    this is (``int_dns_campaign_domains``), null otherwise. ``company_beats`` of
    ``company_probe_beats`` beats came with another site's answered name, against
    ``host_company_rate`` for a random moment of the host (``fct_beacon_candidate_company``).

    ``first_seen_at`` is the first day the tenant queried the domain in the warehouse's history,
    and only when that history starts earlier (otherwise "new" cannot be told from "old").
    """
    cands = wh.relation("fct_beacon_candidates")
    prevalence = wh.relation("int_dns_domain_prevalence")
    in_window = in_days(window)
    return wh.query(
        f"""
        with

        series as ({_series(wh, window)}),

        candidates as (
            select
                tenant_id,
                host_id,
                domain_level,
                domain,
                max(registered_domain) as registered_domain,
                max(n_tenant_hosts) as tenant_hosts,
                max(domain_n_hosts) as domain_hosts,
                max(known_c2_family) as known_c2_family,
                max(known_good_reason) as known_good_reason,
                sum(host_active_seconds) as host_active_seconds,
                sum(n_queries) as n_queries,
                sum(n_nxdomain) as n_nxdomain,
                sum(n_tunnel_type_queries) as n_tunnel_type_queries,
                sum(n_query_names) as n_query_names,
                max(domain_n_regular_hosts) as domain_regular_hosts,
                max(case when candidate_reason = 'regular_on_popular_domain' then 1 else 0 end) = 1
                    as is_regular_on_popular_domain,
                max(answer_ttl_seconds) as answer_ttl_seconds,
                max(n_campaign_hosts) as campaign_hosts,
                cast(min(campaign_first_seen_date) as timestamp) as campaign_first_seen_at
            from {cands}
            where {in_window}
            group by tenant_id, host_id, domain_level, domain
        ),

        company as (
            select
                tenant_id,
                host_id,
                domain_level,
                domain,
                sum(n_company_probe_beats) as company_probe_beats,
                sum(n_company_beats) as company_beats,
                sum(host_company_rate * n_company_probe_beats)
                / nullif(sum(n_company_probe_beats), 0) as host_company_rate
            from {wh.relation("fct_beacon_candidate_company")}
            where {in_window}
            group by tenant_id, host_id, domain_level, domain
        ),

        history as (
            select min(event_date) as history_start from {prevalence}
        ),

        first_days as (
            select
                prevalence.tenant_id,
                prevalence.domain_level,
                prevalence.domain,
                min(prevalence.event_date) as first_day
            from {prevalence} as prevalence
            inner join (select distinct tenant_id, domain_level, domain from candidates) as keys
                on
                    prevalence.tenant_id = keys.tenant_id
                    and prevalence.domain_level = keys.domain_level
                    and prevalence.domain = keys.domain
            group by prevalence.tenant_id, prevalence.domain_level, prevalence.domain
        )

        select
            candidates.*,
            series.{SERIES_ID},
            case
                when first_days.first_day > history.history_start
                    then cast(first_days.first_day as timestamp)
            end as first_seen_at,
            company.company_probe_beats,
            company.company_beats,
            company.host_company_rate
        from candidates
        inner join series
            on
                candidates.tenant_id = series.tenant_id
                and candidates.host_id = series.host_id
                and candidates.domain_level = series.domain_level
                and candidates.domain = series.domain
        cross join history
        left join first_days
            on
                candidates.tenant_id = first_days.tenant_id
                and candidates.domain_level = first_days.domain_level
                and candidates.domain = first_days.domain
        left join company
            on
                candidates.tenant_id = company.tenant_id
                and candidates.host_id = company.host_id
                and candidates.domain_level = company.domain_level
                and candidates.domain = company.domain
        """
    )


def read_beats(wh: Warehouse, window: Days) -> pd.DataFrame:
    """Beat times (epoch seconds) of every candidate within the window, each with its series'
    number (``SERIES_ID``, as ``read_candidates`` numbers them)."""
    frame = wh.query(
        f"""
        with

        series as ({_series(wh, window)})

        select
            series.{SERIES_ID},
            beats.beat_at
        from {wh.relation("fct_beacon_candidate_beats")} as beats
        inner join series
            on
                beats.tenant_id = series.tenant_id
                and beats.host_id = series.host_id
                and beats.domain_level = series.domain_level
                and beats.domain = series.domain
        where
            not beats.is_lookback
            and {in_days(window)}
        """
    )
    return _beat_epochs(frame)


def _beat_epochs(frame: pd.DataFrame) -> pd.DataFrame:
    """``beat_at`` (a UTC timestamp) replaced by ``event_epoch`` (seconds since 1970)."""
    epoch = pd.Timestamp("1970-01-01")
    frame["event_epoch"] = (pd.to_datetime(frame.pop("beat_at")) - epoch).dt.total_seconds()
    return frame


def read_rotation_members(wh: Warehouse, window: Days) -> pd.DataFrame:
    """One row per (tenant, host, member domain) of a rotation pool that was a candidate on a
    window day, with the member's context summed or maximised over those days."""
    return wh.query(
        f"""
        select
            tenant_id,
            host_id,
            domain,
            'registered_domain' as domain_level,
            domain as registered_domain,
            max(n_tenant_hosts) as tenant_hosts,
            max(domain_n_hosts) as domain_hosts,
            sum(host_active_seconds) as host_active_seconds,
            sum(n_queries) as n_queries,
            sum(n_nxdomain) as n_nxdomain,
            max(n_query_names) as n_query_names,
            sum(n_company_probe_beats) as company_probe_beats,
            sum(n_company_beats) as company_beats,
            sum(host_company_rate * n_company_probe_beats)
            / nullif(sum(n_company_probe_beats), 0) as host_company_rate
        from {wh.relation("fct_beacon_rotation_candidates")}
        where {in_days(window)}
        group by tenant_id, host_id, domain
        """
    )


def read_rotation_beats(wh: Warehouse, window: Days) -> pd.DataFrame:
    """Beat times (epoch seconds) of every rotation pool member within the window."""
    frame = wh.query(
        f"""
        select tenant_id, host_id, domain, beat_at
        from {wh.relation("fct_beacon_rotation_beats")}
        where {in_days(window)}
        """
    )
    return _beat_epochs(frame)


def read_slow_candidates(wh: Warehouse, window: Days) -> pd.DataFrame:
    """The slow candidates of the slow window ending on a window day (one row per series),
    with ``slow_start`` and ``slow_end`` (dates, end inclusive) of the days they were judged on."""
    return wh.query(
        f"""
        select
            tenant_id,
            host_id,
            domain_level,
            domain,
            registered_domain,
            window_start_date as slow_start,
            event_date as slow_end,
            n_tenant_hosts as tenant_hosts,
            domain_n_hosts as domain_hosts,
            host_active_seconds,
            n_queries,
            n_nxdomain,
            n_query_names,
            cast(null as varchar) as known_c2_family,
            cast(null as varchar) as known_good_reason,
            cast(null as timestamp) as first_seen_at,
            cast(null as bigint) as campaign_hosts,
            cast(null as timestamp) as campaign_first_seen_at,
            n_company_probe_beats as company_probe_beats,
            n_company_beats as company_beats,
            host_company_rate
        from {wh.relation("fct_beacon_slow_candidates")}
        where {in_days(window)}
        """
    )


def read_slow_beats(wh: Warehouse, window: Days) -> pd.DataFrame:
    """Beat times (epoch seconds) of every slow candidate over its slow window."""
    frame = wh.query(
        f"""
        select tenant_id, host_id, domain_level, domain, beat_at
        from {wh.relation("fct_beacon_slow_beats")}
        where {in_days(window)}
        """
    )
    return _beat_epochs(frame)


def read_data_days(wh: Warehouse) -> pd.DataFrame:
    """One row: the first and last day (``first_day``, ``last_day``) the warehouse holds
    queries of (``int_dns_domain_prevalence``); nulls when it holds none."""
    return wh.query(
        "select min(event_date) as first_day, max(event_date) as last_day "
        f"from {wh.relation('int_dns_domain_prevalence')}"
    )


def read_latest_window(wh: Warehouse, table: str) -> pd.DataFrame:
    """The latest window (``window_start``, ``window_end``) of the findings table ``table``:
    one row, none when it is empty."""
    return wh.query(
        f"select window_start, window_end from {wh.relation(table)} "
        "order by window_end desc, window_start desc limit 1"
    )


def probe_candidates(wh: Warehouse) -> None:
    """Read no row of ``fct_beacon_candidates``: raises the warehouse's own error when dbt has
    not built it."""
    wh.query(f"select 1 from {wh.relation('fct_beacon_candidates')} where 1 = 0")
