"""What a simulated dataset contains: population, benign services and planted C2 beacons.

A :class:`Scenario` is built from CLI options or from a TOML scenario file (keys mirror the
fields below; ``[[beacon]]`` and ``[[service]]`` tables list channels explicitly).
"""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import numpy as np

from beaconlake.simulate.timing import JITTER_MODELS

#: Defaults of the random C2 mix: each beacon draws one value from each list.
DEFAULT_PERIODS = (15.0, 60.0, 300.0, 900.0, 1800.0, 3000.0, 3600.0, 7200.0, 21600.0)
DEFAULT_JITTERS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.8)
DEFAULT_MODELS = ("uniform", "sleep_reduction", "gaussian", "additive")
DEFAULT_DROP_PROBS = (0.0, 0.0, 0.1, 0.25)


@dataclass(frozen=True)
class BeaconSpec:
    """One C2 family: a schedule run by an implant on ``hosts`` hosts of one tenant."""

    name: str
    period_seconds: float
    jitter: float = 0.0
    jitter_model: str = "uniform"
    drop_prob: float = 0.0
    offline_at_night: bool = False
    queries_per_beat: int = 1
    subdomain_per_beat: bool = False
    hosts: int = 1
    query_name: str | None = None
    registered_domain: str | None = None

    def __post_init__(self) -> None:
        _check_channel(self.name, self.period_seconds, self.jitter, self.jitter_model)
        if not 0 <= self.drop_prob < 1:
            raise ValueError(f"beacon {self.name}: drop_prob must be in [0, 1)")
        if not 1 <= self.queries_per_beat <= 3:
            raise ValueError(f"beacon {self.name}: queries_per_beat must be 1, 2 or 3")
        if self.hosts < 1:
            raise ValueError(f"beacon {self.name}: hosts must be >= 1")


@dataclass(frozen=True)
class ServiceSpec:
    """A benign periodic service on ``host_share`` of hosts (prevalent) or ``hosts`` per tenant.

    ``active`` is ``power`` (runs while the machine is on), ``work`` (only while the user works,
    like a chat client) or ``always`` (servers and always-on machines alike).
    """

    name: str
    query_name: str
    period_seconds: float
    jitter: float = 0.0
    jitter_model: str = "uniform"
    host_share: float = 0.0
    hosts: int = 0
    host_kind: str = "any"
    active: str = "power"
    queries_per_beat: int = 1

    def __post_init__(self) -> None:
        _check_channel(self.name, self.period_seconds, self.jitter, self.jitter_model)
        if self.host_kind not in ("any", "workstation", "server"):
            raise ValueError(f"service {self.name}: host_kind must be any|workstation|server")
        if self.active not in ("power", "work", "always"):
            raise ValueError(f"service {self.name}: active must be power|work|always")

    @property
    def category(self) -> str:
        return "rare_service" if self.hosts else "prevalent_service"


def _check_channel(name: str, period: float, jitter: float, model: str) -> None:
    if period <= 0:
        raise ValueError(f"{name}: period_seconds must be positive")
    if jitter < 0:
        raise ValueError(f"{name}: jitter must be >= 0")
    if model not in JITTER_MODELS:
        raise ValueError(f"{name}: jitter_model must be one of {', '.join(JITTER_MODELS)}")


#: Benign periodic services seen on most corporate fleets. Some are on the known-good list,
#: some are not (a detector must then rank them low by prevalence, not by a list).
DEFAULT_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("windows-telemetry", "v10.events.data.microsoft.com", 900, 0.1, "uniform", 0.85),
    ServiceSpec("windows-push", "client.wns.windows.com", 1800, 0.05, "uniform", 0.7),
    ServiceSpec("ntp", "time.windows.com", 3600, 0.0, "none", 0.6, queries_per_beat=2),
    ServiceSpec("chrome-update", "update.googleapis.com", 18000, 0.2, "uniform", 0.5),
    ServiceSpec("edr-telemetry", "ingest.sentinel-edr.com", 300, 0.02, "uniform", 0.95),
    ServiceSpec("av-definitions", "defs.avvendor-update.net", 3600, 0.5, "additive", 0.6),
    ServiceSpec(
        "whatsapp",
        "g.whatsapp.net",
        240,
        0.3,
        "uniform",
        0.15,
        host_kind="workstation",
        active="work",
        queries_per_beat=2,
    ),
    ServiceSpec(
        "trusteer-rapport",
        "rapport.trusteer.com",
        1200,
        0.15,
        "gaussian",
        0.2,
        host_kind="workstation",
    ),
    ServiceSpec(
        "slack",
        "wss-primary.slack.com",
        600,
        0.3,
        "sleep_reduction",
        0.4,
        host_kind="workstation",
        active="work",
        queries_per_beat=2,
    ),
)

