"""Rows of different lengths laid end to end compute what each row computes alone."""

from __future__ import annotations

import numpy as np

from beaconlake.confirm.periodicity import analyze, analyze_many
from beaconlake.confirm.rows import Rows
from beaconlake.simulate.timing import beat_times

DAY = 86_400.0


def ragged(seed: int, rows: int = 200) -> list[np.ndarray]:
    """Rows of 0 to 40 values: whole numbers with ties, and floats."""
    rng = np.random.default_rng(seed)
    return [
        np.rint(rng.uniform(0, 50, n)) if i % 2 else rng.exponential(30, n)
        for i, n in enumerate(rng.integers(0, 41, rows))
    ]


def test_each_row_computes_what_it_computes_alone() -> None:
    arrays = ragged(1)
    rows = Rows.of(arrays)
    full = [i for i, x in enumerate(arrays) if len(x)]
    assert len(rows) == len(arrays) and len(full) < len(arrays)  # empty rows are exercised
    np.testing.assert_array_equal(rows.sum(), [sum(x.tolist()) for x in arrays])
    for i, x in enumerate(arrays):
        np.testing.assert_array_equal(rows[i], x)
        np.testing.assert_array_equal(rows.diff()[i], np.diff(x))
        np.testing.assert_array_equal(rows.sorted()[i], np.sort(x))
        np.testing.assert_array_equal(rows.where(rows.values > 20)[i], x[x > 20])
    some = rows.take(np.array(full[::-1] + full[:3]))
    for j, i in enumerate(full[::-1] + full[:3]):
        np.testing.assert_array_equal(some[j], arrays[i])
    dense = rows.take(np.array(full))
    np.testing.assert_array_equal(dense.first(), [arrays[i][0] for i in full])
    np.testing.assert_array_equal(dense.last(), [arrays[i][-1] for i in full])
    np.testing.assert_array_equal(dense.max(), [arrays[i].max() for i in full])
    np.testing.assert_allclose(dense.mean(), [arrays[i].mean() for i in full], rtol=1e-13)
    # the first largest value, as list.index(max(...)) picks it among ties
    picked = dense.first_max() - dense.starts
    assert picked.tolist() == [arrays[i].tolist().index(max(arrays[i])) for i in full]


def test_a_series_scores_the_same_in_a_batch_as_alone() -> None:
    """Bit for bit: each series' sums run over its own values in order, whatever shares its
    batch (so results never depend on how candidates were batched)."""
    rng = np.random.default_rng(2)
    series = [
        beat_times(rng, 0, DAY, float(period), jitter, "uniform")
        for period in (60, 300, 900, 3600)
        for jitter in (0.0, 0.3)
    ]
    series += [np.sort(rng.uniform(0, DAY, n)) for n in (2, 5, 40, 400)]
    series += [np.array([]), np.concatenate([series[1], series[1] + 0.5])]
    active = [None if i % 2 else DAY / 2 for i in range(len(series))]
    together = analyze_many(series, 0.0, DAY, active)
    alone = [analyze(t, 0.0, DAY, a) for t, a in zip(series, active, strict=True)]
    assert together == alone
    assert sum(p.periodicity_score > 0.5 for p in together) >= 6
