"""Ranking: what besides periodicity moves a finding up or down, and rotating C2."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from beaconlake.confirm.batch import confirm, confirm_rotation_pools
from beaconlake.confirm.periodicity import analyze
from beaconlake.confirm.rotation import groups
from beaconlake.confirm.scoring import Context, Record, score_candidate
from beaconlake.confirm.settings import project_settings
from beaconlake.simulate.timing import beat_times

DAY = 86_400.0


def _scored(t: np.ndarray, ctx: Context, end: float = DAY) -> Record:
    return score_candidate(analyze(t, 0, end), ctx, 0, end)


def test_an_hourly_reverse_lookup_is_never_above_low() -> None:
    t = np.arange(0, 3 * DAY, 3600.0)  # exactly hourly, one host: as periodic as it gets
    r = _scored(t, Context(90, 1, domain="201.56.225.64.in-addr.arpa"), 3 * DAY)
    assert r["is_confirmed"]
    assert r["severity"] in ("info", "low")
    assert "local name: reverse lookup" in str(r["reason"])
    known = _scored(t, Context(90, 1, domain="x.in-addr.arpa", known_c2_family="ptr-c2"), 3 * DAY)
    assert known["severity"] == "critical"  # a known C2 is never capped


def test_a_ttl_refresh_in_working_sessions_ranks_below_a_jittered_beacon() -> None:
    rng = np.random.default_rng(1)
    # a niche app: TTL 300 s plus a client delay, in four sessions of a working day
    starts = np.array([8.0, 10.5, 13.5, 16.0]) * 3600
    app = np.concatenate([s + np.cumsum(300 + rng.uniform(0, 5, 20)) for s in starts])
    beacon = beat_times(rng, 0, DAY, 900, 0.3, "uniform")
    a = _scored(app, Context(200, 1, domain="sync.lunopix.io"))
    b = _scored(beacon, Context(200, 1, domain="cdn.kolibrax.top"))
    assert "DNS TTL 300 s" in str(a["reason"]) and "restarts" in str(a["reason"])
    assert a["severity"] in ("info", "low")
    assert b["severity"] == "high" and b["score"] > 2 * a["score"]


def test_machine_made_names_fresh_labels_and_tunnel_types_raise_the_score() -> None:
    t = beat_times(np.random.default_rng(2), 0, DAY, 1800, 0.5, "uniform")
    p = analyze(t, 0, DAY)
    plain = score_candidate(p, Context(200, 2, domain="weather.com"), 0, DAY)
    odd = Context(
        200,
        2,
        domain="x7k2m9q4zt1b.top",
        domain_level="registered_domain",
        n_queries=96,
        n_nxdomain=30,
        n_tunnel_type_queries=96,
        n_query_names=48,
    )
    r = score_candidate(p, odd, 0, DAY)
    assert r["score"] > 1.5 * plain["score"]
    for phrase in ("DGA-likeness", "often-abused TLD .top", "NXDOMAIN", "TXT/NULL", "fresh one"):
        assert phrase in str(r["reason"]), phrase


def test_the_same_name_beaconing_from_many_hosts_is_a_fleet_agent() -> None:
    t = beat_times(np.random.default_rng(3), 0, DAY, 600, 0.2, "uniform")
    p = analyze(t, 0, DAY)
    one = score_candidate(p, Context(200, 1, domain="intake.agent.io"), 0, DAY)
    fleet = score_candidate(
        p, Context(200, 1, domain="intake.agent.io", candidate_hosts=30), 0, DAY
    )
    assert fleet["score"] <= 0.1 * one["score"]
    assert "fleet-wide agent" in str(fleet["reason"])


def _rotating(
    rng: np.random.Generator, names: list[str], period: float, jitter: float = 0.3
) -> pd.DataFrame:
    t = beat_times(rng, 0, DAY, period, jitter, "uniform")
    pick = rng.integers(0, len(names), len(t))
    return pd.DataFrame(
        {"tenant_id": "t", "host_id": "h1", "domain": np.array(names)[pick], "event_epoch": t}
    )


def test_a_c2_rotating_over_three_domains_is_found_on_each() -> None:
    rng = np.random.default_rng(4)
    names = [
        "saitama-fake-domain-one.com",
        "saitama-fake-domain-two.com",
        "saitama-fake-domain-three.com",
    ]
    c2 = _rotating(rng, names, 300)
    # and three unrelated rare domains on the same host, browsed at random
    other = ["weather.com", "kolibrax.top", "news.example.org"]
    browse = pd.DataFrame(
        {
            "tenant_id": "t",
            "host_id": "h1",
            "domain": np.repeat(other, 60),
            "event_epoch": np.sort(rng.uniform(0, DAY, 180)),
        }
    )
    events = pd.concat([c2, browse])
    cands = pd.DataFrame(
        {
            "tenant_id": "t",
            "host_id": "h1",
            "domain": names + other,
            "domain_level": "registered_domain",
            "tenant_hosts": 50,
        }
    )
    alone = confirm(cands, events, 0, DAY, workers=1, rotations=False).set_index("domain")
    assert not alone.loc[names, "is_confirmed"].any()  # each third alone is not periodic
    out = confirm(cands, events, 0, DAY, workers=1).set_index("domain")
    assert out.loc[names, "is_confirmed"].all()
    assert (out.loc[names, "severity"] != "info").all()
    assert out.loc[names, "period_seconds"].between(270, 330).all()
    assert (  # the others in name order, whatever order the warehouse returned them in
        "rotates over 3 domains with saitama-fake-domain-three.com, saitama-fake-domain-two.com"
        in out.loc[names[0], "reason"]
    )
    assert not out.loc[other, "is_confirmed"].any()  # unrelated names are not pulled in


def test_a_pool_of_unrelated_domains_taking_turns_is_one_beacon() -> None:
    rng = np.random.default_rng(9)
    names = ["bolt-weather.com", "quiet-harbor.net", "lumenframe.org", "tessaract.info"]
    c2 = _rotating(rng, names, 120)  # together every 2 min ± 30 %, each alone every ~8 min
    visits = 30_000 + np.concatenate([np.arange(0, 600, 40.0), 20_000 + np.arange(0, 300, 30.0)])
    browse = pd.DataFrame(
        {"tenant_id": "t", "host_id": "h1", "domain": "recipes-daily.com", "event_epoch": visits}
    )
    members = pd.DataFrame(
        {
            "tenant_id": "t",
            "host_id": "h1",
            "domain": [*names, "recipes-daily.com"],
            "tenant_hosts": 80,
            "domain_hosts": 1,
            "domain_level": "registered_domain",
        }
    )
    out = confirm_rotation_pools(members, pd.concat([c2, browse]), 0, DAY).set_index("domain")
    assert sorted(out.index) == sorted(names)  # the browsing visits are dropped from the pool
    assert out.is_confirmed.all() and (out.severity.isin(["medium", "high"])).all()
    assert out.period_seconds.between(110, 130).all()
    reason = str(out.loc[names[0], "reason"])
    assert reason.startswith("every 120 s") and "rotates over 4 domains with" in reason
    assert all(n in reason for n in names[1:])


def test_a_pool_of_random_visits_is_not_a_beacon() -> None:
    rng = np.random.default_rng(10)
    names = ["bolt-weather.com", "quiet-harbor.net", "lumenframe.org"]
    events = pd.DataFrame(
        {
            "tenant_id": "t",
            "host_id": "h1",
            "domain": rng.choice(names, 150),
            "event_epoch": np.sort(rng.uniform(0, DAY, 150)),
        }
    )
    members = pd.DataFrame({"tenant_id": "t", "host_id": "h1", "domain": names})
    assert confirm_rotation_pools(members, events, 0, DAY).empty


def test_a_pool_looser_than_an_implant_is_not_a_beacon() -> None:
    """The same four domains taking turns every 2 min, but ± 95 %: chance, not a schedule."""
    names = ["bolt-weather.com", "quiet-harbor.net", "lumenframe.org", "tessaract.info"]
    events = _rotating(np.random.default_rng(12), names, 120, jitter=0.95)
    members = pd.DataFrame({"tenant_id": "t", "host_id": "h1", "domain": names})
    assert confirm_rotation_pools(members, events, 0, DAY).empty
    steady = _rotating(np.random.default_rng(12), names, 120, jitter=0.3)
    assert len(confirm_rotation_pools(members, steady, 0, DAY)) == 4


def test_a_beacon_with_visits_around_it_is_no_rotation() -> None:
    """A beacon that is more periodic alone than with the pool is reported on its own."""
    rng = np.random.default_rng(13)
    c2 = pd.DataFrame(
        {
            "tenant_id": "t",
            "host_id": "h1",
            "domain": "edge-cloud-host.net",
            "event_epoch": beat_times(rng, 0, DAY, 1200, 0.2, "uniform"),
        }
    )
    sites = ["kostestar.com", "quounot.com", "shoplaidan.com"]
    visits = pd.DataFrame(
        {
            "tenant_id": "t",
            "host_id": "h1",
            "domain": np.repeat(sites, 6),
            "event_epoch": np.sort(rng.uniform(0, DAY, 18)),
        }
    )
    members = pd.DataFrame(
        {"tenant_id": "t", "host_id": "h1", "domain": ["edge-cloud-host.net", *sites]}
    )
    assert confirm_rotation_pools(members, pd.concat([c2, visits]), 0, DAY).empty


def test_rotation_groups_need_look_alike_names_and_overlapping_spans() -> None:
    base = {
        "tenant_id": "t",
        "host_id": "h",
        "domain_level": "registered_domain",
        "periodicity_score": 0.2,
        "domain_hosts": 1,
        "known_good_reason": None,
    }
    # left as written: one record per line
    rows = [
        {**base, "domain": "ipcheck-lux.su", "first_beat": 0.0, "last_beat": 9000.0},
        {**base, "domain": "ipcheck-zorbo.top", "first_beat": 500.0, "last_beat": 9500.0},
        {**base, "domain": "ipcheck-mira.xyz", "first_beat": 50_000.0, "last_beat": 60_000.0},
        {**base, "domain": "weather.com", "first_beat": 0.0, "last_beat": 9000.0},
        {**base, "domain": "ipcheck-vola.pw", "first_beat": 0.0, "last_beat": 9000.0,
         "periodicity_score": 0.9},  # confirmed alone, but a sibling: joins the group
        {**base, "domain": "cdn-ab.top", "first_beat": 0.0, "last_beat": 9000.0,
         "periodicity_score": 0.9},
        {**base, "domain": "cdn-ac.xyz", "first_beat": 0.0, "last_beat": 9000.0,
         "periodicity_score": 0.8},  # both confirmed alone: no group
    ]  # fmt: skip
    frame = pd.DataFrame(rows).assign(registered_domain=lambda f: f.domain)
    assert groups(frame, project_settings().confirm_min_periodicity) == [[0, 1, 4]]


def test_an_exact_timer_on_a_random_looking_name_stays_an_alert() -> None:
    t = np.arange(0, 2 * DAY, 7200.0)  # every 2 h exactly: TTL-like and clock-exact at once
    odd = _scored(t, Context(148, 3, domain="api.u6yd972v2j.net"), 2 * DAY)
    plain = _scored(t, Context(148, 3, domain="api.backupvault.net"), 2 * DAY)
    assert odd["severity"] in ("medium", "high"), odd["reason"]
    assert "random-looking" in str(odd["reason"])
    # on an ordinary name the cache refresh and the clock-exact period count once, not twice
    assert "cache refresh" in str(plain["reason"]) and "clock-exact" in str(plain["reason"])
    floor = 0.6 * plain["rarity"] * plain["periodicity_score"]
    assert plain["score"] >= floor - 1e-9
    assert plain["score"] < odd["score"]


def test_sessions_faster_than_any_dns_ttl_are_not_an_application_in_use() -> None:
    rng = np.random.default_rng(5)
    # an operator's sessions: every 3 s for 25 minutes, five times a day, over two days
    starts = np.sort(rng.uniform(0, 2 * DAY - 1800, 10))
    fast = np.concatenate(
        [s + np.arange(0, 1500, 3.0) + rng.uniform(-0.3, 0.3, 500) for s in starts]
    )
    r = _scored(np.sort(fast), Context(241, 1, domain="img.betetigo.ru"), 2 * DAY)
    assert "an application in use" not in str(r["reason"])
    assert "faster than any DNS cache" in str(r["reason"])
    assert r["severity"] in ("medium", "high"), r["reason"]


def test_a_short_burst_is_judged_over_an_hour_of_its_host() -> None:
    t = 40_000 + np.arange(0, 14 * 60, 23.0)  # every 23 s for 14 minutes of a 3-day capture
    p = analyze(t, 0, 3 * DAY, active_seconds=3 * DAY)
    r = score_candidate(p, Context(90, 2, domain="jd.com"), 0, 3 * DAY)
    assert p.judged_seconds >= 3600 and p.coverage < 0.3
    assert r["severity"] not in ("high", "critical"), r["reason"]
    assert "a short series" in str(r["reason"])
    # a host that was only on for those minutes judges the burst on them
    alone = analyze(t, 0, 3 * DAY, active_seconds=15 * 60)
    assert alone.coverage > 0.9


def test_one_host_regular_on_a_popular_domain_is_rare() -> None:
    t = beat_times(np.random.default_rng(6), 0, DAY, 300, 0.2, "uniform")
    p = analyze(t, 0, DAY)
    browsed = Context(200, 180, domain="cdn.pipix.com")
    regular = Context(200, 180, domain="cdn.pipix.com", regular_hosts=1, on_popular_domain=True)
    a, b = (score_candidate(p, c, 0, DAY) for c in (browsed, regular))
    assert a["severity"] in ("info", "low") and b["severity"] in ("medium", "high")
    assert "regular on a popular domain: 1 of 200 hosts beacons, 180 browse" in str(b["reason"])


def test_an_hour_of_regular_browsing_on_a_popular_domain_is_not_rare() -> None:
    rng = np.random.default_rng(7)
    t = beat_times(rng, 30_000, 30_000 + 5400, 400, 0.2, "uniform")  # 90 minutes of a tab
    t = np.sort(rng.choice(t, int(0.7 * len(t)), replace=False))  # a third of the beats missing
    ctx = Context(200, 180, domain="cdn.pipix.com", regular_hosts=1, on_popular_domain=True)
    r = _scored(t, ctx)
    assert r["severity"] in ("info", "low"), r["reason"]
    assert "only briefly" in str(r["reason"])


def test_a_busy_server_name_with_intervals_never_below_its_ttl_is_a_cache_refresh() -> None:
    rng = np.random.default_rng(8)
    # a server asks at random moments; only the expiry of its 1-hour cache entry lets one out
    t = np.cumsum(3600 + rng.exponential(1500, 36))
    shared = _scored(t, Context(111, 8, domain="repo.coexhi.com"), 2 * DAY)
    rare = _scored(t, Context(111, 1, domain="repo.coexhi.com"), 2 * DAY)
    assert "never below DNS TTL 3600 s" in str(shared["reason"])
    assert "never below" not in str(rare["reason"])  # one-sided jitter alone is no cache
    assert shared["severity"] in ("info", "low"), shared["reason"]


def test_no_rotation_pools_give_no_rows() -> None:
    members = pd.DataFrame(columns=["tenant_id", "host_id", "domain"])
    events = pd.DataFrame(columns=["tenant_id", "host_id", "domain", "event_epoch"])
    assert confirm_rotation_pools(members, events, 0, DAY).empty


def test_a_campaign_spreading_over_a_third_of_the_tenant_is_not_a_fleet_agent() -> None:
    t = beat_times(np.random.default_rng(11), 0, DAY, 900, 0.25, "uniform")
    p = analyze(t, 0, DAY)
    since = 1_772_582_400.0  # 2026-03-04 00:00 UTC
    fleet = Context(100, 30, domain="cdn.x7q9zk2.top", candidate_hosts=30)
    campaign = replace(fleet, campaign_hosts=30, campaign_since=since, first_seen_at=since)
    a, b = (score_candidate(p, c, 0, DAY) for c in (fleet, campaign))
    assert a["severity"] in ("info", "low") and "fleet-wide agent" in str(a["reason"])
    assert b["severity"] in ("medium", "high"), b["reason"]
    assert "campaign: 30 of 100 hosts since 2026-03-04" in str(b["reason"])
    assert "fleet-wide" not in str(b["reason"])


def test_beats_that_come_with_other_sites_names_are_browsing() -> None:
    t = beat_times(np.random.default_rng(12), 0, DAY, 1800, 0.4, "uniform")
    p = analyze(t, 0, DAY)
    base = Context(200, 2, domain="www.placoun.org", company_probe_beats=48)
    page = score_candidate(p, replace(base, company_beats=46, host_company_rate=0.1), 0, DAY)
    busy = score_candidate(p, replace(base, company_beats=46, host_company_rate=0.9), 0, DAY)
    alone = score_candidate(p, replace(base, company_beats=3, host_company_rate=0.1), 0, DAY)
    assert page["severity"] in ("info", "low"), page["reason"]
    assert "other sites' names answered within seconds of 96% of its beats" in str(page["reason"])
    for r in (busy, alone):  # a busy host gives company to anything; a lone call-home has none
        assert "other sites' names" not in str(r["reason"])
        assert r["score"] > 3 * page["score"]
