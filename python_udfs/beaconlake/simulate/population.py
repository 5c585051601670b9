"""Hosts, tenants and when each machine is on and its user at work.

Workstations follow their user: on from shortly before arrival to some time after leaving on
weekdays (a quarter are never switched off), browsing only during working hours. Servers run 24/7.
Each tenant sits in its own time zone, so one tenant's working day is another's night.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from beaconlake.simulate.scenario import Scenario

DAY = 86_400
HOUR = 3_600
#: UTC offsets (hours) given to tenants in turn.
TENANT_UTC_OFFSETS = (0.0, -5.0, 1.0, 9.0, -8.0, 5.5, 2.0, -3.0)
#: Weekday index (Mon=0) of 1970-01-01, to get a weekday from days since the epoch.
EPOCH_WEEKDAY = 3
#: Breaks in a working day: lunch (share of days, local start window, minutes) and short
#: breaks and meetings away from the machine (mean count per day, minutes).
LUNCH_SHARE = 0.85
LUNCH_START_H = (11.75, 13.25)
LUNCH_MINUTES = (30.0, 60.0)
BREAKS_PER_DAY = 1.5
BREAK_MINUTES = (10.0, 50.0)


@dataclass(frozen=True)
class Population:
    """One entry per host, in host order (hosts are grouped by tenant)."""

    tenant_ids: tuple[str, ...]
    tenant: np.ndarray  # int, index into tenant_ids
    host_ids: np.ndarray  # object (str)
    is_server: np.ndarray  # bool
    activity: np.ndarray  # float, multiplies the mean browsing volume
    offset_s: np.ndarray  # int, the tenant's UTC offset in seconds
    arrive_s: np.ndarray  # local seconds of day the user starts work
    leave_s: np.ndarray  # local seconds of day the user stops
    power_on_s: np.ndarray  # local seconds of day the machine comes on (weekdays)
    power_off_s: np.ndarray
    always_on: np.ndarray  # bool: servers and workstations never switched off

    @property
    def size(self) -> int:
        return len(self.host_ids)

    def _local(self, host: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        local = t + self.offset_s[host]
        days = np.floor_divide(local, DAY)
        weekday = (days + EPOCH_WEEKDAY) % 7
        return local - days * DAY, weekday

    def powered(self, host: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether each host is switched on at epoch second ``t``."""
        sod, weekday = self._local(host, t)
        on = (weekday < 5) & (sod >= self.power_on_s[host]) & (sod < self.power_off_s[host])
        return self.always_on[host] | on

    def working(self, host: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Whether each host's user is at work at epoch second ``t`` (servers: always)."""
        sod, weekday = self._local(host, t)
        on = (weekday < 5) & (sod >= self.arrive_s[host]) & (sod < self.leave_s[host])
        return self.is_server[host] | on


def work_segments(
    pop: Population, rng: np.random.Generator, hosts: np.ndarray, start_s: float, end_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stretches of ``[start_s, end_s)`` in which each workstation's user sits at the machine.

    Weekdays from arrival to departure, minus lunch and a few breaks and meetings. Servers get
    the whole window. Returns ``(host, seg_start, seg_end)`` sorted by host, then time.
    """
    ws = hosts[~pop.is_server[hosts]]
    first_day = int((start_s + pop.offset_s[hosts].min()) // DAY) if len(hosts) else 0
    last_day = int((end_s - 1 + pop.offset_s[hosts].max()) // DAY) if len(hosts) else -1
    days = np.arange(first_day, last_day + 1)
    weekday = (days + EPOCH_WEEKDAY) % 7
    days = days[weekday < 5]
    # one row per (workstation, local weekday)
    g_host = np.repeat(ws, len(days))
    g_day = np.tile(days, len(ws))
    base = g_day * DAY - pop.offset_s[g_host]
    lo = (base + pop.arrive_s[g_host]).astype(float)
    hi = (base + pop.leave_s[g_host]).astype(float)
    n = len(g_host)
    # breaks: lunch on most days, plus Poisson short breaks anywhere in the day
    lunch = rng.random(n) < LUNCH_SHARE
    l_start = base + rng.uniform(*LUNCH_START_H, n) * HOUR
    l_len = rng.uniform(*LUNCH_MINUTES, n) * 60
    k = rng.poisson(BREAKS_PER_DAY, n)
    b_group = np.repeat(np.arange(n), k)
    b_start = lo[b_group] + rng.random(len(b_group)) * (hi - lo)[b_group]
    b_len = rng.uniform(*BREAK_MINUTES, len(b_group)) * 60
    group = np.concatenate([np.flatnonzero(lunch), b_group])
    br_lo = np.concatenate([l_start[lunch], b_start])
    br_hi = br_lo + np.concatenate([l_len[lunch], b_len])
    order = np.lexsort((br_lo, group))
    group, br_lo, br_hi = group[order], br_lo[order], br_hi[order]
    # the stretch before each break starts where the previous breaks (merged) ended
    new = np.ones(len(group), bool)
    new[1:] = group[1:] != group[:-1]
    reach = br_hi.copy()
    for i in range(1, len(reach)):  # running maximum within a group; few breaks per day
        if not new[i]:
            reach[i] = max(reach[i], reach[i - 1])
    prev_end = np.where(new, lo[group], np.roll(reach, 1))
    last = np.ones(len(group), bool)
    last[:-1] = group[1:] != group[:-1]
    tail_start = lo.copy()
    tail_start[group[last]] = reach[last]
    seg_g = np.concatenate([group, np.arange(n)])
    seg_lo = np.concatenate([np.maximum(prev_end, lo[group]), np.maximum(tail_start, lo)])
    seg_hi = np.concatenate([np.minimum(br_lo, hi[group]), hi])
    seg_lo, seg_hi = np.maximum(seg_lo, start_s), np.minimum(seg_hi, end_s)
    keep = seg_hi > seg_lo
    seg_host = np.concatenate([g_host[seg_g[keep]], hosts[pop.is_server[hosts]]])
    seg_lo = np.concatenate([seg_lo[keep], np.full(len(seg_host) - keep.sum(), float(start_s))])
    seg_hi = np.concatenate([seg_hi[keep], np.full(len(seg_lo) - keep.sum(), float(end_s))])
    order = np.lexsort((seg_lo, seg_host))
    return seg_host[order], seg_lo[order], seg_hi[order]


def tenant_name(k: int) -> str:
    return f"tenant-{k + 1:02d}"


def build_population(scenario: Scenario) -> Population:
    """Split hosts over tenants (unequal sizes) and draw each host's habits."""
    rng = np.random.default_rng([scenario.seed, 0x505])
    n, k = scenario.hosts, scenario.tenants
    weights = 1.0 / np.arange(1, k + 1) ** 0.7
    sizes = np.maximum(1, np.floor(weights / weights.sum() * n).astype(int))
    sizes[0] += n - sizes.sum()
    tenant = np.repeat(np.arange(k), sizes)
    within = np.concatenate([np.arange(s) for s in sizes])
    host_ids = np.array(
        [f"10.{t + 1}.{i // 254}.{i % 254 + 1}" for t, i in zip(tenant, within, strict=True)],
        dtype=object,
    )
    is_server = rng.random(n) < scenario.server_share
    activity = rng.lognormal(-0.5 * 0.8**2, 0.8, n)  # mean 1
    offsets = np.array(TENANT_UTC_OFFSETS)[np.arange(k) % len(TENANT_UTC_OFFSETS)]
    offset_s = (offsets[tenant] * HOUR).astype(np.int64)
    arrive = np.clip(rng.normal(8.5, 0.75, n), 6.0, 11.0) * HOUR
    leave = np.clip(arrive / HOUR + rng.normal(9.0, 1.0, n), 12.0, 22.0) * HOUR
    power_on = arrive - rng.uniform(0.05, 0.5, n) * HOUR
    power_off = np.minimum(leave + rng.exponential(1.0, n) * HOUR, DAY)
    always_on = is_server | (rng.random(n) < 0.25)
    return Population(
        tenant_ids=tuple(tenant_name(t) for t in range(k)),
        tenant=tenant,
        host_ids=host_ids,
        is_server=is_server,
        activity=activity,
        offset_s=offset_s,
        arrive_s=arrive.astype(np.int64),
        leave_s=leave.astype(np.int64),
        power_on_s=power_on.astype(np.int64),
        power_off_s=power_off.astype(np.int64),
        always_on=always_on,
    )
