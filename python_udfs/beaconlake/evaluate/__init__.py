"""Evaluation harness: score beacon findings against the simulator's ground truth.

``beaconlake simulate --out DIR`` writes ``DIR/ground_truth.csv`` with one row per periodic
channel (one program on one host calling one name), labelled ``c2`` or benign periodic. This
module matches one or more detectors' findings (``tenant_id, host_id, domain, score``) against
those rows and reports, per detector: true positives, misses, benign periodic channels flagged
(per category), false positives on human traffic, the alert load (non-C2 findings per 100
host-days), precision, recall, F1, average precision over the score ranking, and recall broken
down by jitter, period, jitter model, missing-beat share, beat count, per-beat subdomains and C2
shape.

The core is pure (``load_truth`` → ``load_findings`` → ``match`` → ``score`` → ``render_table``
/ ``EvaluationReport.to_dict`` / ``plot_recall_vs_jitter``); ``run_evaluation`` loads what
``beaconlake evaluate`` (``beaconlake.cli.evaluation``) is given and scores it.

Modules: ``definitions`` (columns, labels, buckets, the report's types), ``inputs`` (reading
ground truth and findings), ``metrics`` (matching and scoring), ``output`` (tables, JSON, plot).
"""

from __future__ import annotations

from beaconlake.evaluate.definitions import (
    ALERT_LOAD_FORMULA,
    BEATS_BUCKETS,
    BUCKET_DIMENSIONS,
    C2_LABEL,
    DEFAULT_SHAPE,
    FINDINGS_COLUMNS,
    GROUND_TRUTH_FILE,
    JITTER_BUCKETS,
    KIND_BENIGN,
    KIND_C2,
    KIND_UNMATCHED,
    MANIFEST_FILE,
    MISSING_BUCKETS,
    PERIOD_BUCKETS,
    PRECISION_FORMULA,
    PRECISION_NOTE,
    PRECISION_VS_HUMAN_FORMULA,
    TRUTH_COLUMNS,
    UNKNOWN_BUCKET,
    Bucketing,
    BucketRecall,
    CategoryFlags,
    EvaluationReport,
)
from beaconlake.evaluate.inputs import (
    filter_severity,
    load_findings,
    load_host_days,
    load_truth,
    prepare_findings,
    prepare_truth,
)
from beaconlake.evaluate.metrics import (
    average_precision,
    bucket_labels,
    evaluate,
    match,
    recall_by_bucket,
    run_evaluation,
    score,
)
from beaconlake.evaluate.output import (
    plot_recall_vs_jitter,
    render_comparison,
    render_table,
    reports_to_dict,
)

__all__ = [
    "ALERT_LOAD_FORMULA",
    "BEATS_BUCKETS",
    "BUCKET_DIMENSIONS",
    "C2_LABEL",
    "DEFAULT_SHAPE",
    "FINDINGS_COLUMNS",
    "GROUND_TRUTH_FILE",
    "JITTER_BUCKETS",
    "KIND_BENIGN",
    "KIND_C2",
    "KIND_UNMATCHED",
    "MANIFEST_FILE",
    "MISSING_BUCKETS",
    "PERIOD_BUCKETS",
    "PRECISION_FORMULA",
    "PRECISION_NOTE",
    "PRECISION_VS_HUMAN_FORMULA",
    "TRUTH_COLUMNS",
    "UNKNOWN_BUCKET",
    "BucketRecall",
    "Bucketing",
    "CategoryFlags",
    "EvaluationReport",
    "average_precision",
    "bucket_labels",
    "evaluate",
    "filter_severity",
    "load_findings",
    "load_host_days",
    "load_truth",
    "match",
    "plot_recall_vs_jitter",
    "prepare_findings",
    "prepare_truth",
    "recall_by_bucket",
    "render_comparison",
    "render_table",
    "reports_to_dict",
    "run_evaluation",
    "score",
]
