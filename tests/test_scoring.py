"""Scores, severities and reasons of confirmed candidates, and the batch runner."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from beaconlake.confirm.batch import confirm
from beaconlake.confirm.periodicity import analyze
from beaconlake.confirm.scoring import Context, rarity, score_candidate, severity
from beaconlake.confirm.settings import Settings, project_settings
from beaconlake.errors import ConfigError
from beaconlake.simulate.timing import beat_times

SETTINGS = project_settings()

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
    assert severity(0.7, base, DAY, SETTINGS) == "high"
    assert severity(0.45, base, DAY, SETTINGS) == "medium"
    assert severity(0.3, base, DAY, SETTINGS) == "low"
    assert severity(0.1, base, DAY, SETTINGS) == "info"
    assert severity(0.45, Context(1000, 1, first_seen_at=DAY - 3600), DAY, SETTINGS) == "high"
    assert severity(0.1, Context(1000, 1, known_c2_family="emotet"), DAY, SETTINGS) == "critical"
    assert severity(0.9, Context(1000, 1, known_good_reason="NTP"), DAY, SETTINGS) == "info"


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        # a periodic lookup of an ordinary name: nothing about the protocol the beacon talks
        (Context(100, 1, domain="updates.example.com"), ""),
        # fresh names per query under one registered domain and TXT answers: a DNS tunnel
        (
            Context(
                100,
                1,
                domain="example.com",
                domain_level="registered_domain",
                n_query_names=500,
                n_queries=600,
                n_tunnel_type_queries=590,
            ),
            "T1071.004,T1572",
        ),
        # fresh names only: DNS carries data, tunnel-friendly types not shown
        (
            Context(
                100,
                1,
                domain="example.com",
                domain_level="registered_domain",
                n_query_names=500,
                n_queries=600,
            ),
            "T1071.004",
        ),
        (Context(100, 1, domain="xkqzjvwpterhbn.com"), "T1568.002"),
        # a local name never reaches an outside server, whatever its query types
        (
            Context(
                100, 1, domain="_ldap._tcp.corp.local", n_queries=100, n_tunnel_type_queries=100
            ),
            "",
        ),
    ],
)
def test_attack_techniques_follow_the_evidence(context: Context, expected: str) -> None:
    t = beat_times(np.random.default_rng(2), 0, DAY, 600, 0.2, "uniform")
    scored = score_candidate(analyze(t, 0, DAY), context, 0, DAY)
    assert (scored["attack_techniques"] or "") == expected


def test_beacon_keys_join_domain_levels_and_rotation_members() -> None:
    t = beat_times(np.random.default_rng(3), 0, DAY, 600, 0.2, "uniform")
    p = analyze(t, 0, DAY)
    name = score_candidate(p, Context(100, 1, domain="api.evil.co.uk"), 0, DAY)
    registered = score_candidate(p, Context(100, 1, domain="evil.co.uk"), 0, DAY)
    assert (name["beacon_kind"], name["beacon_key"]) == ("domain", "evil.co.uk")
    assert registered["beacon_key"] == name["beacon_key"]
    member = Context(100, 1, domain="a.zeta.net", rotates_with=("b.alpha.org", "zeta.net"))
    other = Context(100, 1, domain="alpha.org", rotates_with=("zeta.net",))
    assert score_candidate(p, member, 0, DAY)["beacon_key"] == "alpha.org + zeta.net"
    assert score_candidate(p, other, 0, DAY)["beacon_key"] == "alpha.org + zeta.net"
    assert score_candidate(p, member, 0, DAY)["beacon_kind"] == "rotation"
    campaign = score_candidate(p, Context(100, 30, domain="x.new.top", campaign_hosts=30), 0, DAY)
    assert (campaign["beacon_kind"], campaign["beacon_key"]) == ("campaign", "new.top")


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
        rows.append(
            pd.DataFrame(
                {"tenant_id": "t", "host_id": f"h{i}", "domain": "x.top", "event_epoch": t}
            )
        )
    out = confirm(pd.DataFrame(cands), pd.concat(rows), 0, DAY, workers=2)
    assert len(out) == 12
    confirmed = out.set_index("host_id").is_confirmed
    assert confirmed[[f"h{i}" for i in range(1, 12, 2)]].all()
    assert not confirmed[[f"h{i}" for i in range(0, 12, 2)]].any()


def test_batch_scores_the_two_levels_of_one_domain_as_two_series() -> None:
    """A host's beacon to one name and its random lookups of the registered domain's other
    names: each level is scored on its own events, and says which level it is."""
    rng = np.random.default_rng(5)
    beacon = beat_times(rng, 0, DAY, 900, 0.2, "uniform")
    browsing = np.sort(rng.uniform(0, DAY, 200))
    levels = {"query_name": beacon, "registered_domain": browsing}
    cands = pd.DataFrame(
        {"tenant_id": "t", "host_id": "h", "domain_level": list(levels), "domain": "evil.top"}
    )
    events = pd.concat(
        pd.DataFrame(
            {
                "tenant_id": "t",
                "host_id": "h",
                "domain_level": level,
                "domain": "evil.top",
                "event_epoch": times,
            }
        )
        for level, times in levels.items()
    )
    out = confirm(cands, events, 0, DAY, workers=1, rotations=False).set_index("domain_level")
    assert out.is_confirmed["query_name"] and not out.is_confirmed["registered_domain"]
    assert out.n_events["query_name"] == len(beacon)
    assert out.n_events["registered_domain"] == len(browsing)


def test_batch_keeps_candidates_without_events_and_checks_columns() -> None:
    cands = pd.DataFrame([{"tenant_id": "t", "host_id": "h", "domain": "d"}])
    empty = pd.DataFrame(columns=["tenant_id", "host_id", "domain", "event_epoch"])
    out = confirm(cands, empty, 0, DAY, workers=1)
    assert len(out) == 1 and out.score.iloc[0] == 0 and not out.is_confirmed.iloc[0]
    with pytest.raises(ValueError, match="event_epoch"):
        confirm(cands, cands, 0, DAY)


def _refresh_series(ttl: float, delay: float, seed: int = 3) -> np.ndarray:
    """A client re-resolving a name every time its cache entry of ``ttl`` seconds expires."""
    return beat_times(np.random.default_rng(seed), 0, DAY, ttl, delay / ttl, "additive")


def test_answer_ttl_from_the_log_names_an_uncommon_ttl_as_a_cache_refresh() -> None:
    p = analyze(_refresh_series(450, 6), 0, DAY)
    assert p.ttl_seconds == 0  # 450 s is no common TTL: the guess misses it
    guessed = score_candidate(p, Context(1000, 5), 0, DAY)
    logged = score_candidate(p, Context(1000, 5, answer_ttl_seconds=450.0), 0, DAY)
    text = "period ≈ answer TTL 450 s plus a client delay (a cache refresh)"
    assert text in logged["reason"] and "answer TTL" not in guessed["reason"]
    assert logged["score"] < guessed["score"]  # only the clock-exact evidence without it
    # the client delay: up to 20 s or 15 % of the TTL, never below the TTL
    assert (
        text.replace("450", "440")
        in score_candidate(p, Context(1000, 5, answer_ttl_seconds=440.0), 0, DAY)["reason"]
    )
    for ttl in (300.0, 460.0, 0.0):
        r = score_candidate(p, Context(1000, 5, answer_ttl_seconds=ttl), 0, DAY)["reason"]
        assert "cache refresh" not in r, (ttl, r)


def test_a_logged_ttl_that_differs_overrides_the_common_ttl_guess() -> None:
    p = analyze(_refresh_series(300, 5), 0, DAY)
    assert p.ttl_seconds == 300  # the guess: a common TTL
    guessed = score_candidate(p, Context(1000, 5), 0, DAY)
    assert "period ≈ DNS TTL 300 s" in guessed["reason"]
    logged = score_candidate(p, Context(1000, 5, answer_ttl_seconds=60.0), 0, DAY)
    assert "TTL" not in logged["reason"]  # the log says the TTL is 60 s: no cache refresh
    assert logged["score"] > guessed["score"]
    same = score_candidate(p, Context(1000, 5, answer_ttl_seconds=300.0), 0, DAY)
    assert "period ≈ answer TTL 300 s" in same["reason"] and same["score"] == guessed["score"]


def test_a_jittered_beacon_at_its_ttl_is_no_cache_refresh() -> None:
    # mean period at the TTL, but a cache never asks again before the TTL has run out
    t = beat_times(np.random.default_rng(4), 0, DAY, 450, 0.3, "uniform")
    r = score_candidate(analyze(t, 0, DAY), Context(1000, 1, answer_ttl_seconds=450.0), 0, DAY)
    assert "cache refresh" not in r["reason"]


def test_batch_passes_the_answer_ttl_to_the_score() -> None:
    t = _refresh_series(450, 6)
    # left as written: items in rows, not one per line
    cands = pd.DataFrame(
        [{"tenant_id": "t", "host_id": h, "domain": "sync.example.com", "tenant_hosts": 1000,
          "domain_hosts": 5, "answer_ttl_seconds": ttl} for h, ttl in (("a", 450.0), ("b", None))]
    )  # fmt: skip
    events = pd.concat(
        pd.DataFrame(
            {"tenant_id": "t", "host_id": h, "domain": "sync.example.com", "event_epoch": t}
        )
        for h in ("a", "b")
    )
    out = confirm(cands, events, 0, DAY, workers=1).set_index("host_id")
    assert "answer TTL 450 s" in out.reason["a"] and "answer TTL" not in out.reason["b"]
    assert out.score["a"] < out.score["b"]


def test_an_exact_timer_that_is_a_candidate_in_other_tenants_is_a_vendors_agent() -> None:
    """The same ordinary name polling on a clock in several customers' networks is a product;
    a machine-made name or a spreading campaign doing so is not let off."""
    p = analyze(beat_times(np.random.default_rng(5), 0, DAY, 120, 0.0, "none"), 0, DAY)
    alone = score_candidate(p, Context(200, 2, domain="collect.acme-monitor.net"), 0, DAY)
    shared = Context(200, 2, domain="collect.acme-monitor.net", candidate_tenants=3)
    vendor = score_candidate(p, shared, 0, DAY)
    assert "the same in 2 other tenants (a vendor's agent)" in vendor["reason"]
    assert "vendor" not in alone["reason"] and vendor["score"] < alone["score"]
    assert severity(vendor["score"], shared, DAY, SETTINGS) in ("info", "low")
    machine = Context(200, 2, domain="xk2qv9fz7wpl.net", candidate_tenants=3)
    assert "vendor" not in score_candidate(p, machine, 0, DAY)["reason"]
    campaign = Context(
        200,
        2,
        domain="collect.acme-monitor.net",
        candidate_tenants=3,
        campaign_hosts=12,
        campaign_since=0.0,
    )
    assert "vendor" not in score_candidate(p, campaign, 0, DAY)["reason"]


def test_severity_floors_are_tunables() -> None:
    stricter = project_settings({"severity_high_min_score": 0.8})
    assert severity(0.7, Context(1000, 1), DAY, SETTINGS) == "high"
    assert severity(0.7, Context(1000, 1), DAY, stricter) == "medium"


def test_tunables_must_be_set_and_numbers() -> None:
    values = {f: 0.5 for f in Settings.__dataclass_fields__}
    assert Settings.from_vars({**values, "new_domain_days": "14"}).new_domain_seconds == 14 * 86_400
    with pytest.raises(ConfigError, match="confirm_min_periodicity is not set"):
        Settings.from_vars({k: v for k, v in values.items() if k != "confirm_min_periodicity"})
    with pytest.raises(ConfigError, match="must be a number"):
        Settings.from_vars({**values, "severity_low_min_score": "low"})
