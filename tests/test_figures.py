"""The field report's figures: a clean FFT peak at 40 beats that jitter smears, and PNG output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from beaconlake.cli import main
from beaconlake.figures import BEATS, beacon_series, peak_share, sliding_counts

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_regular_beacon_peaks_at_frequency_40() -> None:
    s = beacon_series(jitter=0.0)
    assert len(s.counts) == 2000 and s.counts.sum() == BEATS
    assert int(np.argmax(s.power[1 : BEATS + 10])) + 1 == BEATS


def test_jitter_smears_the_peak() -> None:
    clean, jittered = beacon_series(0.0), beacon_series(0.3)
    assert jittered.counts.sum() >= BEATS - 2
    # energy at exactly k = 40 collapses; what remains spreads into neighbouring frequencies
    assert peak_share(jittered.power, BEATS) < 0.25 * peak_share(clean.power, BEATS)
    assert peak_share(jittered.power, BEATS, halfwidth=3) > 2 * peak_share(jittered.power, BEATS)


def test_sliding_counts_are_window_sums() -> None:
    series = np.array([1.0, 0.0, 2.0, 0.0, 1.0])
    assert sliding_counts(series, 2).tolist() == [1.0, 2.0, 2.0, 1.0]


def test_cli_writes_three_pngs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["figures", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in pngs] == [
        "figure_a_fft.png",
        "figure_b_fft_jitter.png",
        "figure_c_sliding_window.png",
    ]
    assert all(p.read_bytes()[:8] == PNG_MAGIC and p.stat().st_size > 10_000 for p in pngs)