#: Rare benign periodic services: a few servers per tenant poll an internal tool.
DEFAULT_RARE_SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        "monitoring-agent",
        "zabbix.corp-monitor.net",
        60,
        0.01,
        "uniform",
        hosts=2,
        host_kind="server",
        active="always",
    ),
    ServiceSpec(
        "backup-controller",
        "ctl.backupvault-cloud.com",
        3600,
        0.05,
        "uniform",
        hosts=1,
        host_kind="server",
        active="always",
    ),
)


@dataclass(frozen=True)
class Scenario:
    """Everything that determines a simulated dataset; equal scenarios give identical files."""

    hosts: int = 1_000
    days: int = 1
    start_date: dt.date = dt.date(2026, 11, 2)
    tenants: int = 3
    seed: int = 0
    events_per_host: float = 10_000.0
    server_share: float = 0.1
    n_sites: int = 20_000
    beacons: tuple[BeaconSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = DEFAULT_SERVICES + DEFAULT_RARE_SERVICES

    def __post_init__(self) -> None:
        if self.hosts < 1 or self.days < 1 or self.tenants < 1:
            raise ValueError("hosts, days and tenants must be >= 1")
        if self.tenants > min(self.hosts, 250):
            raise ValueError("tenants must be <= hosts and <= 250")
        if not 0 <= self.server_share <= 1:
            raise ValueError("server_share must be in [0, 1]")
        names = [b.name for b in self.beacons] + [s.name for s in self.services]
        if len(names) != len(set(names)):
            raise ValueError("beacon and service names must be unique")

    @property
    def end_date(self) -> dt.date:
        return self.start_date + dt.timedelta(days=self.days)


def random_beacons(
    n: int,
    seed: int,
    periods: tuple[float, ...] = DEFAULT_PERIODS,
    jitters: tuple[float, ...] = DEFAULT_JITTERS,
    models: tuple[str, ...] = DEFAULT_MODELS,
    drop_probs: tuple[float, ...] = DEFAULT_DROP_PROBS,
    subdomain_share: float = 0.25,
    max_hosts: int = 3,
) -> tuple[BeaconSpec, ...]:
    """``n`` C2 families with parameters drawn uniformly from the given lists (seeded)."""
    rng = np.random.default_rng([seed, 0xC2])
    out = []
    for i in range(n):
        jitter = float(rng.choice(jitters))
        model = str(rng.choice(models))
        out.append(
            BeaconSpec(
                name=f"c2-{i:03d}",
                period_seconds=float(rng.choice(periods)),
                jitter=jitter,
                jitter_model=model if jitter > 0 else "none",
                drop_prob=float(rng.choice(drop_probs)),
                offline_at_night=bool(rng.random() < 0.3),
                queries_per_beat=int(rng.choice([1, 2, 2, 3])),
                subdomain_per_beat=bool(rng.random() < subdomain_share),
                hosts=int(rng.integers(1, max_hosts + 1)),
            )
        )
    return tuple(out)


def grid_beacons(
    periods: tuple[float, ...] = DEFAULT_PERIODS,
    jitters: tuple[float, ...] = DEFAULT_JITTERS,
    models: tuple[str, ...] = DEFAULT_MODELS,
    drop_probs: tuple[float, ...] = (0.0, 0.25),
    subdomain: tuple[bool, ...] = (False, True),
) -> tuple[BeaconSpec, ...]:
    """One single-host C2 family per combination: balanced buckets for evaluation."""
    out = []
    combos = itertools.product(periods, jitters, models, drop_probs, subdomain)
    for i, (period, jitter, model, drop, sub) in enumerate(combos):
        if jitter == 0 and model != models[0]:
            continue  # without jitter every model is the same schedule
        out.append(
            BeaconSpec(
                name=f"c2-{i:04d}",
                period_seconds=period,
                jitter=jitter,
                jitter_model=model if jitter > 0 else "none",
                drop_prob=drop,
                queries_per_beat=1 + i % 3,
                subdomain_per_beat=sub,
            )
        )
    return tuple(out)


def load_scenario(path: Path, **overrides: Any) -> Scenario:
    """Read a TOML scenario file; ``overrides`` that are not None win over the file."""
    try:
        raw = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read scenario {path}: {exc}") from exc
    beacons = tuple(BeaconSpec(**b) for b in raw.pop("beacon", []))
    services_raw = raw.pop("service", None)
    known = {f.name for f in fields(Scenario)}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"scenario {path}: unknown keys {sorted(unknown)}")
    if "start_date" in raw and isinstance(raw["start_date"], str):
        raw["start_date"] = dt.date.fromisoformat(raw["start_date"])
    scenario = Scenario(**raw, beacons=beacons)
    if services_raw is not None:
        scenario = replace(scenario, services=tuple(ServiceSpec(**s) for s in services_raw))
    return replace(scenario, **{k: v for k, v in overrides.items() if v is not None})


__all__ = [
    "DEFAULT_SERVICES",
    "BeaconSpec",
    "Scenario",
    "ServiceSpec",
    "grid_beacons",
    "load_scenario",
    "random_beacons",
]
