"""The real captures the replay is measured on: one C2 capture and the real benign logs it is
replayed into, under ``real/`` of the shared data folder (kept beside the repository, never
copied into it). ``benchmarks/real_logs.py`` reports on each background; the replay tests run
each one.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

from beaconlake.project import project_dir

#: Environment variable naming the shared data folder (default: ``shared/data`` beside the
#: project directory).
SHARED_DATA_ENV = "BEACONLAKE_SHARED_DATA"
#: The Saitama implant's DNS log (three rotating registered domains), under ``real/``.
REAL_C2 = "saitama_foxit/dns.log"


@dataclass(frozen=True)
class RealBackground:
    """A real benign capture: its log files under ``real/``; the date its relative times are
    rebased to (None when they are absolute); its benign periodic lookups that a report follows
    (label -> names)."""

    files: tuple[str, ...]
    rebase_date: dt.date | None = None
    landmarks: dict[str, frozenset[str]] = field(default_factory=dict)


#: The backgrounds by name. The Stratosphere capture's relative times go to the date in its own
#: ``#open`` header.
REAL_BACKGROUNDS: dict[str, RealBackground] = {
    "rita_missing_host": RealBackground(
        ("rita_missing_host/dns_3days.log.gz",),
        landmarks={"hourly reverse lookup": frozenset({"201.56.225.64.in-addr.arpa"})},
    ),
    "rita_proxy": RealBackground(("rita_proxy/proxy_dns.log.gz",)),
    "rita_proxy_rolling": RealBackground(("rita_proxy/proxy_rolling_dns_2h.log.gz",)),
    "wrccdc2018": RealBackground(
        ("wrccdc2018/dns.log.gz",),
        landmarks={
            "30 s health check": frozenset({"ise.wrccdc.org"}),
            "60 s health check": frozenset({"arena1.wrccdc.cpp.edu"}),
        },
    ),
    "stratosphere_009_kovter": RealBackground(
        ("stratosphere_009_kovter/dns.log.labeled.gz",), dt.date(2017, 3, 1)
    ),
}


def shared_data_dir() -> Path:
    """The shared data folder: ``$BEACONLAKE_SHARED_DATA``, else ``shared/data`` beside the
    project directory (it may not exist)."""
    configured = os.environ.get(SHARED_DATA_ENV)
    return Path(configured) if configured else project_dir().parent / "shared" / "data"
