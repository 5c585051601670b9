"""The independent scenario generator keeps its contract and its ground truth matches its data."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "independent_scenario.py"
COLUMNS = ["event_time", "host_id", "query_name", "tenant_id", "query_type", "response_code"]
BENIGN_CATEGORIES = {
    "niche_app",
    "monitoring_agent",
    "vendor_agent",
    "directory",
    "reverse_lookup",
    "ttl_app",
}
SHAPES = {"classic", "rotation", "slow", "campaign", "interactive", "popular_domain", "strobe"}


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("independent_scenario", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


isc = _load()
SMALL = ["--hosts", "40", "--days", "3", "--seed", "5", "--events-per-host-day", "1500"]


def _run(out: Path, *args: str) -> dict:
    assert isc.main(["--out", str(out), *args]) == 0
    return json.loads((out / "manifest.json").read_text())


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("indep") / "a"
    _run(out, *SMALL)
    return out


@pytest.fixture(scope="module")
def events(small: Path) -> pd.DataFrame:
    frame = pd.read_parquet(small / "events")
    frame["event_date"] = frame["event_date"].astype(str)
    frame["t"] = frame["event_time"].astype("int64").to_numpy() / 1e6
    return frame


@pytest.fixture(scope="module")
def truth(small: Path) -> pd.DataFrame:
    return pd.read_csv(
        small / "ground_truth.csv",
        dtype={"other_names": str, "subdomain_per_beat": str},
        keep_default_na=False,
    )


def _beats(times: np.ndarray) -> np.ndarray:
    """Beat starts: queries under 1 s apart (A + AAAA, retries) are one beat."""
    t = np.sort(times)
    return t[np.r_[True, np.diff(t) >= 1.0]] if len(t) else t


def _channel_events(events: pd.DataFrame, row: pd.Series) -> pd.DataFrame:
    on_host = events[events["host_id"] == row["host_id"]]
    if row["subdomain_per_beat"] == "true":
        return on_host[on_host["query_name"].str.endswith("." + row["query_name"])]
    names = {row["query_name"], *filter(None, str(row["other_names"]).split(";"))}
    return on_host[on_host["query_name"].isin(names)]


def test_contract_columns_types_partitions(small: Path, events: pd.DataFrame) -> None:
    folders = sorted(p.name for p in (small / "events").iterdir())
    assert folders == ["event_date=2026-03-02", "event_date=2026-03-03", "event_date=2026-03-04"]
    for folder in (small / "events").iterdir():
        files = list(folder.glob("*.parquet"))
        assert files
        for f in files:
            schema = pq.read_schema(f)
            assert schema.names == COLUMNS
            assert str(schema.field("event_time").type) == "timestamp[us]"
            for name in COLUMNS[1:]:
                assert str(schema.field(name).type) == "string"
    # Each event sits in the partition of its own UTC date.
    assert (events["event_time"].dt.strftime("%Y-%m-%d") == events["event_date"]).all()
    assert set(events["query_type"]) <= {"A", "AAAA", "HTTPS", "TXT", "PTR", "SRV", "MX"}
    assert {"A", "AAAA", "TXT", "PTR", "SRV"} <= set(events["query_type"])
    assert set(events["response_code"]) <= {"NOERROR", "NXDOMAIN", "SERVFAIL"}
    assert {"NOERROR", "NXDOMAIN"} <= set(events["response_code"])
    assert (events["host_id"].str[:4] == events["tenant_id"]).all()
    assert events[COLUMNS].notna().all().all()


def test_ground_truth_columns(truth: pd.DataFrame) -> None:
    required = {
        *("tenant_id", "host_id", "label", "query_name", "registered_domain", "period_seconds"),
        *("jitter", "jitter_model", "n_beats", "missing_share", "subdomain_per_beat"),
        *("category", "shape", "other_names", "first_seen_at", "last_seen_at"),
    }
    assert required <= set(truth.columns)
    assert set(truth["label"]) == {"c2", "benign_periodic"}
    c2 = truth[truth["label"] == "c2"]
    assert (c2["category"] == "c2").all()
    assert set(c2["shape"]) == SHAPES
    assert set(truth.loc[truth["label"] != "c2", "category"]) == BENIGN_CATEGORIES
    assert (
        truth["jitter_model"]
        .isin(["none", "uniform", "sleep_reduction", "gaussian", "additive"])
        .all()
    )
    assert ((truth["missing_share"] >= 0) & (truth["missing_share"] < 1)).all()
    assert (truth["n_beats"] > 0).all()
    assert (truth["first_seen_at"] <= truth["last_seen_at"]).all()
    assert all(
        q == r or q.endswith("." + r)
        for q, r in zip(truth["query_name"], truth["registered_domain"], strict=True)
    )


def test_same_seed_same_bytes_other_seed_differs(small: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    _run(again, *SMALL)
    files = sorted(p.relative_to(small) for p in small.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (small / rel).read_bytes() == (again / rel).read_bytes(), rel
    other = tmp_path / "other"
    _run(other, *[a if a != "5" else "6" for a in SMALL])
    assert (other / "ground_truth.csv").read_bytes() != (small / "ground_truth.csv").read_bytes()
    day = "events/event_date=2026-03-02/part-00000.parquet"
    assert not pd.read_parquet(other / day).equals(pd.read_parquet(small / day))


def test_overwrite_is_required(small: Path) -> None:
    with pytest.raises(SystemExit):
        isc.main(["--out", str(small), *SMALL[:2]])


def test_every_channel_has_the_beats_it_claims(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    for _, row in truth.iterrows():
        found = _channel_events(events, row)
        assert len(found), (row["host_id"], row["query_name"])
        assert found["tenant_id"].eq(row["tenant_id"]).all()
        if row["subdomain_per_beat"] == "true":
            beats = found["query_name"].nunique()  # a fresh name per beat; retries repeat it
        else:
            beats = len(_beats(found["t"].to_numpy()))
        claimed = row["n_beats"]
        if row["shape"] == "popular_domain":  # the host also browses the name
            assert beats >= claimed
        else:
            assert abs(beats - claimed) <= 2 + 0.02 * claimed, (row["query_name"], beats, claimed)
        first = pd.Timestamp(row["first_seen_at"])
        last = pd.Timestamp(row["last_seen_at"])
        if row["shape"] != "popular_domain":
            assert abs((found["event_time"].min() - first).total_seconds()) < 1.5
            assert abs((found["event_time"].max() - last).total_seconds()) < 2.0


def test_c2_names_are_queried_by_their_host(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    c2 = truth[truth["label"] == "c2"]
    assert 10 <= len(c2) <= 40
    for _, row in c2.iterrows():
        names = set(events.loc[events["host_id"] == row["host_id"], "query_name"])
        if row["subdomain_per_beat"] == "true":
            assert any(n.endswith("." + row["query_name"]) for n in names)
        else:
            assert row["query_name"] in names


def test_rotation_members_are_all_used(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    rotation = truth[truth["shape"] == "rotation"]
    assert len(rotation)
    for _, row in rotation.iterrows():
        members = [row["query_name"], *row["other_names"].split(";")]
        assert 3 <= len(members) <= 8
        assert len({m.rsplit(".", 1)[1] for m in members}) == len(members)  # distinct TLDs
        on_host = events[events["host_id"] == row["host_id"]]
        counts = on_host[on_host["query_name"].isin(members)].groupby("query_name")["t"]
        beats = counts.apply(lambda t: len(_beats(t.to_numpy())))
        assert set(beats.index) == set(members)
        assert beats.max() < row["n_beats"]  # no member carries the schedule alone
        union = _beats(on_host.loc[on_host["query_name"].isin(members), "t"].to_numpy())
        gaps = np.diff(union)
        assert 0.6 * row["period_seconds"] < np.median(gaps[gaps < 2 * row["period_seconds"]])
        assert np.median(gaps) < 1.4 * row["period_seconds"]


def test_slow_beacons_beat_hours_apart(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    slow = truth[truth["shape"] == "slow"]
    assert len(slow)
    for _, row in slow.iterrows():
        assert 2 * 3600 <= row["period_seconds"] <= 8 * 3600
        beats = _beats(_channel_events(events, row)["t"].to_numpy())
        assert len(beats) >= 6
        assert np.median(np.diff(beats)) >= 1.5 * 3600


def test_strobe_is_a_fast_txt_tunnel(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    strobe = truth[truth["shape"] == "strobe"]
    assert len(strobe)
    for _, row in strobe.iterrows():
        found = _channel_events(events, row)
        assert (found["query_type"] == "TXT").all()
        labels = found["query_name"].str[: -len(row["query_name"]) - 1].str.replace(".", "")
        assert labels.str.len().min() >= 40
        gaps = np.diff(np.sort(found.drop_duplicates("query_name")["t"].to_numpy()))
        assert 1.0 <= np.median(gaps) <= 3.0


def test_campaign_spreads_day_by_day_in_one_tenant(
    events: pd.DataFrame, truth: pd.DataFrame
) -> None:
    campaign = truth[truth["shape"] == "campaign"]
    assert (campaign["query_name"] == campaign["query_name"].iloc[0]).all()
    assert (campaign["tenant_id"] == campaign["tenant_id"].iloc[0]).all()
    tenant_hosts = events.loc[events["tenant_id"] == campaign["tenant_id"].iloc[0], "host_id"]
    share = len(campaign) / tenant_hosts.nunique()
    assert 0.1 <= share <= 0.45
    days = pd.to_datetime(campaign["first_seen_at"]).dt.date.value_counts().sort_index()
    assert days.index[0] == dt.date(2026, 3, 3)  # not before the second day
    assert days.iloc[0] == 1  # one host first
    assert len(days) >= 2  # more hosts on later days
    name = campaign["query_name"].iloc[0]
    seen = events[events["query_name"] == name].groupby("host_id")["event_time"].min()
    assert set(seen.index) == set(campaign["host_id"])  # nowhere else


def test_benign_categories_and_background_present(small: Path, truth: pd.DataFrame) -> None:
    manifest = json.loads((small / "manifest.json").read_text())
    by_category = manifest["summary"]["events_by_category"]
    for category in [*BENIGN_CATEGORIES, "browsing", "typo", "os_background", "c2"]:
        assert by_category[category] > 0, category
    counts = truth.groupby("category")["host_id"].nunique()
    assert counts["vendor_agent"] >= 30  # fleet-wide
    assert counts["niche_app"] <= 6  # a few workstations
    monitoring = truth[truth["category"] == "monitoring_agent"]
    assert monitoring["host_id"].str.contains("-srv-").all()
    assert (truth.loc[truth["category"] == "reverse_lookup", "period_seconds"] == 3600).all()


def test_host_days_in_manifest(small: Path, events: pd.DataFrame) -> None:
    manifest = json.loads((small / "manifest.json").read_text())
    pairs = events[["host_id", "event_date"]].drop_duplicates()
    assert manifest["summary"]["host_days"] == len(pairs)
    assert manifest["summary"]["events"] == len(events)
    assert manifest["generator"] == "independent_scenario"
    assert manifest["args"]["hosts"] == 40


def test_client_cache_and_dual_stack(events: pd.DataFrame, truth: pd.DataFrame) -> None:
    periodic = set(truth["query_name"]) | set(truth["registered_domain"])
    periodic |= {n for names in truth["other_names"] for n in names.split(";") if n}
    human = events[
        (events["response_code"] == "NOERROR")
        & ~events["query_name"].isin(periodic)
        & ~events["host_id"].isin(truth.loc[truth["shape"] == "popular_domain", "host_id"])
    ]
    human = human[~human["query_name"].str.split(".").str[-2:].str.join(".").isin(periodic)]
    gaps = human.sort_values("t").groupby(["host_id", "query_name", "query_type"])["t"].diff()
    assert gaps.min() >= 20.0  # nothing repeats within the shortest TTL
    a = human[human["query_type"] == "A"].assign(s=lambda f: f["t"].astype(int))
    aaaa = human[human["query_type"] == "AAAA"].assign(s=lambda f: f["t"].astype(int))
    paired = a.merge(aaaa, on=["host_id", "query_name", "s"])
    assert len(paired) > 0.3 * len(aaaa)


def test_weekly_rhythm_and_time_zones(tmp_path: Path) -> None:
    out = tmp_path / "week"
    _run(out, "--hosts", "30", "--days", "3", "--start-date", "2026-03-06", "--seed", "3")
    frame = pd.read_parquet(out / "events")
    laptops = frame[frame["host_id"].str.contains("-lt-")]
    per_day = laptops.groupby(laptops["event_time"].dt.date).size()
    friday, weekend = per_day.get(dt.date(2026, 3, 6), 0), per_day.drop(dt.date(2026, 3, 6)).mean()
    assert weekend < 0.3 * friday
    # Tenant 1 works in UTC-5, tenant 2 in UTC+1: laptop traffic follows local office hours.
    for tenant, offset in (("tn01", -5), ("tn02", 1)):
        hours = (laptops.loc[laptops["tenant_id"] == tenant, "event_time"].dt.hour + offset) % 24
        assert ((hours >= 6) & (hours <= 23)).mean() > 0.95


def test_volume_follows_events_per_host_day(events: pd.DataFrame) -> None:
    per_host_day = events.groupby(["host_id", "event_date"]).size().reset_index(name="n")
    ws = per_host_day[~per_host_day["host_id"].str.contains("-srv-")]
    busy = ws[ws["n"] > 500]["n"]  # active weekdays
    assert 0.6 * 1500 < busy.mean() < 1.5 * 1500
    servers = per_host_day[per_host_day["host_id"].str.contains("-srv-")]["n"]
    assert servers.mean() < busy.mean() * 1.5
    assert len(servers)
