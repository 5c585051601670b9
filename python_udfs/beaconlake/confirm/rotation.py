"""C2 that rotates over several domains: score a host's domains as one series.

An implant that spreads its beats over three registered domains leaves each domain a third of
the beats, at intervals that are sums of its gaps: no single domain looks periodic. Two ways in:

- ``score_pool``: the dbt models' rotation pools (``fct_beacon_rotation_candidates``): a host's
  rare domains, related by name or not, whose merged series is regular and faster than any of
  them alone. Members that do not fit the shared schedule are dropped one at a time while that
  makes the union more periodic; a confirmed union names every member that remains.
- ``score_groups``: among the pair candidates, rare domains that were not confirmed alone, whose
  names look alike (a shared stem such as ``saitama-fake-domain-``, or one DGA family) and
  whose beats overlap in time.

Either way every member becomes a finding with the group's evidence ("rotates over ..."), with
the union's result or its own if that is stronger.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from beaconlake.confirm.lexical import local_kind, shape_similarity
from beaconlake.confirm.periodicity import Periodicity, analyze
from beaconlake.confirm.scoring import FLEET_FREE_HOSTS

#: Name similarity (``lexical.shape_similarity``) at which two domains may be siblings.
MIN_SIMILARITY = 0.5
#: Share of the shorter of two active spans that must overlap the other.
MIN_OVERLAP = 0.5
#: Most domains one group may hold (rotating implants use a handful).
MAX_GROUP = 8
#: Most jitter a rotation pool's union may have. A pool is picked among a host's many rare
#: domains, so a loose schedule is found there by chance far more often than in one domain's
#: series (a person's visits to four small sites read "every 20 min ± 100 %"); implants that
#: rotate keep theirs (Saitama's three domains together: ± 35 %).
MAX_POOL_JITTER = 0.5


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    shorter = max(min(a[1] - a[0], b[1] - b[0]), 1.0)
    return max(0.0, inter) / shorter


def _root(parent: dict[int, int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def groups(members: pd.DataFrame, min_periodicity: float) -> list[list[int]]:
    """Index lists of sibling domains, two or more each, among one frame of candidates, with
    a member not confirmed alone (periodicity score below ``min_periodicity``).

    ``members`` needs ``tenant_id, host_id, domain_level, domain, registered_domain,
    periodicity_score, domain_hosts, known_good_reason, first_beat, last_beat``. Eligible:
    rare (at most ``FLEET_FREE_HOSTS`` hosts), not known good, not a local name; one level per
    registered domain (the registered-domain series when a host has both). A group needs at
    least one member that is not confirmed alone (otherwise each is reported on its own).
    """
    ok = (
        (members.domain_hosts.fillna(1) <= FLEET_FREE_HOSTS)
        & members.known_good_reason.isna()
        & members.first_beat.notna()
        & members.domain.map(lambda d: local_kind(str(d)) is None)
    )
    pool = members[ok].copy()
    pool["_level"] = (pool.domain_level == "registered_domain").astype(int)
    pool = pool.sort_values("_level", ascending=False).drop_duplicates(
        ["tenant_id", "host_id", "registered_domain"]
    )
    out: list[list[int]] = []
    for _, host in pool.groupby(["tenant_id", "host_id"], sort=False):
        if len(host) < 2:
            continue
        idx = list(host.index)
        parent = {i: i for i in idx}
        rows = host.to_dict("index")
        for a_pos, a in enumerate(idx):
            for b in idx[a_pos + 1 :]:
                ra, rb = rows[a], rows[b]
                span_a = (ra["first_beat"], ra["last_beat"])
                span_b = (rb["first_beat"], rb["last_beat"])
                if _overlap(span_a, span_b) < MIN_OVERLAP:
                    continue
                similarity = shape_similarity(ra["registered_domain"], rb["registered_domain"])
                if similarity < MIN_SIMILARITY:
                    continue
                parent[_root(parent, a)] = _root(parent, b)
        comps: dict[int, list[int]] = {}
        for i in idx:
            comps.setdefault(_root(parent, i), []).append(i)
        weak = set(host.index[host.periodicity_score < min_periodicity])
        out += [sorted(c) for c in comps.values() if 2 <= len(c) <= MAX_GROUP and weak & set(c)]
    return out


def score_pool(
    beats: dict[str, np.ndarray],
    start: float,
    end: float,
    active_seconds: float | None,
    min_periodicity: float,
    merge_seconds: float | None = None,
) -> tuple[list[str], Periodicity] | None:
    """The members of one host's rotation pool that form a confirmed beacon, and its result.

    ``beats`` maps each member domain to its beat times (epoch seconds). The union of all
    members is analysed (beats of two members within ``merge_seconds`` are one call-home, see
    ``periodicity.analyze``); while more than two remain, the member whose removal makes the union
    most periodic is dropped if that raises the score (a browsing visit or another beacon that
    happened to be in the pool). None when what remains is not confirmed periodic (a score
    below ``min_periodicity``), is looser
    than ``MAX_POOL_JITTER``, or is no more periodic than one of its members alone (a beacon
    with a few visits around it: the beacon is a finding on its own).
    """
    members = sorted(m for m, t in beats.items() if len(t))

    def union(names: list[str]) -> Periodicity:
        times = np.sort(np.concatenate([beats[m] for m in names]))
        return analyze(times, start, end, active_seconds, merge_seconds=merge_seconds)

    if len(members) < 2:
        return None
    best = union(members)
    while len(members) > 2:
        trials = [(union([m for m in members if m != drop]), drop) for drop in members]
        p, drop = max(trials, key=lambda trial: trial[0].periodicity_score)
        if p.periodicity_score <= best.periodicity_score:
            break
        members.remove(drop)
        best = p
    if best.periodicity_score < min_periodicity or best.jitter > MAX_POOL_JITTER:
        return None
    alone = (
        analyze(beats[m], start, end, active_seconds, merge_seconds=merge_seconds) for m in members
    )
    if any(p.periodicity_score >= best.periodicity_score for p in alone):
        return None
    return members, best


def score_groups(
    members: pd.DataFrame,
    times: Callable[[int], np.ndarray],
    start: float,
    end: float,
    min_periodicity: float,
    merge_seconds: float | None = None,
) -> list[tuple[list[int], Periodicity]]:
    """Each sibling group whose union of beats is confirmed periodic, with that union's result
    (more periodic than the group's members that are not confirmed alone).

    ``times(i)`` returns the beat times of candidate ``i``; ``host_active_seconds`` of the
    members gives the host's activity; ``merge_seconds`` as in ``score_pool``.
    """
    found = []
    for group in groups(members, min_periodicity):
        union = np.sort(np.concatenate([times(i) for i in group]))
        active = members.loc[group, "host_active_seconds"].max()
        active = float(active) if pd.notna(active) else None
        p = analyze(union, start, end, active, merge_seconds=merge_seconds)
        alone = members.loc[group, "periodicity_score"]
        best_weak = float(alone[alone < min_periodicity].max())
        if p.periodicity_score >= min_periodicity and p.periodicity_score > best_weak:
            found.append((group, p))
    return found
