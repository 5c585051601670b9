"""Realistic benign periodic traffic and hard C2 shapes keep the shapes the simulator promises."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
from collections import Counter
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from beaconlake.cli import main
from beaconlake.simulate import generator
from beaconlake.simulate.generator import SimulationSummary, simulate
from beaconlake.simulate.plan import build_context
from beaconlake.simulate.population import DAY, build_population, work_segments
from beaconlake.simulate.scenario import (
    SHAPES,
    BeaconSpec,
    Scenario,
    load_scenario,
    shape_beacons,
)

NEW_CATEGORIES = {
    "ttl_app",
    "niche_app",
    "vendor_telemetry",
    "app_keepalive",
    "monitoring_agent",
    "directory",
    "local_discovery",
}
DECOY = BeaconSpec("dga-decoy", 600, 0.1, "uniform", name_style="dga", dga_decoys=3)
SHAPED = Scenario(
    hosts=120,
    days=2,
    tenants=2,
    seed=7,
    events_per_host=600,
    server_share=0.15,
    beacons=(*shape_beacons(1, 7), DECOY),
)


@pytest.fixture(scope="module")
def shaped(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("shaped")
    return out, simulate(SHAPED, out, workers=1)


@pytest.fixture(scope="module")
def events(shaped: tuple[Path, SimulationSummary]) -> pd.DataFrame:
    out, _ = shaped
    frame = duckdb.execute(
        f"select * from read_parquet('{out}/events/**/*.parquet', hive_partitioning = true)"
    ).df()
    frame["t"] = frame.event_time.astype("int64").to_numpy() / 1e6
    return frame


@pytest.fixture(scope="module")
def truth(shaped: tuple[Path, SimulationSummary]) -> pd.DataFrame:
    return pd.read_csv(shaped[0] / "ground_truth.csv", keep_default_na=False, na_values=[""])


def _channel(events: pd.DataFrame, host: str, names: list[str]) -> pd.DataFrame:
    return events[(events.host_id == host) & events.query_name.isin(names)].sort_values("t")


def _beats(t: np.ndarray) -> np.ndarray:
    """Queries less than a second apart (A + AAAA, retries) are one beat."""
    t = np.sort(t)
    return t[np.concatenate(([True], np.diff(t) >= 1.0))]


def _entropy(label: str) -> float:
    counts = Counter(label)
    return -sum(c / len(label) * math.log2(c / len(label)) for c in counts.values())


# ------------------------------------------------------------------------------- labels


def test_every_category_and_shape_is_labelled(truth: pd.DataFrame) -> None:
    assert set(truth.category) >= NEW_CATEGORIES
    # a campaign needs three days or more (see test_campaign_is_skipped_in_a_short_window)
    assert set(truth[truth.label == "c2"]["shape"]) >= set(SHAPES[1:]) - {"campaign"}
    benign = truth[truth.label == "benign_periodic"]
    assert benign["shape"].isna().all()  # shape describes C2 only
    for column in ("shape", "query_type", "nxdomain_share", "other_names"):
        assert column in truth.columns


def test_summary_counts_host_days_and_event_mix(shaped: tuple[Path, SimulationSummary]) -> None:
    _, summary = shaped
    assert summary.host_days == sum(summary.active_hosts_per_day.values())
    # Every server and always-on machine is active every day; workstations are too (browsing).
    assert 0.9 * SHAPED.hosts * SHAPED.days <= summary.host_days <= SHAPED.hosts * SHAPED.days
    mix = summary.events_by_category
    assert NEW_CATEGORIES | {"human", "c2"} <= set(mix)
    assert sum(mix.values()) == summary.human_events + summary.periodic_events


# ----------------------------------------------------------------------- benign periodic


def test_ttl_apps_beat_at_their_ttl_only_while_the_user_works(
    shaped: tuple[Path, SimulationSummary], events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    ctx = build_context(SHAPED, shaped[0])
    pop = ctx.population
    index = {h: i for i, h in enumerate(pop.host_ids)}
    rows = truth[truth.category.isin(["ttl_app", "niche_app"]) & (truth.n_beats > 20)]
    assert len(rows) > 20
    breaks, on_ttl, short_ttl_gaps = 0, 0, 0
    for row in rows.itertuples():
        sel = _channel(events, row.host_id, [row.query_name])
        beats = _beats(sel.t.to_numpy())
        assert len(beats) == row.n_beats
        h = np.full(len(beats), index[row.host_id])
        assert pop.working(h, beats).all()  # never outside working hours
        gaps = np.diff(beats)
        ttl = row.period_seconds
        assert gaps.min() >= ttl * 0.999  # the cache holds the answer one TTL
        assert ttl <= np.median(gaps) <= ttl + row.jitter * ttl  # TTL + a client delay
        assert row.jitter * ttl <= 20.0  # the delay is seconds, not a fraction of the period
        if ttl <= 600:
            on_ttl += int((gaps <= ttl * (1 + row.jitter) + 1e-3).sum())
            short_ttl_gaps += len(gaps)
            breaks += int((gaps > 600).any())
    assert on_ttl > 0.9 * short_ttl_gaps  # quasi-periodic at the TTL ...
    assert breaks > 0.8 * (rows.period_seconds <= 600).sum()  # ... with lunch, breaks, meetings


def test_niche_apps_are_rare_and_common_apps_are_not(truth: pd.DataFrame) -> None:
    niche = truth[truth.category == "niche_app"]
    assert niche.groupby("query_name").host_id.nunique().max() <= 3
    assert niche.groupby("query_name").tenant_id.nunique().max() == 1
    common = truth[truth.category == "ttl_app"].groupby("query_name").host_id.nunique()
    assert common.max() > 20
    assert set(niche.period_seconds) <= {60.0, 300.0, 600.0, 3600.0}


def test_servers_reverse_their_gateway_exactly_every_hour(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    rows = truth[truth.channel == "reverse-gateway"]
    assert len(rows) >= 3 and (rows.query_type == "PTR").all()
    for row in rows.itertuples():
        assert row.query_name.endswith(".in-addr.arpa")
        sel = _channel(events, row.host_id, [row.query_name])
        gaps = np.diff(sel.t.to_numpy())
        assert len(gaps) >= 40
        assert np.abs(gaps - 3600.0).max() < 1e-3
        assert (sel.query_type == "PTR").all()


def test_directory_lookups_are_srv_and_periodic(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    gpo = truth[(truth.channel == "gpo-refresh") & ~truth.offline_at_night]
    assert len(gpo) > 5 and gpo.query_name.str.startswith("_ldap._tcp.dc._msdcs.corp.").all()
    row = gpo.iloc[0]
    sel = _channel(events, row.host_id, [row.query_name])
    gaps = np.diff(sel.t.to_numpy())
    assert (sel.query_type == "SRV").all()
    assert gaps.min() >= 5400 * 0.999 and gaps.max() <= 7200 * 1.001  # 90 min + 0-30 min
    dc = truth[truth.channel == "dc-lookup"]
    assert dc.query_name.str.fullmatch(r"dc01\.corp\.tenant-\d\d\.internal").all()
    assert dc.tenant_id.nunique() == 2 and (dc.query_name.nunique() == 2)


def test_local_discovery_names_and_nxdomain(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    local = truth[truth.category == "local_discovery"]
    names = set(local.query_name)
    assert any(n.endswith(".local") for n in names)
    assert any(n.endswith(".ip6.arpa") for n in names)
    assert {"wpad", "fileserver"} <= names  # single-label lookups
    wpad = local[local.channel == "wpad"]
    assert (wpad.nxdomain_share[wpad.n_beats >= 10] > 0.8).all()
    sel = events[events.query_name.str.startswith("wpad")]
    assert (sel.response_code == "NXDOMAIN").mean() > 0.9
    mdns = events[events.query_name == "_googlecast._tcp.local"]
    assert (mdns.response_code == "NOERROR").all() and (mdns.query_type == "PTR").all()


def test_some_benign_names_look_random_and_some_c2_names_look_plain(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    benign_hash = events[events.query_name.str.endswith(".rep.avcloud-lookup.net")]
    assert len(benign_hash) > 100 and (benign_hash.query_type == "TXT").all()
    assert benign_hash.query_name.nunique() == len(benign_hash)
    labels = benign_hash.query_name.str.split(".").str[0]
    assert labels.map(_entropy).median() > 3.5
    cdn = events[events.query_name.str.contains(r"^d[a-z0-9]{12,14}\.cloudfront\.net$")]
    assert len(cdn) > 0
    c2 = truth[truth.label == "c2"].registered_domain.str.split(".").str[0]
    assert (~c2.str.contains(r"\d")).any()  # plain-looking C2 exists
    assert c2.str.contains(r"\d").any() or truth.query_name.str.contains(r"\.(top|xyz|su)$").any()


# ----------------------------------------------------------------------------- C2 shapes


def _c2(truth: pd.DataFrame, shape: str) -> pd.Series:
    return truth[(truth.label == "c2") & (truth["shape"] == shape)].iloc[0]


def test_rotation_is_periodic_across_domains_and_sparse_on_each(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    row = _c2(truth, "rotation")
    names = [row.query_name, *row.other_names.split(";")]
    assert 3 <= len(names) <= 5
    assert len({n.split(".", 1)[1] if n.count(".") > 1 else n for n in names}) == len(names)
    assert truth[truth.label == "c2"].registered_domain.nunique() >= 6
    sel = _channel(events, row.host_id, names)
    beats = _beats(sel.t.to_numpy())
    assert len(beats) == row.n_beats
    gaps = np.diff(beats) / row.period_seconds
    assert np.median(gaps) == pytest.approx(1.0, abs=0.1)
    assert gaps.min() >= 1 - row.jitter - 0.01 and gaps.max() <= 1 + row.jitter + 0.01
    per_name = sel.groupby("query_name").t.apply(lambda t: _beats(t.to_numpy()))
    for name_beats in per_name:
        assert len(name_beats) < 0.5 * len(beats)  # each name sees a fraction of the beats
        name_gaps = np.diff(name_beats)
        # irregular on its own: intervals spread like a geometric number of periods
        assert name_gaps.std() / name_gaps.mean() > 0.5


def test_popular_domain_beacon_hides_in_browsed_name(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    row = _c2(truth, "popular_domain")
    others = events[(events.query_name == row.query_name) & (events.host_id != row.host_id)]
    assert others.host_id.nunique() >= 10  # many hosts browse the name the implant uses
    assert row.query_name in set(build_context(SHAPED, Path(".")).vocab.names)


def test_interactive_polls_in_seconds_in_bursts_then_sleeps(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    row = _c2(truth, "interactive")
    assert 2 <= row.period_seconds <= 10
    t = _channel(events, row.host_id, [row.query_name]).t.to_numpy()
    gaps = np.diff(t)
    fast = gaps[gaps < 3 * row.period_seconds]
    assert np.median(fast) == pytest.approx(row.period_seconds, rel=0.1)
    assert (gaps > 3600 * 0.5).any()  # long sleeps between operator sessions
    # bursts: runs of fast gaps, 10-40 min each (two overlapping sessions merge into one)
    cut = np.flatnonzero(gaps >= 3 * row.period_seconds)
    edges = np.concatenate(([0], cut + 1, [len(t)]))
    minutes = np.array([(t[b - 1] - t[a]) / 60 for a, b in itertools.pairwise(edges) if b - a > 10])
    assert len(minutes) >= 1
    assert minutes.min() >= 9 and minutes.max() <= 80
    assert 10 <= np.median(minutes) <= 40


def test_strobe_tunnel_every_one_to_two_seconds(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    row = _c2(truth, "strobe")
    sel = events[
        (events.host_id == row.host_id) & events.query_name.str.endswith("." + row.query_name)
    ].sort_values("t")
    assert len(sel) == row.n_events > 1800  # a long stretch
    assert set(sel.query_type) in ({"TXT"}, {"NULL"})
    assert sel.query_name.nunique() == len(sel)  # a unique subdomain per query
    gaps = np.diff(sel.t.to_numpy())
    in_session = gaps[gaps < 60]
    assert in_session.min() >= 1.0 * 0.99 and in_session.max() <= 2.1
    assert len(in_session) >= 0.99 * len(gaps)
    labels = sel.query_name.str.split(".").str[0]
    assert labels.str.len().min() >= 20 and labels.map(_entropy).median() > 3.8


def test_slow_beacons_keep_an_hours_long_period(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    rows = truth[(truth.label == "c2") & (truth["shape"] == "slow")]
    for row in rows.itertuples():
        assert 7200 <= row.period_seconds <= 86400
        beats = _beats(_channel(events, row.host_id, [row.query_name]).t.to_numpy())
        assert len(beats) == row.n_beats >= 2 * SHAPED.days * 86400 / row.period_seconds / 2 - 1
        if len(beats) < 2:
            continue
        gaps = np.diff(beats) / row.period_seconds
        assert gaps.min() >= 1 - row.jitter - 0.01 and gaps.max() <= 1 + row.jitter + 0.01


def test_dga_decoys_are_fresh_nxdomain_names_before_each_beat(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    row = truth[truth.channel == DECOY.name].iloc[0]
    beats = _beats(_channel(events, row.host_id, [row.query_name]).t.to_numpy())
    nx = events[(events.host_id == row.host_id) & (events.response_code == "NXDOMAIN")]
    decoys = nx[nx.query_name.str.fullmatch(r"[a-z0-9]{10,20}\.[a-z]+")]
    assert abs(len(decoys) - 3 * len(beats)) <= 3  # those at the window's start may fall before
    assert decoys.query_name.nunique() == len(decoys)
    lead = beats[np.searchsorted(beats, decoys.t.to_numpy())[:-3].clip(max=len(beats) - 1)]
    assert ((lead - decoys.t.to_numpy()[:-3]) <= 3.0).mean() > 0.95


# --------------------------------------------------------------------- building blocks, CLI


def test_work_segments_sit_inside_working_hours_with_breaks() -> None:
    sc = Scenario(hosts=60, days=3, tenants=2, seed=3)
    pop = build_population(sc)
    start = 1_793_577_600  # 2026-11-02 00:00 UTC, a Monday
    host, lo, hi = work_segments(
        pop, np.random.default_rng(0), np.arange(60), start, start + 3 * 86400
    )
    assert (hi > lo).all()
    ws = ~pop.is_server[host]
    assert pop.working(host[ws], lo[ws]).all() and pop.working(host[ws], hi[ws] - 1).all()
    for h in np.unique(host[ws]):
        mine = host == h
        assert (lo[mine][1:] >= hi[mine][:-1]).all()  # no overlap
    worked = pd.Series(hi - lo).groupby(host).sum()
    span = (pop.leave_s - pop.arrive_s)[worked.index] * 3
    ratio = (worked / span)[~pop.is_server[worked.index]]
    assert 0.75 < ratio.median() < 0.97  # lunch and breaks take some of the day
    assert set(host[~ws]) == set(np.flatnonzero(pop.is_server))


def test_shapes_reproduce_across_worker_counts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(generator, "CHUNK_EVENTS", 3_000)  # several chunks
    sc = Scenario(
        hosts=60,
        days=1,
        tenants=2,
        seed=9,
        events_per_host=300,
        beacons=(*shape_beacons(1, 9), DECOY),
    )
    a = simulate(sc, tmp_path / "a", workers=1)
    b = simulate(sc, tmp_path / "b", workers=2)
    assert a.files > 2 and a.events == b.events
    files_a = sorted((tmp_path / "a/events").rglob("*.parquet"))
    files_b = sorted((tmp_path / "b/events").rglob("*.parquet"))
    assert len(files_a) == len(files_b)
    assert all(fa.read_bytes() == fb.read_bytes() for fa, fb in zip(files_a, files_b, strict=True))
    assert (tmp_path / "a/ground_truth.csv").read_bytes() == (
        tmp_path / "b/ground_truth.csv"
    ).read_bytes()


def test_cli_and_toml_knobs(tmp_path: Path) -> None:
    base = ["simulate", "--hosts", "30", "--events-per-host", "100", "--tenants", "1"]
    # left as written: each flag beside its value
    legacy = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "l"), "--beacons", "0",
                                       "--benign-mix", "legacy", "--shape-beacons", "0",
                                       "--niche-apps-per-host", "0"])  # fmt: skip
    assert legacy.exit_code == 0, legacy.output
    t = pd.read_csv(tmp_path / "l/ground_truth.csv")
    assert not (t.label == "c2").any()
    assert not ({"ttl_app", "niche_app", "directory", "local_discovery"} & set(t.category))
    # left as written: each flag beside its value
    strobe = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "s"), "--beacons", "0",
                                       "--c2-shapes", "strobe", "--shape-beacons",
                                       "1"])  # fmt: skip
    assert strobe.exit_code == 0, strobe.output
    t = pd.read_csv(tmp_path / "s/ground_truth.csv")
    assert t[t.label == "c2"]["shape"].tolist() == ["strobe"]
    assert (t.category == "niche_app").sum() >= 3  # 0.1 per host by default
    bad = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "b"), "--c2-shapes", "zigzag"])
    assert bad.exit_code == 2 and "shape must be one of" in bad.output
    path = tmp_path / "s.toml"
    path.write_text(
        'hosts = 20\nbenign_mix = "none"\nshape_beacons = 1\n'
        'c2_shapes = ["slow", "rotation"]\nniche_apps_per_host = 0.5\n'
    )
    sc = load_scenario(path)
    assert [b.shape for b in sc.beacons] == ["slow", "rotation"]
    assert sc.services == () and sc.niche_apps_per_host == 0.5


# ------------------------------------------------- a week: unrelated rotation, slow, campaign

UNRELATED_RR = BeaconSpec(
    "rotation-round-robin",
    300,
    0.2,
    "uniform",
    shape="rotation",
    domains=5,
    name_style="unrelated",
    rotation_order="round_robin",
)
DAILY = BeaconSpec("slow-daily", 86400, 0.1, "uniform", shape="slow")
WEEK = Scenario(
    hosts=90,
    days=7,
    tenants=2,
    seed=5,
    events_per_host=300,
    server_share=0.1,
    beacons=(*shape_beacons(2, 5, ("rotation", "slow", "campaign")), UNRELATED_RR, DAILY),
)
SPECS = {b.name: b for b in WEEK.beacons}
START = dt.date(2026, 11, 2)  # Scenario's default start date, a Monday


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    out = tmp_path_factory.mktemp("week")
    return out, simulate(WEEK, out, workers=1)


@pytest.fixture(scope="module")
def week_events(week: tuple[Path, SimulationSummary]) -> pd.DataFrame:
    frame = duckdb.execute(
        f"select host_id, query_name, event_time from read_parquet('{week[0]}/events/**/*.parquet')"
    ).df()
    frame["t"] = frame.event_time.astype("int64").to_numpy() / 1e6
    return frame


@pytest.fixture(scope="module")
def week_truth(week: tuple[Path, SimulationSummary]) -> pd.DataFrame:
    return pd.read_csv(week[0] / "ground_truth.csv", keep_default_na=False, na_values=[""])


def _shares_stem(a: str, b: str) -> bool:
    return any(a[i : i + 4] in b for i in range(len(a) - 3))


def test_shape_beacons_draw_the_documented_ranges() -> None:
    rotation = shape_beacons(8, 3, ("rotation",))
    unrelated = [b for b in rotation if b.name_style == "unrelated"]
    assert len(unrelated) == 4  # every other family
    for b in unrelated:
        assert 3 <= b.domains <= 8 and b.rotation_order in ("random", "round_robin")
        assert 60 <= b.period_seconds <= 900 or 3000 <= b.period_seconds <= 4800
    slow = {b.period_seconds for b in shape_beacons(40, 3, ("slow",))}
    assert slow == {7200.0, 14400.0, 28800.0, 43200.0, 86400.0}
    for b in shape_beacons(10, 3, ("campaign",)):
        assert 300 <= b.period_seconds <= 1800 and 0.2 <= b.jitter <= 0.3
        assert 0.2 <= b.spread_share <= 0.4 and b.name_style == "dga"


def test_unrelated_rotation_names_share_no_stem_and_each_is_queried(
    week_events: pd.DataFrame, week_truth: pd.DataFrame
) -> None:
    unrelated = {b.name for b in WEEK.beacons if b.name_style == "unrelated"}
    rows = week_truth[week_truth.channel.isin(unrelated)]
    assert set(rows.channel) == {"rotation-01", UNRELATED_RR.name}
    for row in rows.itertuples():
        spec = SPECS[row.channel]
        names = [row.query_name, *row.other_names.split(";")]
        assert len(names) == spec.domains
        domains = [n.split(".")[-2:] for n in names]
        labels = [d[0] for d in domains]
        assert len({d[1] for d in domains}) == len(names)  # a different TLD each
        assert not any(_shares_stem(a, b) for a, b in itertools.combinations(labels, 2))
        assert row.registered_domain == ".".join(domains[0])
        sel = _channel(week_events, row.host_id, names)
        assert set(sel.query_name) == set(names)  # the host asks every one of them
        beats = _beats(sel.t.to_numpy())
        assert len(beats) == row.n_beats
        gaps = np.diff(beats) / row.period_seconds
        assert gaps.min() >= 1 - row.jitter - 0.01 and gaps.max() <= 1 + row.jitter + 0.01
        # the name of each beat (its queries, less than a second apart, ask the same name)
        seq = sel.query_name.to_numpy()[np.concatenate(([True], np.diff(sel.t.to_numpy()) >= 1))]
        assert len(seq) == len(beats)
        if spec.rotation_order == "round_robin":
            k = len(names)
            assert (seq[k:] == seq[:-k]).all() and len(set(seq[:k])) == k
        else:
            assert (seq[1:] == seq[:-1]).mean() < 0.5


def test_slow_beacons_reach_a_daily_period_over_a_week(
    week_events: pd.DataFrame, week_truth: pd.DataFrame
) -> None:
    slow = week_truth[(week_truth.label == "c2") & (week_truth["shape"] == "slow")]
    assert slow.period_seconds.max() == 86400
    row = slow[slow.channel == DAILY.name].iloc[0]
    beats = _beats(_channel(week_events, row.host_id, [row.query_name]).t.to_numpy())
    assert len(beats) == row.n_beats and 6 <= len(beats) <= 7  # one a day, the phase is random
    assert np.abs(np.diff(beats) / 86400 - 1).max() <= DAILY.jitter + 0.01


def test_campaign_spreads_host_after_host_from_day_two_or_three(
    week: tuple[Path, SimulationSummary], week_events: pd.DataFrame, week_truth: pd.DataFrame
) -> None:
    pop = build_population(WEEK)
    index = {h: i for i, h in enumerate(pop.host_ids)}
    campaigns = week_truth[(week_truth.label == "c2") & (week_truth["shape"] == "campaign")]
    assert set(campaigns.channel) == {"campaign-00", "campaign-01"}
    assert not week[1].warnings
    for channel, rows in campaigns.groupby("channel"):
        spec = SPECS[str(channel)]
        assert len(set(rows.query_name)) == 1 and len(set(rows.tenant_id)) == 1
        hosts = rows.host_id.map(index).to_numpy()
        assert not pop.is_server[hosts].any()  # workstations
        tenant = pop.tenant[hosts[0]]
        workstations = int(((pop.tenant == tenant) & ~pop.is_server).sum())
        share = len(rows) / workstations
        assert 0.2 - 1 / workstations <= share <= 0.4 + 1 / workstations
        assert share == pytest.approx(spec.spread_share, abs=1 / workstations)
        # first seen: one host on day 2 or 3, then more hosts on later days, growing each day
        seen = pd.to_datetime(rows.first_seen_at).sort_values()
        days = (seen.dt.date - START).map(lambda d: d.days + 1).to_numpy()
        assert days[0] in (2, 3) and seen.iloc[0] < seen.iloc[1]
        per_day = np.bincount(days, minlength=WEEK.days + 1)[days[0] :]
        assert (per_day >= 1).all() and days[-1] == WEEK.days  # more hosts every day
        assert per_day.max() < len(rows) / 2  # not all on one day
        # the domain is new: nobody asks it before patient zero, only infected hosts ask it
        sel = week_events[week_events.query_name == rows.query_name.iloc[0]]
        assert sel.t.min() == pytest.approx(seen.iloc[0].timestamp(), abs=1e-3)
        assert (sel.event_time.dt.date > START).all()
        assert set(sel.host_id) == set(rows.host_id)
        for row in rows.itertuples():
            beats = _beats(sel[sel.host_id == row.host_id].t.to_numpy())
            assert len(beats) == row.n_beats
            if len(beats) > 2:
                gaps = np.diff(beats) / spec.period_seconds
                assert gaps.min() >= 1 - spec.jitter - 0.01
                assert gaps.max() <= 1 + spec.jitter + 0.01


def test_ttl_apps_rest_at_night_and_at_weekends(
    week_events: pd.DataFrame, week_truth: pd.DataFrame
) -> None:
    pop = build_population(WEEK)
    apps = week_truth[week_truth.category.isin(["ttl_app", "niche_app"])]
    assert apps.category.nunique() == 2
    sel = week_events.merge(apps[["host_id", "query_name"]].drop_duplicates())
    assert len(sel) > 1000
    index = {h: i for i, h in enumerate(pop.host_ids)}
    h = sel.host_id.map(index).to_numpy()
    t = sel.t.to_numpy()
    local_day = np.floor_divide(t + pop.offset_s[h], DAY)
    weekday = (local_day + 3) % 7  # 1970-01-01 was a Thursday
    assert (weekday < 5).all()  # never on the user's Saturday or Sunday
    assert pop.working(h, t).all()  # nor outside the working day
    assert len(np.unique(weekday)) == 5


def test_campaign_is_skipped_in_a_short_window(shaped: tuple[Path, SimulationSummary]) -> None:
    out, summary = shaped
    assert any(b.shape == "campaign" for b in SHAPED.beacons)  # planted, but 2 days only
    assert len(summary.warnings) == 1 and "campaign-00" in summary.warnings[0]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["summary"]["warnings"] == summary.warnings


def test_campaign_and_rotation_reproduce_across_worker_counts(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(generator, "CHUNK_EVENTS", 3_000)  # several chunks
    planted = (*shape_beacons(2, 4, ("rotation", "campaign")), UNRELATED_RR)
    sc = Scenario(hosts=50, days=3, tenants=2, seed=4, events_per_host=150, beacons=planted)
    a = simulate(sc, tmp_path / "a", workers=1)
    b = simulate(sc, tmp_path / "b", workers=2)
    assert a.files > 3 and a.events == b.events
    files_a = sorted((tmp_path / "a/events").rglob("*.parquet"))
    files_b = sorted((tmp_path / "b/events").rglob("*.parquet"))
    assert [f.relative_to(tmp_path / "a") for f in files_a] == [
        f.relative_to(tmp_path / "b") for f in files_b
    ]
    assert all(fa.read_bytes() == fb.read_bytes() for fa, fb in zip(files_a, files_b, strict=True))
    truth_a = (tmp_path / "a/ground_truth.csv").read_bytes()
    assert truth_a == (tmp_path / "b/ground_truth.csv").read_bytes()
    truth = pd.read_csv(tmp_path / "a/ground_truth.csv", keep_default_na=False)
    campaign = truth[truth["shape"] == "campaign"]
    assert campaign.channel.nunique() == 2  # three days suffice: first seen on day 2
    assert (pd.to_datetime(campaign.first_seen_at).dt.date > sc.start_date).all()
