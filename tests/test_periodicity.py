"""The confirmation tests on single series: beacons are confirmed, random arrivals are not."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from beaconlake.confirm.periodicity import (
    analyze,
    fold_score,
    merge_beats,
    renewal_llr,
    ttl_floor,
)
from beaconlake.confirm.settings import project_settings
from beaconlake.project import project_dir
from beaconlake.simulate.timing import JITTER_MODELS, beat_times

DAY = 86_400.0
#: Score above which a series counts as confirmed periodic in these tests.
CONFIRMED = 0.4


def test_a_50_minute_beacon_with_30_percent_jitter_is_confirmed() -> None:
    rng = np.random.default_rng(1)
    t = beat_times(rng, 0, DAY, 3000, 0.3, "uniform")
    r = analyze(t, 0, DAY)
    assert r.periodicity_score >= CONFIRMED
    assert r.period_seconds == pytest.approx(3000, rel=0.05)
    assert r.jitter == pytest.approx(0.3, abs=0.1)


def test_a_poisson_process_at_the_same_rate_is_not() -> None:
    scores = []
    for seed in range(100):
        t = np.sort(np.random.default_rng(seed).uniform(0, DAY, 29))
        scores.append(analyze(t, 0, DAY).periodicity_score)
    confirmed = np.mean(np.array(scores) >= CONFIRMED)
    assert confirmed <= 0.02  # a false-alarm rate, not a promise about every draw
    assert np.median(scores) < 0.2


@pytest.mark.parametrize("model", [m for m in JITTER_MODELS if m != "none"])
def test_every_jitter_model_at_30_percent_is_confirmed(model: str) -> None:
    rng = np.random.default_rng(3)
    scores = [analyze(beat_times(rng, 0, DAY, 1800, 0.3, model), 0, DAY) for _ in range(10)]
    assert min(s.periodicity_score for s in scores) >= CONFIRMED


def test_missing_beats_are_folded_onto_the_period() -> None:
    rng = np.random.default_rng(4)
    t = beat_times(rng, 0, 2 * DAY, 1200, 0.1, "uniform")
    kept = t[rng.random(len(t)) >= 0.25]
    r = analyze(kept, 0, 2 * DAY)
    assert r.period_seconds == pytest.approx(1200, rel=0.05)
    assert r.missing_share == pytest.approx(0.25, abs=0.1)
    assert r.periodicity_score >= CONFIRMED


def test_a_and_aaaa_in_the_same_instant_are_one_beat() -> None:
    beats = np.arange(0.0, DAY, 600.0)
    both = np.concatenate([beats, beats + 0.003, beats + 0.6])
    assert len(merge_beats(both, project_settings().beat_merge_seconds)) == len(beats)
    assert analyze(both, 0, DAY).n_beats == len(beats)


def test_the_beat_gap_is_the_var_and_joins_seconds() -> None:
    t = np.array([100.9, 101.2, 102.5, 105.0])  # seconds 100, 101, 102 and 105
    assert merge_beats(t, 1).tolist() == [100.0, 105.0]  # 1 s apart: one beat
    assert merge_beats(t, 0).tolist() == [100.0, 101.0, 102.0, 105.0]
    assert merge_beats(t, 3).tolist() == [100.0]


def test_beats_are_those_of_the_sql_beat_rule() -> None:
    # the SQL rule's dbt unit test: its seconds (as event times within them) merged in Python
    # give the beats and intervals it expects
    models = yaml.safe_load(
        (project_dir() / "models" / "intermediate" / "_intermediate__models.yml").read_text()
    )
    case = next(
        u for u in models["unit_tests"] if u["name"] == "test_retry_merge_and_midnight_lookback"
    )
    rows = next(g["rows"] for g in case["given"] if "aggregated_to_seconds" in g["input"])

    def epochs(values: list[str]) -> np.ndarray:
        return pd.to_datetime(values).to_numpy(dtype="datetime64[s]").astype(float)

    seconds = epochs([r["second_at"] for r in rows])
    events = seconds + np.random.default_rng(0).uniform(0.0, 0.999, len(seconds))
    beats = merge_beats(events, case["overrides"]["vars"]["beat_merge_seconds"])
    expected = case["expect"]["rows"]
    beat_at = epochs([r["beat_at"] for r in expected])
    assert beats[beats >= beat_at.min()].tolist() == beat_at.tolist()
    previous = beats[np.searchsorted(beats, beat_at) - 1]
    assert (beat_at - previous).tolist() == [r["interval_seconds"] for r in expected]


def test_the_sql_states_the_beat_rule_once() -> None:
    # every SQL beat is cut by the macro starts_beat, the one reader of var beat_merge_seconds
    root = project_dir()
    reads = re.compile(r"""var\(\s*['"]beat_merge_seconds['"]""")
    readers = sorted(
        str(path.relative_to(root))
        for folder in ("models", "macros", "tests")
        for path in (root / folder).rglob("*.sql")
        if reads.search(path.read_text())
    )
    assert readers == ["macros/dns/starts_beat.sql"]


def test_sessions_that_stop_and_start_lose_continuity() -> None:
    # a name re-resolved every 60 s, but only in five 20-minute sessions a day
    starts = np.linspace(8, 17, 5) * 3600
    t = np.concatenate([s + np.arange(0, 1200, 61.0) for s in starts])
    r = analyze(t, 0, DAY)
    assert r.gaps_per_day == 4  # restarts after the first session
    assert r.coverage == pytest.approx(1.0, abs=0.05)  # each session is complete
    assert r.continuity < 0.5
    steady = analyze(np.arange(8 * 3600, 17 * 3600 + 1200, 61.0), 0, DAY)
    assert steady.continuity == pytest.approx(1.0, abs=0.05)
    assert r.periodicity_score < steady.periodicity_score - 0.2


def test_continuity_counts_the_series_own_lifetime() -> None:
    # an implant active for 3 hours of a host that was on for 3 days is judged on its 3 hours
    rng = np.random.default_rng(6)
    t = 86_400 + beat_times(rng, 0, 3 * 3600, 120, 0.3, "uniform")
    r = analyze(t, 0, 3 * DAY, active_seconds=3 * DAY)
    assert r.coverage >= 0.9
    assert r.lifetime_seconds == pytest.approx(3 * 3600, rel=0.05)
    assert r.periodicity_score >= CONFIRMED
    # an hour's break in the middle is one restart; the runs themselves stay complete
    broken = analyze(t[(t < 86_400 + 3600) | (t > 86_400 + 7200)], 0, 3 * DAY, 3 * DAY)
    assert broken.gaps_per_day == 1  # one restart
    assert broken.coverage >= 0.9  # each run is complete


def test_a_tunnel_polling_in_daily_bursts_is_confirmed() -> None:
    # every 2 s for 90 minutes on each of two days: periodic within its runs
    t = np.concatenate([d * DAY + 3600 + np.arange(0, 5400, 2.0) for d in range(2)])
    r = analyze(t, 0, 2 * DAY, active_seconds=2 * DAY)
    assert r.coverage >= 0.95
    assert r.periodicity_score >= CONFIRMED


def test_ttl_floor_marks_cache_refreshes_not_symmetric_jitter() -> None:
    rng = np.random.default_rng(7)
    refresh = 300 + rng.uniform(0, 4, 200)  # TTL 300 s plus a client delay of up to 4 s
    assert ttl_floor(refresh) == 300
    jittered = 300 * (1 + rng.uniform(-0.1, 0.1, 200))  # a beacon, ±10 %
    assert ttl_floor(jittered) == 0
    assert ttl_floor(3000 + rng.uniform(0, 4, 200)) == 0  # 3000 s is no common TTL


def test_fold_score_weights_multiples_and_ignores_long_gaps() -> None:
    score, missing, k = fold_score(np.array([100.0, 200.0, 100.0, 5000.0]), 100.0)
    assert k.tolist() == [1, 2, 1, 50]
    assert missing == 0.5
    assert score == pytest.approx((1 + 0.8 + 1 + 0) / 4)


def test_renewal_llr_sign() -> None:
    rng = np.random.default_rng(5)
    regular = 1 + rng.uniform(-0.2, 0.2, 200)
    random = rng.exponential(1.0, 200)
    ones = np.ones(200, dtype=int)
    assert renewal_llr(regular, ones, 0.12) > 1.0
    assert renewal_llr(random, np.maximum(1, np.rint(random)).astype(int), 0.5) < 0


def test_too_few_events_score_zero() -> None:
    r = analyze(np.array([0.0, 100.0, 200.0]), 0, DAY)
    assert r.periodicity_score == 0 and r.n_beats == 3


def test_a_long_random_series_scores_near_zero_without_overflow() -> None:
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 3 * 86_400, 10_000))
    t = np.sort(np.concatenate([t, t[:5000] + 0.5]))  # bursts: llr × n far below -709
    p = analyze(t, 0, 3 * 86_400)
    assert p.renewal_score == 0.0 and p.periodicity_score < 0.4
