"""The report as aligned text tables, JSON-ready dicts and a recall-vs-jitter plot."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from beaconlake.evaluate.definitions import (
    ALERT_LOAD_FORMULA,
    NUMERIC_BUCKETS,
    PRECISION_FORMULA,
    PRECISION_NOTE,
    PRECISION_VS_HUMAN_FORMULA,
    EvaluationReport,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _align(rows: Sequence[Sequence[str]], right: Iterable[int] = ()) -> list[str]:
    """Plain aligned columns; ``right`` lists the column indexes to right-align."""
    right = set(right)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def _headline(report: EvaluationReport) -> str:
    text = f"Detector: {report.detector}"
    if report.min_beats is not None:
        text += (
            f"  (min beats {report.min_beats}: {report.out_of_scope_positives} C2 channel(s)"
            f" out of scope, {report.out_of_scope_flagged} of them flagged, not counted)"
        )
    if report.min_severity is not None:
        text += f"  (findings at severity {report.min_severity} or above)"
    return text


def _summary_rows(report: EvaluationReport) -> list[list[str]]:
    benign_rate = report.benign_flag_rate
    rate = "" if benign_rate is None else f" ({benign_rate:.1%})"
    return [
        [
            "findings",
            str(report.findings),
            f"{report.finding_groups} group(s): one per matched channel or unmatched domain",
        ],
        ["true positives", str(report.true_positives), f"of {report.positives} C2 channels"],
        ["false negatives", str(report.false_negatives), "C2 channels missed"],
        ["duplicates", str(report.duplicates), "extra findings on a detected C2; not FP"],
        [
            "benign periodic flags",
            str(report.benign_flags),
            f"of {report.benign_channels} benign periodic channels{rate}",
        ],
        ["human-traffic FPs", str(report.human_false_positives), "matching no periodic channel"],
        [
            "alert load",
            _fmt(report.alert_load_per_100_host_days),
            f"{report.non_c2_alerts} non-C2 (tenant, host, domain) findings per 100 host-days"
            + ("" if report.host_days is None else f" ({report.host_days:,.0f} host-days)"),
        ],
        ["precision", _fmt(report.precision), PRECISION_FORMULA],
        ["precision vs human", _fmt(report.precision_vs_human), PRECISION_VS_HUMAN_FORMULA],
        ["recall", _fmt(report.recall), "TP / C2 channels"],
        ["F1", _fmt(report.f1), ""],
        ["average precision", _fmt(report.average_precision), "over the score ranking"],
    ]


def _bucket_rows(report: EvaluationReport) -> list[list[str]]:
    rows = [["dimension", "bucket", "positives", "detected", "recall"]]
    for dimension, buckets in report.recall_by.items():
        for i, b in enumerate(buckets):
            label = dimension if i == 0 else ""
            rows.append([label, b.bucket, str(b.positives), str(b.detected), _fmt(b.recall)])
    return rows


def render_table(report: EvaluationReport) -> str:
    """The report as plain aligned text for a terminal."""
    lines = [_headline(report), *("  " + line for line in _align(_summary_rows(report), [1]))]
    if report.benign_by_category:
        lines.append("  benign periodic flags by category:")
        cats = [[c, f"{f.flagged} of {f.total}"] for c, f in report.benign_by_category.items()]
        lines += ["    " + line for line in _align(cats)]
    lines += ["", "Recall by bucket. " + PRECISION_NOTE]
    lines += ["  " + line for line in _align(_bucket_rows(report), [2, 3, 4])]
    return "\n".join(lines)


#: Headline columns of ``render_comparison``: (header, how to read it off a report).
_COMPARISON_COLUMNS: tuple[tuple[str, Any], ...] = (
    ("detector", lambda r: r.detector),
    ("TP", lambda r: str(r.true_positives)),
    ("FN", lambda r: str(r.false_negatives)),
    ("dup", lambda r: str(r.duplicates)),
    ("benign", lambda r: str(r.benign_flags)),
    ("human FP", lambda r: str(r.human_false_positives)),
    ("precision", lambda r: _fmt(r.precision)),
    ("prec/human", lambda r: _fmt(r.precision_vs_human)),
    ("recall", lambda r: _fmt(r.recall)),
    ("F1", lambda r: _fmt(r.f1)),
    ("AP", lambda r: _fmt(r.average_precision)),
    ("load/100hd", lambda r: _fmt(r.alert_load_per_100_host_days)),
)


def render_comparison(reports: dict[str, EvaluationReport]) -> str:
    """One line per detector with the headline numbers."""
    rows = [[header for header, _ in _COMPARISON_COLUMNS]]
    rows += [[cell(r) for _, cell in _COMPARISON_COLUMNS] for r in reports.values()]
    return "\n".join(_align(rows, range(1, len(_COMPARISON_COLUMNS))))


def reports_to_dict(
    reports: dict[str, EvaluationReport], *, ground_truth: str | None = None
) -> dict[str, Any]:
    """The machine-readable document ``--json`` writes."""
    return {
        "ground_truth": ground_truth,
        "precision_note": PRECISION_NOTE,
        "precision_formula": PRECISION_FORMULA,
        "precision_vs_human_formula": PRECISION_VS_HUMAN_FORMULA,
        "alert_load_formula": ALERT_LOAD_FORMULA,
        "bucket_edges": {dim: b.to_dict() for dim, b in NUMERIC_BUCKETS.items()},
        "detectors": {name: report.to_dict() for name, report in reports.items()},
    }


def plot_recall_vs_jitter(reports: dict[str, EvaluationReport], path: str | Path) -> Figure:
    """Save a PNG of recall per jitter bucket, one line per detector; returns the figure.

    Tick labels carry the number of positives per bucket; lines skip buckets without positives.
    """
    # Figure + Agg canvas directly: no pyplot state, no display backend needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    buckets = next(iter(reports.values())).recall_by["jitter"] if reports else []
    x = np.arange(len(buckets))
    markers = "osD^vP*X"
    for i, (name, report) in enumerate(reports.items()):
        recall = np.array(
            [np.nan if b.recall is None else b.recall for b in report.recall_by["jitter"]]
        )
        # Empty buckets have no recall; the line joins the buckets that do.
        known = ~np.isnan(recall)
        ax.plot(x[known], recall[known], marker=markers[i % len(markers)], label=name, alpha=0.85)
    ax.set_xticks(x, [f"{b.bucket}\nn={b.positives}" for b in buckets])
    ax.set_ylim(-0.03, 1.05)
    ax.set_xlabel("jitter (fraction of period); n = C2 channels in bucket")
    ax.set_ylabel("recall")
    ax.set_title("Recall vs jitter")
    ax.grid(alpha=0.3)
    if reports:
        ax.legend(loc="best")
    fig.savefig(path, format="png", dpi=120)
    return fig
