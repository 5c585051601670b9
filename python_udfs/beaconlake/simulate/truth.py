"""Ground-truth rows: one per channel (host and query name) that the simulation made periodic."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from beaconlake.simulate.events import US
from beaconlake.simulate.plan import Context
from beaconlake.simulate.scenario import ServiceSpec

TRUTH_COLUMNS = [
    "tenant_id",
    "host_id",
    "label",
    "category",
    "channel",
    "query_name",
    "registered_domain",
    "subdomain_per_beat",
    "period_seconds",
    "jitter",
    "jitter_model",
    "drop_prob",
    "offline_at_night",
    "queries_per_beat",
    "scheduled_beats",
    "n_beats",
    "n_events",
    "missing_share",
    "first_seen_at",
    "last_seen_at",
    "shape",
    "query_type",
    "nxdomain_share",
    "other_names",
]


def truth_row(
    ctx: Context,
    ch: pd.Series,
    spec: object,
    label: str,
    category: str,
    sched: int,
    kept: np.ndarray,
    nxdomain: int = 0,
) -> dict[str, object]:
    pop = ctx.population
    h = int(ch.host)
    n_beats = len(kept)
    per_beat = int(getattr(spec, "queries_per_beat", 1))
    active = getattr(spec, "active", None)
    return {
        "tenant_id": pop.tenant_ids[pop.tenant[h]],
        "host_id": pop.host_ids[h],
        "label": label,
        "category": category,
        "channel": getattr(spec, "name", ""),
        "query_name": ch.query_name,
        "registered_domain": ch.registered_domain,
        "subdomain_per_beat": bool(getattr(spec, "subdomain_per_beat", False)),
        "period_seconds": float(getattr(spec, "period_seconds", 0.0)),
        "jitter": float(getattr(spec, "jitter", 0.0)),
        "jitter_model": getattr(spec, "jitter_model", "none"),
        "drop_prob": float(getattr(spec, "drop_prob", 0.0)),
        "offline_at_night": bool(
            getattr(spec, "offline_at_night", active in ("power", "work", "session"))
            and not pop.always_on[h]
        ),
        "queries_per_beat": per_beat,
        "scheduled_beats": int(sched),
        "n_beats": n_beats,
        "n_events": n_beats * per_beat,
        "missing_share": round(1.0 - n_beats / sched, 6) if sched else 0.0,
        "first_seen_at": iso_time(kept.min()) if n_beats else None,
        "last_seen_at": iso_time(kept.max()) if n_beats else None,
        "shape": getattr(spec, "shape", ""),
        "query_type": getattr(spec, "query_type", "A"),
        "nxdomain_share": round(nxdomain / n_beats, 6) if n_beats else 0.0,
        "other_names": ch.other_names,
    }


def iso_time(t: float) -> str:
    return dt.datetime.fromtimestamp(float(t), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_times(t: np.ndarray) -> np.ndarray:
    stamps = pd.to_datetime(np.round(t * US).astype(np.int64), unit="us")
    return stamps.strftime("%Y-%m-%dT%H:%M:%S.%fZ").to_numpy(dtype=object)


def service_truth(
    ctx: Context,
    rows: pd.DataFrame,
    svc: ServiceSpec,
    idx: np.ndarray,
    t: np.ndarray,
    sched: np.ndarray,
    nx: np.ndarray,
) -> pd.DataFrame:
    """Ground truth of one service's channels on this chunk, built column-wise."""
    pop = ctx.population
    hosts = rows.host.to_numpy()
    n = len(hosts)
    n_beats = np.bincount(idx, minlength=n)
    n_nx = np.bincount(idx, weights=nx, minlength=n)
    bounds = np.searchsorted(idx, np.arange(n + 1))
    has = n_beats > 0
    first = last = np.zeros(n)
    if len(t):
        first = t[np.minimum(bounds[:-1], len(t) - 1)]
        last = t[np.maximum(bounds[1:] - 1, 0)]
    offline = (svc.active in ("power", "work", "session")) & ~pop.always_on[hosts]
    return pd.DataFrame(
        {
            "tenant_id": np.array(pop.tenant_ids, dtype=object)[pop.tenant[hosts]],
            "host_id": pop.host_ids[hosts],
            "label": "benign_periodic",
            "category": svc.category,
            "channel": svc.name,
            "query_name": rows.query_name.to_numpy(),
            "registered_domain": rows.registered_domain.to_numpy(),
            "subdomain_per_beat": svc.subdomain_per_beat,
            "period_seconds": float(svc.period_seconds),
            "jitter": float(svc.jitter),
            "jitter_model": svc.jitter_model,
            "drop_prob": 0.0,
            "offline_at_night": offline,
            "queries_per_beat": svc.queries_per_beat,
            "scheduled_beats": sched.astype(np.int64),
            "n_beats": n_beats,
            "n_events": n_beats * svc.queries_per_beat,
            "missing_share": np.where(
                sched > 0, np.round(1.0 - n_beats / np.maximum(sched, 1), 6), 0.0
            ),
            "first_seen_at": np.where(has, iso_times(first), np.array(None)),
            "last_seen_at": np.where(has, iso_times(last), np.array(None)),
            "shape": "",
            "query_type": svc.query_type,
            "nxdomain_share": np.round(n_nx / np.maximum(n_beats, 1), 6),
            "other_names": "",
        },
        columns=TRUTH_COLUMNS,
    )
