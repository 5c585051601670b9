"""The simulator keeps its promises: schedules, jitter, drops, prevalence, reproducibility."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from beaconlake.cli import main
from beaconlake.ingest.writer import CONTRACT_SCHEMA, contract_problem
from beaconlake.simulate import generator
from beaconlake.simulate.events import client_cache
from beaconlake.simulate.generator import simulate
from beaconlake.simulate.plan import build_context
from beaconlake.simulate.scenario import (
    C2_TTLS_S,
    DEFAULT_SERVICES,
    BeaconSpec,
    Scenario,
    grid_beacons,
    load_scenario,
    random_beacons,
)
from beaconlake.simulate.timing import JITTER_MODELS, beat_times, beat_times_many

P = 1000.0


def _events(out: Path) -> pd.DataFrame:
    return duckdb.execute(
        f"select * from read_parquet('{out}/events/**/*.parquet', hive_partitioning = true)"
    ).df()


def _beats(frame: pd.DataFrame) -> np.ndarray:
    """Beat times (s) of one channel's events: queries less than 1 s apart are one beat."""
    t = np.sort(frame.event_time.astype("int64").to_numpy()) / 1e6
    starts = np.concatenate(([True], np.diff(t) >= 1.0))
    return t[starts]


@pytest.mark.parametrize(
    ("model", "jitter", "mean", "sd"),
    [
        ("none", 0.3, 1.0, 0.0),
        ("uniform", 0.3, 1.0, 0.3 / np.sqrt(3)),
        ("sleep_reduction", 0.3, 1 - 0.15, 0.3 / np.sqrt(12)),
        ("gaussian", 0.2, 1.0, 0.2),
        ("additive", 0.4, 1.2, 0.4 / np.sqrt(12)),
    ],
)
def test_jitter_models_have_documented_mean_and_spread(
    model: str, jitter: float, mean: float, sd: float
) -> None:
    t = beat_times(np.random.default_rng(1), 0, P * 20_000, P, jitter, model)
    gaps = np.diff(t) / P
    assert gaps.mean() == pytest.approx(mean, abs=0.01)
    assert gaps.std() == pytest.approx(sd, abs=0.01)


def test_beats_fill_the_window_and_stay_inside_it() -> None:
    rng = np.random.default_rng(2)
    for model in JITTER_MODELS:
        t = beat_times(rng, 100.0, 100.0 + P * 50, P, 0.5, model)
        assert t.min() >= 100.0 and t.max() < 100.0 + P * 50
        assert t.max() > 100.0 + P * 48  # the last sleep ends near the window's end
    idx, t = beat_times_many(rng, 0.0, P * 30, P, 0.3, "uniform", 500)
    counts = np.bincount(idx, minlength=500)
    assert counts.min() >= 25 and counts.max() <= 36
    assert (t < P * 30).all()


def test_unknown_jitter_model_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter_model"):
        BeaconSpec("x", 60, 0.1, "sawtooth")


def test_client_cache_keeps_one_lookup_per_ttl() -> None:
    t = np.array([0.0, 1.0, 30.0, 61.0, 62.0, 200.0, 5.0])
    host = np.array([0, 0, 0, 0, 0, 0, 1])
    name = np.zeros(7, dtype=np.int32)
    keep = client_cache(host, name, t, np.array([60.0]))
    assert keep.tolist() == [True, False, False, True, False, True, True]


