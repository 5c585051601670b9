"""Replay a real C2 capture inside real benign traffic and report what the pipeline makes of it.

No labelled corpus of real DNS C2 inside real enterprise traffic exists, but real C2 captures and
real benign captures do. ``beaconlake replay`` joins one of each without fabricating anything:

- the C2 capture's queries are moved onto one of the background's hosts and shifted in time by a
  single whole number of seconds, so every interval between C2 queries is exactly the captured one;
- by default the C2 is centred on the background's time span and kept inside the days the
  background covers (``--offset-seconds`` places its first query relative to the background's
  first event instead). A background shorter than the C2 is never looped or tiled: the report
  states how much of the C2's span the background actually covers;
- the default host is the background host with the most events during the C2's placed span, so
  the implant hides in the busiest real traffic (``--host`` chooses another);
- every query of the C2 capture is C2; ``ground_truth.csv`` has one row per registered domain.

The pipeline then runs on the combined input and the report says, at the registered-domain level,
whether each C2 domain became a finding (rank, score, severity, reason) or, if not, what the
candidate and confirmation stages said about it; it lists every other finding with its reason
and the findings per host-day. ``--benign-only`` runs an untouched background the same way.

Modules: ``captures`` (reading the logs; units and file names), ``mixing`` (placement and the
combined input), ``ranking`` (findings and stage verdicts after the run), ``reporting`` (the
report and ``run_replay``), ``real_captures`` (the real C2 capture and benign backgrounds the
replay is measured on).
"""

from __future__ import annotations

from beaconlake.replay.captures import (
    DAY_US,
    DB_FILE,
    EVENTS_DIR,
    GROUND_TRUTH_FILE,
    PLAN_FILE,
    RELATIVE_BEFORE,
    REPORT_FILE,
    US,
    read_c2,
    read_contract,
)
from beaconlake.replay.mixing import (
    Background,
    Placement,
    choose_host,
    ground_truth,
    place,
    prepare,
    summarise_background,
)
from beaconlake.replay.ranking import (
    host_days,
    ranked_findings,
)
from beaconlake.replay.real_captures import (
    REAL_BACKGROUNDS,
    REAL_C2,
    RealBackground,
    shared_data_dir,
)
from beaconlake.replay.reporting import (
    analyse,
    render,
    run_replay,
)

__all__ = [
    "DAY_US",
    "DB_FILE",
    "EVENTS_DIR",
    "GROUND_TRUTH_FILE",
    "PLAN_FILE",
    "REAL_BACKGROUNDS",
    "REAL_C2",
    "RELATIVE_BEFORE",
    "REPORT_FILE",
    "US",
    "Background",
    "Placement",
    "RealBackground",
    "analyse",
    "choose_host",
    "ground_truth",
    "host_days",
    "place",
    "prepare",
    "ranked_findings",
    "read_c2",
    "read_contract",
    "render",
    "run_replay",
    "shared_data_dir",
    "summarise_background",
]
