"""Recall vs jitter of three detectors on one run: FFT alone, SQL statistics alone, the pipeline.

    python benchmarks/compare_detectors.py --db data/grid.duckdb --ground-truth data/grid \
        --plot recall_vs_jitter.png

Run ``beaconlake run`` on a simulated dataset first (``beaconlake simulate --grid`` gives balanced
buckets). The three detectors are read from that run's warehouse:

- FFT alone: a candidate whose zero-padded periodogram peak beats the 95th percentile of 100
  permutations (spectral ratio >= 1), the classic spectral test with nothing else;
- SQL statistics alone: every candidate of the dbt models (robust inter-arrival statistics,
  sliding-window counts, prevalence), scored by 1 - MAD/median of its intervals;
- the pipeline: confirmed findings at the alert severity (medium and above).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import duckdb
import pandas as pd

from beaconlake.evaluate import (
    evaluate,
    load_truth,
    plot_recall_vs_jitter,
    prepare_findings,
    render_comparison,
)


def detectors(db: Path) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        fft = con.execute(
            "select tenant_id, host_id, domain, spectral_ratio as score from main.beacon_findings "
            "where spectral_ratio >= 1"
        ).df()
        sql = con.execute(
            "select tenant_id, host_id, domain, max(1 - coalesce(interval_mad_ratio, 1)) as score "
            "from main.fct_beacon_candidates group by tenant_id, host_id, domain"
        ).df()
        full = con.execute(
            "select tenant_id, host_id, domain, score from main_findings.fct_beacon_findings "
            "where severity_rank >= 2"
        ).df()
    return pd.concat(
        [
            fft.assign(detector="FFT alone"),
            sql.assign(detector="SQL statistics alone"),
            full.assign(detector="beaconlake pipeline"),
        ],
        ignore_index=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--ground-truth", type=Path, required=True)
    parser.add_argument("--min-beats", type=int, default=20)
    parser.add_argument("--plot", type=Path, default=Path("recall_vs_jitter.png"))
    args = parser.parse_args()
    truth = load_truth(args.ground_truth)
    findings = prepare_findings(detectors(args.db))
    reports = evaluate(truth, findings, min_beats=args.min_beats)
    print(render_comparison(reports))
    plot_recall_vs_jitter(reports, args.plot)
    print(f"plot: {args.plot}")


if __name__ == "__main__":
    main()
