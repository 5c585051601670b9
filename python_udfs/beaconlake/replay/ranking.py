"""After the run: the findings in rank order and what each stage said about a C2 domain."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from beaconlake.confirm.scoring import SEVERITIES
from beaconlake.domains import normalize_name, registered_domain
from beaconlake.replay.captures import (
    EVENTS_DIR,
    US,
    parquet_glob,
    parquet_query,
    read_contract,
)
from beaconlake.store import ClientWarehouse
from beaconlake.store.findings import host_active_seconds, read_domain_scores, read_pair_checks

#: What the report says about each finding (columns of ``fct_beacon_findings``).
FINDING_COLUMNS = (
    "tenant_id", "host_id", "domain_level", "domain", "registered_domain", "period_seconds",
    "jitter", "beats", "score", "severity", "severity_rank", "reason",
)  # fmt: skip


def host_days(events: Path) -> int:
    """Distinct (day, host) pairs with at least one event: the denominator of findings rates."""
    row = parquet_query(
        f"""
        select count(*) from (
            select distinct event_date, host_id
            from read_parquet('{parquet_glob(events)}', hive_partitioning = true)
            where host_id is not null
        )
        """
    ).fetchone()
    return int(row[0]) if row else 0


def ranked_findings(db: Path) -> pd.DataFrame:
    """Every confirmed finding of the DuckDB file ``db``, ranked as ``beaconlake findings
    --per-window`` lists them (``rank`` from 1)."""
    from beaconlake.pipeline import read_findings

    frame = read_findings(
        "duckdb", str(db), min_severity=SEVERITIES[0], limit=None, columns=FINDING_COLUMNS
    )
    frame.insert(0, "rank", np.arange(1, len(frame) + 1))
    return frame


def stage_verdict(wh: ClientWarehouse, host_id: str, domain: str) -> dict[str, Any]:
    """What the candidate rule and the confirmation step said about one registered domain."""
    verdict: dict[str, Any] = {"candidate_days": []}
    days = read_pair_checks(wh, host_id, domain)
    if days is not None:
        keep = [
            c
            for c in days.columns
            if c
            in (
                "event_date",
                "n_queries",
                "n_beats",
                "interval_median_seconds",
                "interval_mad_ratio",
                "prevalence",
                "passes_min_beats",
                "passes_interval_regularity",
                "passes_interval_median",
                "passes_prevalence",
                "is_known_good",
                "is_known_c2",
                "passes_thresholds",
            )
        ]
        verdict["candidate_days"] = json.loads(
            days[keep].to_json(orient="records", date_format="iso")
        )
    confirmation = read_domain_scores(wh, host_id, domain)
    verdict["confirmation"] = json.loads(confirmation.to_json(orient="records"))
    return verdict


def explain(verdict: dict[str, Any]) -> str:
    """One line on why a C2 domain did not become a finding."""
    days = verdict["candidate_days"]
    conf = verdict["confirmation"]
    if conf:
        c = conf[0]
        parts = ", ".join(
            f"{k.removesuffix('_score')} {c[k]:.2f}"
            for k in (
                "renewal_score",
                "interval_score",
                "spectral_score",
                "acf_score",
                "continuity",
            )
            if c.get(k) is not None
        )
        return (
            f"candidate, not confirmed: periodicity {c['periodicity_score']:.2f} below 0.40 "
            f"({parts}); {c['reason']}"
        )
    if not days:
        return "never profiled at the registered-domain level (no pair row)"
    failed = sorted(
        {k for d in days for k, v in d.items() if k.startswith("passes_") and v is False}
        - {"passes_thresholds"}
    )
    detail = "; ".join(
        f"{d['event_date']}: {d.get('n_beats')} beats, median interval "
        f"{d.get('interval_median_seconds')} s, MAD ratio {d.get('interval_mad_ratio')}"
        for d in days
    )
    return f"not a candidate: fails {', '.join(failed) or 'the candidate rule'} ({detail})"


def all_c2_domains_as_one(
    out: Path, wh: ClientWarehouse, truth: pd.DataFrame
) -> dict[str, Any] | None:
    """The confirmation step's scores for the C2 host's queries to all C2 domains as one series.

    A diagnostic, not a detector: it shows what the pipeline would make of a C2 that rotates over
    several registered domains if it grouped them, with the same window and host activity.
    """
    from beaconlake.confirm.periodicity import analyze
    from beaconlake.pipeline import input_window

    host = str(truth.host_id.iloc[0])
    c2 = read_contract(out / EVENTS_DIR)
    c2 = c2[
        (c2.host_id == host)
        & c2.query_name.fillna("")
        .map(normalize_name)
        .map(registered_domain)
        .isin(set(truth.registered_domain))
    ]
    if c2.empty:
        return None
    window = input_window(parquet_glob(out / EVENTS_DIR))
    start, end = window.epoch()
    active = host_active_seconds(wh, host, window)
    result = analyze(np.sort(c2.event_us.to_numpy() / US), start, end, active)
    keep = (
        "n_beats",
        "period_seconds",
        "jitter",
        "renewal_score",
        "interval_score",
        "spectral_score",
        "acf_score",
        "seasonal_strength",
        "coverage",
        "continuity",
        "periodicity_score",
    )
    return {k: v for k, v in result.as_dict().items() if k in keep} | {
        "host_active_seconds": active
    }
