"""What a simulation draws once and every chunk shares: hosts, names and channels.

``build_context`` draws the population and the benign vocabulary, then ``plan_channels`` assigns
the benign periodic services and the C2 beacons to hosts; chunk workers only read the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from beaconlake.domains import registered_domain
from beaconlake.simulate.c2 import POPULAR_SITE_RANKS, campaign_hosts
from beaconlake.simulate.population import DAY, Population, build_population
from beaconlake.simulate.scenario import (
    C2_TTLS_S,
    CAMPAIGN_MIN_DAYS,
    Scenario,
    ServiceSpec,
    niche_apps,
)
from beaconlake.simulate.vocab import (
    Vocabulary,
    build_vocabulary,
    c2_domain,
    rotation_domains,
    unrelated_domains,
)


@dataclass(frozen=True)
class Context:
    """Everything a chunk worker needs, drawn once from the scenario."""

    scenario: Scenario
    population: Population
    vocab: Vocabulary
    names: np.ndarray  # benign vocabulary + service and C2 names
    channels: pd.DataFrame
    out: Path
    services: tuple[ServiceSpec, ...]  # the scenario's services, then its niche applications
    name_ttl: np.ndarray  # answer TTL (seconds) of each of ``names``

    @property
    def start_s(self) -> int:
        return int(dt.datetime.combine(self.scenario.start_date, dt.time(), dt.UTC).timestamp())

    @property
    def end_s(self) -> int:
        return self.start_s + self.scenario.days * DAY


def _expand_template(query_name: str, tenant: int, tenant_ids: tuple[str, ...]) -> str:
    return query_name.format(tenant=tenant_ids[tenant], tenant_no=tenant + 1)


def plan_channels(
    scenario: Scenario, pop: Population, vocab: Vocabulary, services: tuple[ServiceSpec, ...]
) -> tuple[pd.DataFrame, list[str], list[float]]:
    """Assign benign services and C2 beacons to hosts: one row per channel.

    Returns the channels, the names they query, to be appended to the benign vocabulary
    (``name_idx`` points into that combined array; -1 marks a fresh subdomain per beat;
    ``alt_idx`` lists a rotating beacon's names; ``start_s`` is a campaign host's infection
    time), and those names' answer TTLs (a channel's ``ttl`` is its names' TTL).
    """
    rng = np.random.default_rng([scenario.seed, 0xC4A])
    # C2 TTLs from a stream of their own: the other draws stay as they were without TTLs
    ttl_rng = np.random.default_rng([scenario.seed, 0x771])
    n_vocab = len(vocab.names)
    rows: list[dict[str, object]] = []
    names: list[str] = []
    ttls: list[float] = []
    n_tenants = len(pop.tenant_ids)
    host_kind = {
        "any": np.ones(pop.size, bool),
        "server": pop.is_server,
        "workstation": ~pop.is_server,
    }
    for s, svc in enumerate(services):
        per_tenant = "{" in svc.query_name
        zones = (
            [_expand_template(svc.query_name, t, pop.tenant_ids) for t in range(n_tenants)]
            if per_tenant
            else [svc.query_name]
        )
        zone_idx = np.full(len(zones), -1)
        ttl = svc.answer_ttl_seconds
        if not svc.subdomain_per_beat:
            zone_idx = n_vocab + len(names) + np.arange(len(zones))
            names.extend(zones)
            ttls.extend([ttl] * len(zones))
        eligible = host_kind[svc.host_kind]
        if svc.hosts:
            tenants = [int(rng.integers(0, n_tenants))] if svc.one_tenant else range(n_tenants)
            chosen = []
            for t in tenants:
                in_t = np.flatnonzero((pop.tenant == t) & eligible)
                if len(in_t) == 0:
                    in_t = np.flatnonzero(pop.tenant == t)
                chosen.append(rng.choice(in_t, min(svc.hosts, len(in_t)), replace=False))
            hosts = np.sort(np.concatenate(chosen))
        else:
            hosts = np.flatnonzero(eligible & (rng.random(pop.size) < svc.host_share))
        zone_of = pop.tenant[hosts] if per_tenant else np.zeros(len(hosts), int)
        rds = [registered_domain(z) for z in zones]
        rows.extend(
            {
                "host": int(h),
                "kind": "service",
                "spec": s,
                "name_idx": int(zone_idx[z]),
                "query_name": zones[z],
                "registered_domain": rds[z],
                "alt_idx": (),
                "other_names": "",
                "ttl": ttl,
            }
            for h, z in zip(hosts, zone_of, strict=True)
        )
    for b, beacon in enumerate(scenario.beacons):
        alt: tuple[int, ...] = ()
        others = ""
        drawn = float(ttl_rng.choice(C2_TTLS_S))  # drawn for every beacon: a stable stream
        ttl = beacon.ttl_seconds or drawn
        if beacon.shape == "campaign" and scenario.days < CAMPAIGN_MIN_DAYS:
            continue  # too short a window to spread over; the manifest's warnings list it
        tenant = int(rng.integers(0, n_tenants))
        in_t = np.flatnonzero(pop.tenant == tenant)
        if beacon.shape == "campaign":
            hosts, start = campaign_hosts(rng, scenario, pop, in_t, beacon.spread_share)
        else:
            hosts = np.sort(rng.choice(in_t, min(beacon.hosts, len(in_t)), replace=False))
            start = np.full(len(hosts), np.nan)
        name_idx = -1
        if beacon.query_name:
            qname = beacon.query_name.lower().rstrip(".")
            rd = beacon.registered_domain or registered_domain(qname)
        elif beacon.shape == "popular_domain":
            site = int(rng.integers(0, POPULAR_SITE_RANKS))
            name_idx = int(vocab.site_first[site] + rng.integers(0, vocab.site_count[site]))
            qname = str(vocab.names[name_idx])
            ttl = float(vocab.ttl_s[name_idx])
            rd = registered_domain(qname)
        elif beacon.domains > 1:
            maker = unrelated_domains if beacon.name_style == "unrelated" else rotation_domains
            pairs = maker(rng, beacon.domains)
            (qname, rd), others = pairs[0], ";".join(q for q, _ in pairs[1:])
            alt = tuple(n_vocab + len(names) + np.arange(len(pairs)))
            names.extend(q for q, _ in pairs)
            ttls.extend([ttl] * len(pairs))
            name_idx = alt[0]
        else:
            qname, rd = c2_domain(rng, beacon.name_style)
        if name_idx < 0 and not beacon.subdomain_per_beat:
            name_idx = n_vocab + len(names)
            names.append(qname)
            ttls.append(ttl)
        rows.extend(
            {
                "host": int(h),
                "kind": "beacon",
                "spec": b,
                "name_idx": name_idx,
                "query_name": qname,
                "registered_domain": rd,
                "alt_idx": alt,
                "other_names": others,
                "ttl": ttl,
                "start_s": float(s0),
            }
            for h, s0 in zip(hosts, start, strict=True)
        )
    channels = pd.DataFrame(
        rows,
        columns=[
            "host",
            "kind",
            "spec",
            "name_idx",
            "query_name",
            "registered_domain",
            "alt_idx",
            "other_names",
            "ttl",
            "start_s",
        ],
    )
    return channels, names, ttls


def build_context(scenario: Scenario, out: Path) -> Context:
    pop = build_population(scenario)
    vocab = build_vocabulary(
        np.random.default_rng([scenario.seed, 0x70C]), n_sites=scenario.n_sites
    )
    services = scenario.services + niche_apps(scenario)
    channels, extra, extra_ttl = plan_channels(scenario, pop, vocab, services)
    names = np.concatenate([vocab.names, np.array(extra, dtype=object)])
    name_ttl = np.concatenate([vocab.ttl_s.astype(float), np.array(extra_ttl, dtype=float)])
    return Context(scenario, pop, vocab, names, channels, out, services, name_ttl)