def test_contract_schema_and_partitions(small_dataset: tuple[Path, object]) -> None:
    out, _ = small_dataset
    days = sorted(p.name for p in (out / "events").iterdir())
    assert days == ["event_date=2026-11-02", "event_date=2026-11-03"]
    schema = pq.read_schema(next((out / "events" / days[0]).glob("*.parquet")))
    assert schema.names == CONTRACT_SCHEMA.names and contract_problem(schema) is None
    # text is dictionary-encoded, of the contract's type once decoded
    decoded = [f.type.value_type if pa.types.is_dictionary(f.type) else f.type for f in schema]
    assert decoded == CONTRACT_SCHEMA.types
    ev = _events(out)
    assert (ev.event_time.dt.date.astype(str) == ev.event_date.astype(str)).all()
    assert set(ev.tenant_id) == {"tenant-01", "tenant-02", "tenant-03"}
    assert ev[["host_id", "query_name", "tenant_id"]].notna().all().all()
    assert {"A", "AAAA"} <= set(ev.query_type)
    assert {"NOERROR", "NXDOMAIN"} <= set(ev.response_code)


def test_planted_beacons_keep_period_and_jitter(
    small_dataset: tuple[Path, object], small_scenario: Scenario
) -> None:
    out, _ = small_dataset
    ev = _events(out)
    truth = pd.read_csv(out / "ground_truth.csv")
    c2 = truth[(truth.label == "c2") & ~truth.subdomain_per_beat & ~truth.offline_at_night]
    checked = 0
    for row in c2.itertuples():
        if row.drop_prob:
            continue
        sel = ev[(ev.host_id == row.host_id) & (ev.query_name == row.query_name)]
        beats = _beats(sel)
        assert len(beats) == row.n_beats
        assert len(sel) == row.n_events == row.n_beats * row.queries_per_beat
        gaps = np.diff(beats) / row.period_seconds
        spec = next(b for b in small_scenario.beacons if b.name == row.channel)
        expected_mean = {"sleep_reduction": 1 - spec.jitter / 2, "additive": 1 + spec.jitter / 2}
        assert np.median(gaps) == pytest.approx(expected_mean.get(spec.jitter_model, 1.0), abs=0.1)
        assert gaps.min() >= (1 - spec.jitter) * 0.99 or spec.jitter_model == "gaussian"
        assert gaps.max() <= (1 + spec.jitter) * 1.01 or spec.jitter_model == "gaussian"
        checked += 1
    assert checked >= 5


def test_several_queries_per_beat_are_a_then_aaaa(small_dataset: tuple[Path, object]) -> None:
    out, _ = small_dataset
    ev = _events(out)
    truth = pd.read_csv(out / "ground_truth.csv")
    row = truth[truth.channel == "gauss-5m"].iloc[0]
    sel = ev[(ev.host_id == row.host_id) & (ev.query_name == row.query_name)]
    assert sel.query_type.value_counts().to_dict() == {"A": 2 * row.n_beats, "AAAA": row.n_beats}


def test_drop_probability_is_respected(small_dataset: tuple[Path, object]) -> None:
    out, _ = small_dataset
    truth = pd.read_csv(out / "ground_truth.csv")
    row = truth[truth.channel == "drop-1m"].iloc[0]
    assert row.scheduled_beats > 2500  # two days of one-minute beats
    assert row.missing_share == pytest.approx(0.25, abs=0.03)


def test_answer_ttls_are_each_names_ttl(small_dataset: tuple[Path, object]) -> None:
    out, _ = small_dataset
    ev = _events(out)
    truth = pd.read_csv(out / "ground_truth.csv")
    nx = ev.response_code == "NXDOMAIN"
    assert ev.answer_ttl_seconds[nx].isna().all() and ev.answer_ttl_seconds[~nx].notna().all()
    by_name = ev[~nx].groupby("query_name").answer_ttl_seconds
    assert (by_name.min() == by_name.max()).all()  # one TTL per name
    ttl = by_name.first()
    # applications re-resolving at each expiry: their period is their name's TTL
    apps = truth[truth.category.isin(["ttl_app", "niche_app"])]
    assert len(apps) and (apps.query_name.map(ttl) == apps.period_seconds).all()
    # C2 names: a short TTL drawn apart from the schedule, also for fresh names per beat
    c2 = truth[truth.label == "c2"]
    zone = ev[~nx].query_name.str.split(".", n=1).str[1]
    tunnel = c2[c2.subdomain_per_beat].query_name
    c2_ttls = pd.concat(
        [
            c2[~c2.subdomain_per_beat].query_name.map(ttl),
            ev[~nx][zone.isin(set(tunnel))].answer_ttl_seconds,
        ]
    )
    assert c2_ttls.notna().all() and set(c2_ttls) <= set(C2_TTLS_S)


