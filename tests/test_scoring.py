"""Scores, severities and reasons of confirmed candidates, and the batch runner."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from beaconlake.confirm.batch import confirm
from beaconlake.confirm.periodicity import analyze
from beaconlake.confirm.scoring import Context, rarity, score_candidate, severity
from beaconlake.simulate.timing import beat_times

DAY = 86_400.0


def test_rarity_falls_with_prevalence() -> None:
    assert rarity(1, 10_000) == 1.0
    assert rarity(3, 10_000) > 0.85
    assert rarity(9_000, 10_000) < 0.02
    assert rarity(3, 10_000) > rarity(30, 10_000) > rarity(300, 10_000)


def test_prevalent_keep_alive_ranks_below_a_rare_jittered_beacon() -> None:
    rng = np.random.default_rng(0)
    vendor = analyze(beat_times(rng, 0, DAY, 900, 0.0, "none"), 0, DAY)
    c2 = analyze(beat_times(rng, 0, DAY, 900, 0.5, "uniform"), 0, DAY)
    assert vendor.periodicity_score > c2.periodicity_score  # the vendor is more regular ...
    v = score_candidate(vendor, Context(2_000, 1_700), 0, DAY)
    c = score_candidate(c2, Context(2_000, 2), 0, DAY)
    assert c["score"] > v["score"]  # ... but the rare beacon ranks first


def test_severity_rules() -> None:
    base = Context(1000, 1)
    assert severity(0.7, base, DAY) == "high"
    assert severity(0.45, base, DAY) == "medium"
    assert severity(0.3, base, DAY) == "low"
    assert severity(0.1, base, DAY) == "info"
    assert severity(0.45, Context(1000, 1, first_seen_at=DAY - 3600), DAY) == "high"
    assert severity(0.1, Context(1000, 1, known_c2_family="emotet"), DAY) == "critical"
    assert severity(0.9, Context(1000, 1, known_good_reason="NTP"), DAY) == "info"


def test_reason_reads_like_an_analyst_note() -> None:
    t = beat_times(np.random.default_rng(1), 0, 2 * DAY, 2980, 0.28, "uniform")
    r = score_candidate(analyze(t, 0, 2 * DAY), Context(9812, 1, first_seen_at=100.0), 0, 2 * DAY)
    assert re.match(r"every (49|50)\.\d min ± (2\d|3\d)%, 57 beats", r["reason"])
    assert (
        "beats over 2 days, 1 of 9,812 hosts, continuous (no breaks), domain first seen in "
        "this window" in r["reason"]
    )
    assert r["is_confirmed"] and r["severity"] == "high"


def test_batch_confirms_beacons_and_not_random_series() -> None:
    rng = np.random.default_rng(2)
    rows, cands = [], []
    for i in range(12):
        t = (
            beat_times(rng, 0, DAY, 1200, 0.3, "sleep_reduction")
            if i % 2
            else np.sort(rng.uniform(0, DAY, 70))
        )
        cands.append({"tenant_id": "t", "host_id": f"h{i}", "domain": "x.top", "tenant_hosts": 50})
        rows.append(pd.DataFrame({"tenant_id": "t", "host_id": f"h{i}", "domain": "x.top",
                                  "event_epoch": t}))  # fmt: skip
    out = confirm(pd.DataFrame(cands), pd.concat(rows), 0, DAY, workers=2)
    assert len(out) == 12
    confirmed = out.set_index("host_id").is_confirmed
    assert confirmed[[f"h{i}" for i in range(1, 12, 2)]].all()
    assert not confirmed[[f"h{i}" for i in range(0, 12, 2)]].any()


def test_batch_keeps_candidates_without_events_and_checks_columns() -> None:
    cands = pd.DataFrame([{"tenant_id": "t", "host_id": "h", "domain": "d"}])
    empty = pd.DataFrame(columns=["tenant_id", "host_id", "domain", "event_epoch"])
    out = confirm(cands, empty, 0, DAY, workers=1)
    assert len(out) == 1 and out.score.iloc[0] == 0 and not out.is_confirmed.iloc[0]
    with pytest.raises(ValueError, match="event_epoch"):
        confirm(cands, cands, 0, DAY)
