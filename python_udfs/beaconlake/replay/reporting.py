"""The replay's report: analysis of one run, its text rendering, and the whole replay."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from beaconlake.confirm.scoring import ALERT_SEVERITY_RANK
from beaconlake.replay.captures import (
    DB_FILE,
    EVENTS_DIR,
    GROUND_TRUTH_FILE,
    REPORT_FILE,
)
from beaconlake.replay.mixing import prepare
from beaconlake.replay.ranking import (
    all_c2_domains_as_one,
    explain,
    host_days,
    ranked_findings,
    stage_verdict,
)
from beaconlake.store import warehouse_for


def analyse(out: Path, db: Path) -> dict[str, Any]:
    """The report: the C2 domains' outcome, every other finding, findings per host-day."""
    findings = ranked_findings(db)
    n_host_days = host_days(out / EVENTS_DIR)
    truth_path = out / GROUND_TRUTH_FILE
    truth = pd.read_csv(truth_path, dtype=str) if truth_path.exists() else None
    c2_rows: list[dict[str, Any]] = []
    is_c2 = pd.Series(False, index=findings.index)
    wh = warehouse_for("duckdb", str(db), read_only=True)
    if truth is not None:
        for row in truth.itertuples():
            on_host = findings.host_id == row.host_id
            same = on_host & (findings.registered_domain == row.registered_domain)
            is_c2 |= same
            hit = findings[same & (findings.domain_level == "registered_domain")]
            entry: dict[str, Any] = {
                "host_id": row.host_id,
                "registered_domain": row.registered_domain,
                "n_queries": int(row.n_queries),
                "n_beats": int(row.n_beats),
            }
            if len(hit):
                best = hit.iloc[0]
                entry |= {
                    "found": True,
                    "alert": int(best.severity_rank) >= ALERT_SEVERITY_RANK,
                    "rank": int(best["rank"]),
                    "score": float(best.score),
                    "severity": best.severity,
                    "reason": best.reason,
                }
            else:
                verdict = stage_verdict(wh, row.host_id, row.registered_domain)
                entry |= {
                    "found": False,
                    "alert": False,
                    "why_not": explain(verdict),
                    "stages": verdict,
                }
            c2_rows.append(entry)
    rotation = all_c2_domains_as_one(out, wh, truth) if truth is not None else None
    others = findings[~is_c2]
    alerts = others[others.severity_rank >= ALERT_SEVERITY_RANK]
    hits = [r for r in c2_rows if r["found"]]
    best_rank = min((r["rank"] for r in hits), default=None)
    return {
        "c2": c2_rows,
        "c2_found": any(r["alert"] for r in c2_rows) if c2_rows else None,
        "c2_best_rank": best_rank,
        "c2_domains_as_one_series": rotation,
        "host_days": n_host_days,
        "findings": len(findings),
        "other_findings": len(others),
        "other_alerts": len(alerts),
        "other_findings_per_host_day": len(others) / n_host_days if n_host_days else None,
        "other_alerts_per_host_day": len(alerts) / n_host_days if n_host_days else None,
        "other_findings_ranked_above_c2": (
            int((others["rank"] < best_rank).sum()) if best_rank is not None else None
        ),
        "other_findings_list": json.loads(
            others.drop(columns=["severity_rank"]).to_json(orient="records")
        ),
    }


def render(report: dict[str, Any], placement: dict[str, Any] | None) -> str:
    """The terminal report."""
    lines: list[str] = []
    if placement:
        p = placement
        lines += [
            f"C2: {p['c2_queries']} queries on host {p['host_id']} ({p['host_reason']}), "
            f"shifted by {p['shift_seconds']:+,} s ({p['mode']}): "
            f"{p['c2_first_at']} .. {p['c2_last_at']}",
            f"background: {p['background_first_at']} .. {p['background_last_at']}; it covers "
            f"{p['overlap_share']:.0%} of the C2's span; the host has "
            f"{p['host_events_during_c2']:,} background events during it",
        ]
        lines += [f"note: {n}" for n in p["notes"]]
    for c in report["c2"]:
        if c["found"]:
            lines.append(
                f"C2 {c['registered_domain']}: FOUND rank {c['rank']}, score {c['score']:.2f}, "
                f"{c['severity']}: {c['reason']}"
            )
        else:
            lines.append(f"C2 {c['registered_domain']}: NOT FOUND: {c['why_not']}")
    one = report.get("c2_domains_as_one_series")
    if one:
        lines.append(
            f"all C2 domains as one series (diagnostic): periodicity "
            f"{one['periodicity_score']:.2f}, every {one['period_seconds']:.0f} s, "
            f"{one['n_beats']} beats, renewal {one['renewal_score']:.2f}, interval "
            f"{one['interval_score']:.2f}, continuity {one['continuity']:.2f}"
        )
    if report["c2_found"] is not None:
        verdict = "found (an alert at medium or above)" if report["c2_found"] else "not alerted"
        lines.append(f"C2 at the registered-domain level: {verdict}")
    rate = report["other_findings_per_host_day"]
    lines.append(
        f"other findings: {report['other_findings']} ({report['other_alerts']} at medium or "
        f"above) over {report['host_days']:,} host-days"
        + (f" = {rate:.3f} findings per host-day" if rate is not None else "")
    )
    for f in report["other_findings_list"]:
        lines.append(
            f"  #{f['rank']:<3} {f['severity']:<8} {f['score']:.2f}  {f['host_id']}  "
            f"{f['domain_level']}:{f['domain']}  {f['reason']}"
        )
    return "\n".join(lines)


def run_replay(
    c2_paths: list[Path] | None,
    background_paths: list[Path],
    out: Path,
    *,
    workers: int | None = None,
    **options: Any,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Prepare the input, run the pipeline on it, and analyse the result (``report.json``)."""
    from beaconlake.pipeline import run_pipeline

    placement = prepare(c2_paths, background_paths, out, **options)
    db = out / DB_FILE
    run_pipeline(str(out / EVENTS_DIR), "duckdb", str(db), workers=workers)
    report = analyse(out, db)
    as_dict = asdict(placement) if placement else None
    (out / REPORT_FILE).write_text(
        json.dumps({"placement": as_dict, **report}, indent=2, default=str) + "\n"
    )
    return report, as_dict