def test_fresh_subdomain_per_beat(small_dataset: tuple[Path, object]) -> None:
    out, _ = small_dataset
    ev = _events(out)
    truth = pd.read_csv(out / "ground_truth.csv")
    row = truth[truth.channel == "tunnel-2m"].iloc[0]
    sel = ev[(ev.host_id == row.host_id) & ev.query_name.str.endswith("." + row.query_name)]
    assert sel.query_name.nunique() == row.n_beats == len(sel)
    assert row.registered_domain in row.query_name


def test_offline_at_night_beacons_sleep_with_their_machine(
    small_dataset: tuple[Path, object], small_scenario: Scenario
) -> None:
    out, _ = small_dataset
    ctx = build_context(small_scenario, out)
    ev = _events(out)
    truth = pd.read_csv(out / "ground_truth.csv")
    rows = truth[truth.channel == "night-5m"]
    host_index = {h: i for i, h in enumerate(ctx.population.host_ids)}
    for row in rows.itertuples():
        sel = ev[(ev.host_id == row.host_id) & (ev.query_name == row.query_name)]
        t = sel.event_time.astype("int64").to_numpy() / 1e6
        h = np.full(len(t), host_index[row.host_id])
        assert ctx.population.powered(h, t).all()
    offline = rows[rows.offline_at_night]
    assert (offline.missing_share > 0.3).all()  # a workstation is off most of the night


def test_prevalent_services_reach_their_host_share(
    small_dataset: tuple[Path, object], small_scenario: Scenario
) -> None:
    out, _ = small_dataset
    truth = pd.read_csv(out / "ground_truth.csv")
    edr = next(s for s in DEFAULT_SERVICES if s.name == "edr-telemetry")
    hosts = truth[truth.channel == edr.name].host_id.nunique()
    assert hosts / small_scenario.hosts == pytest.approx(edr.host_share, abs=0.08)
    rare = truth[truth.channel.isin(["monitoring-agent", "backup-controller"])]
    assert rare.groupby(["channel", "tenant_id"]).host_id.nunique().max() <= 2
    assert (truth[truth.label == "benign_periodic"].n_beats > 0).mean() > 0.9


def test_human_browsing_follows_working_hours(
    small_dataset: tuple[Path, object], small_scenario: Scenario
) -> None:
    out, _ = small_dataset
    ctx = build_context(small_scenario, out)
    pop = ctx.population
    ev = _events(out)
    human = ev[~ev.query_name.isin(ctx.names[len(ctx.vocab.names) :])]
    ws = {h for h, s in zip(pop.host_ids, pop.is_server, strict=True) if not s}
    human = human[human.host_id.isin(ws) & ~human.query_name.str.contains(".", regex=False) == 0]
    idx = {h: i for i, h in enumerate(pop.host_ids)}
    h = human.host_id.map(idx).to_numpy()
    t = human.event_time.astype("int64").to_numpy() / 1e6
    assert pop.working(h, t).mean() > 0.9
    per_pair = human.groupby(["host_id", "query_name"]).size()
    assert per_pair.median() <= 5 and per_pair.max() > 50  # Zipf: most names rare, a few busy


