"""Replay the Saitama capture into each real benign capture, and run each benign capture alone.

Reads the shared real-data folder (``../shared/data`` beside the repository, or
``$BEACONLAKE_SHARED_DATA``), runs ``beaconlake replay`` twice per background (with the C2, and
``--benign-only``) and prints one Markdown table of the measured figures, plus every benign
finding. Each run is one small pipeline run (about 40 s on two cores).

    python benchmarks/real_logs.py --out data/real_logs [--only wrccdc2018] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from beaconlake.replay import REAL_BACKGROUNDS, REAL_C2, run_replay, shared_data_dir

ROOT = Path(__file__).resolve().parents[1]
#: Benign periodic lookups the report follows (every background's), by label.
LANDMARKS = {
    label: names for bg in REAL_BACKGROUNDS.values() for label, names in bg.landmarks.items()
}


def _c2_cell(report: dict[str, Any]) -> str:
    cells = []
    for c in report["c2"]:
        name = c["registered_domain"].removeprefix("saitama-fake-domain-").removesuffix(".com")
        if c["found"]:
            cells.append(f"{name}: #{c['rank']} {c['score']:.2f} {c['severity']}")
        else:
            p = c["stages"]["confirmation"]
            score = f"{p[0]['periodicity_score']:.2f}" if p else "not a candidate"
            cells.append(f"{name}: not found ({score})")
    return "; ".join(cells)


def _landmarks(report: dict[str, Any]) -> str:
    out = []
    for label, names in LANDMARKS.items():
        hits = [f for f in report["other_findings_list"] if f["domain"] in names]
        if hits:
            best = min(hits, key=lambda f: f["rank"])
            out.append(
                f"{label}: {len(hits)} finding(s), best #{best['rank']} "
                f"{best['severity']} {best['score']:.2f}"
            )
    return "; ".join(out) or "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "real_logs")
    parser.add_argument("--only", action="append", choices=sorted(REAL_BACKGROUNDS))
    parser.add_argument("--json", type=Path, help="Write every report as JSON here.")
    args = parser.parse_args(argv)
    real = shared_data_dir() / "real"
    if not real.is_dir():
        print(f"no real data at {real} (set BEACONLAKE_SHARED_DATA)", file=sys.stderr)
        return 2
    results: dict[str, Any] = {}
    for name in args.only or list(REAL_BACKGROUNDS):
        background = REAL_BACKGROUNDS[name]
        paths = [real / f for f in background.files]
        replayed, placement = run_replay(
            [real / REAL_C2],
            paths,
            args.out / name / "replay",
            overwrite=True,
            background_rebase_date=background.rebase_date,
        )
        benign, _ = run_replay(
            None,
            paths,
            args.out / name / "benign",
            overwrite=True,
            background_rebase_date=background.rebase_date,
        )
        results[name] = {"placement": placement, "replay": replayed, "benign": benign}
    print(
        "\n| background | C2 host (overlap) | Saitama per registered domain: rank, score, "
        "severity | benign findings (alerts) / host-days | per host-day | benign landmarks "
        "(replay rank) | findings above the C2 |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        p, rep, ben = r["placement"], r["replay"], r["benign"]
        rate = ben["other_findings_per_host_day"]
        above = rep["other_findings_ranked_above_c2"]
        print(
            f"| {name} | {p['host_id']} ({p['overlap_share']:.0%}) | {_c2_cell(rep)} | "
            f"{ben['other_findings']} ({ben['other_alerts']}) / {ben['host_days']} | "
            f"{rate:.3f} | {_landmarks(rep)} | {'-' if above is None else above} |"
        )
    for name, r in results.items():
        print(f"\n{name}, benign-only findings:")
        for f in r["benign"]["other_findings_list"]:
            print(
                f"  #{f['rank']:<3} {f['severity']:<8} {f['score']:.2f}  {f['host_id']}  "
                f"{f['domain_level']}:{f['domain']}  {f['reason']}"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
