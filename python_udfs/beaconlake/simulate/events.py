"""A batch of DNS events as parallel arrays, the codes its columns hold, and the client cache.

Every traffic source (browsing, server lookups, periodic channels) produces ``Events``; the
client cache decides which of a host's lookups reach the network at all.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUERY_TYPES = np.array(
    ["A", "AAAA", "HTTPS", "TXT", "MX", "CNAME", "SRV", "PTR", "NULL"], dtype=object
)
QTYPE_CODE = {str(q): np.int8(i) for i, q in enumerate(QUERY_TYPES)}
RESPONSE_CODES = np.array(["NOERROR", "NXDOMAIN", "SERVFAIL"], dtype=object)
US = 1_000_000
NXDOMAIN = np.int8(1)


@dataclass
class Events:
    """A batch of events as parallel arrays; ``t_us`` is epoch microseconds (UTC)."""

    t_us: np.ndarray
    host: np.ndarray
    name: np.ndarray
    qtype: np.ndarray
    rcode: np.ndarray

    @staticmethod
    def concat(parts: list[Events]) -> Events:
        return Events(*(np.concatenate([getattr(p, f) for p in parts]) for f in _EVENT_FIELDS))

    def take(self, idx: np.ndarray) -> Events:
        return Events(*(getattr(self, f)[idx] for f in _EVENT_FIELDS))

    def __len__(self) -> int:
        return len(self.t_us)


_EVENT_FIELDS = ("t_us", "host", "name", "qtype", "rcode")


def empty_events() -> Events:
    return Events(
        np.empty(0, np.int64),
        np.empty(0, np.int32),
        np.empty(0, np.int32),
        np.empty(0, np.int8),
        np.empty(0, np.int8),
    )


def client_cache(host: np.ndarray, name: np.ndarray, t: np.ndarray, ttl: np.ndarray) -> np.ndarray:
    """Mask of lookups that reach the network past the client's DNS cache.

    Per (host, name) the first lookup goes out; later ones are answered from the cache until the
    TTL since the last lookup that went out has passed. The chain "next lookup at least one TTL
    later" is followed for all series at once, one step per iteration.
    """
    n = len(t)
    if n == 0:
        return np.zeros(0, bool)
    key = host.astype(np.int64) << 32 | name.astype(np.int64)
    order = np.lexsort((t, key))
    ks, ts = key[order], t[order]
    new_group = np.empty(n, bool)
    new_group[0] = True
    new_group[1:] = ks[1:] != ks[:-1]
    group = np.cumsum(new_group) - 1
    starts = np.flatnonzero(new_group)
    ends = np.append(starts[1:], n)[group]
    # one sorted axis for every series: group number, then time within the window
    stride = float(ts.max() - ts.min()) + float(ttl.max()) + 1.0
    axis = group * stride + (ts - ts.min())
    nxt = np.searchsorted(axis, axis + ttl[name[order]], side="left")
    nxt[nxt >= ends] = -1
    keep_sorted = np.zeros(n, bool)
    current = starts
    while len(current):
        keep_sorted[current] = True
        current = nxt[current]
        current = current[current >= 0]
    keep = np.empty(n, bool)
    keep[order] = keep_sorted
    return keep