def test_same_arguments_give_identical_output(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(generator, "CHUNK_EVENTS", 5_000)  # several chunks
    sc = Scenario(
        hosts=40, days=1, tenants=2, seed=5, events_per_host=600, beacons=random_beacons(4, 5)
    )
    a = simulate(sc, tmp_path / "a", workers=1)
    b = simulate(sc, tmp_path / "b", workers=2)
    assert a.files > 2 and a.events == b.events
    files_a = sorted((tmp_path / "a/events").rglob("*.parquet"))
    files_b = sorted((tmp_path / "b/events").rglob("*.parquet"))
    assert [f.relative_to(tmp_path / "a") for f in files_a] == [
        f.relative_to(tmp_path / "b") for f in files_b
    ]
    assert all(fa.read_bytes() == fb.read_bytes() for fa, fb in zip(files_a, files_b, strict=True))
    assert (tmp_path / "a/ground_truth.csv").read_text() == (
        tmp_path / "b/ground_truth.csv"
    ).read_text()
    c = simulate(Scenario(**{**sc.__dict__, "seed": 6}), tmp_path / "c", workers=1)
    assert c.events != a.events


def test_grid_covers_every_combination_once() -> None:
    grid = grid_beacons(
        periods=(60.0, 600.0), jitters=(0.0, 0.3), drop_probs=(0.0,), subdomain=(False,)
    )
    # jitter 0: one schedule per period; jitter 0.3: four models per period
    assert len(grid) == 2 * (1 + 4)
    assert len({(b.period_seconds, b.jitter, b.jitter_model) for b in grid}) == len(grid)


def test_scenario_file_and_cli_overrides(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(
        "hosts = 30\ndays = 1\ntenants = 2\nseed = 3\nevents_per_host = 300.0\n"
        'start_date = "2026-03-01"\n\n[[beacon]]\nname = "mine"\nperiod_seconds = 600\n'
        'jitter = 0.3\njitter_model = "uniform"\nquery_name = "beat.example-c2.top"\n'
    )
    assert load_scenario(path, hosts=20).hosts == 20
    result = CliRunner().invoke(
        main, ["simulate", "--scenario", str(path), "--out", str(tmp_path / "o"), "--tenants", "1"]
    )
    assert result.exit_code == 0, result.output
    truth = pd.read_csv(tmp_path / "o/ground_truth.csv")
    c2 = truth[truth.label == "c2"]
    assert c2.channel.tolist() == ["mine"] and c2.registered_domain.tolist() == ["example-c2.top"]
    assert (tmp_path / "o/events/event_date=2026-03-01").is_dir()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--jitter-models", "sawtooth"], "jitter_model"),
        (["--jitters", "a,b"], "comma-separated numbers"),
        (["--tenants", "999"], "999"),
    ],
)
def test_cli_rejects_bad_options_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, ["simulate", "--out", str(tmp_path), "--hosts", "5", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_refuses_to_overwrite_without_flag(tmp_path: Path) -> None:
    # left as written: each flag beside its value
    args = ["simulate", "--out", str(tmp_path), "--hosts", "5", "--events-per-host", "50",
            "--tenants", "1", "--beacons", "1"]  # fmt: skip
    assert CliRunner().invoke(main, args).exit_code == 0
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
    assert CliRunner().invoke(main, [*args, "--overwrite"]).exit_code == 0


def test_busy_server_names_are_labelled_ttl_refresh(
    small_dataset: tuple[Path, object], small_scenario: Scenario
) -> None:
    out, _ = small_dataset
    ctx = build_context(small_scenario, out)
    truth = pd.read_csv(out / "ground_truth.csv")
    refresh = truth[truth.category == "ttl_refresh"]
    assert len(refresh) > 0 and (refresh.label == "benign_periodic").all()
    servers = set(ctx.population.host_ids[ctx.population.is_server])
    assert set(refresh.host_id) <= servers
    ev = _events(out)
    row = refresh.sort_values("n_beats").iloc[-1]
    sel = ev[(ev.host_id == row.host_id) & (ev.query_name == row.query_name)]
    gaps = np.diff(_beats(sel))
    assert len(sel) == row.n_events
    assert np.quantile(gaps, 0.05) >= 0.99 * row.period_seconds  # the cache holds the answer a TTL
