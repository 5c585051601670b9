"""Columns, labels and recall buckets of the evaluation, and the report it returns."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

#: Columns the ground truth must carry: matching keys plus what the recall buckets are cut on.
TRUTH_COLUMNS = (
    "tenant_id",
    "host_id",
    "label",
    "query_name",
    "registered_domain",
    "period_seconds",
    "jitter",
    "jitter_model",
    "n_beats",
    "missing_share",
    "subdomain_per_beat",
)
#: Columns every findings source must carry; ``detector`` is optional.
FINDINGS_COLUMNS = ("tenant_id", "host_id", "domain", "score")

C2_LABEL = "c2"
KIND_C2 = "c2"
KIND_BENIGN = "benign_periodic"
KIND_UNMATCHED = "unmatched"
UNKNOWN_BUCKET = "unknown"
GROUND_TRUTH_FILE = "ground_truth.csv"
MANIFEST_FILE = "manifest.json"
#: Shape of a C2 row without a ``shape`` column (ground truth written before shapes existed).
DEFAULT_SHAPE = "classic"

PRECISION_NOTE = (
    "Precision is defined overall only: false positives (benign periodic flags, human traffic) "
    "have no jitter, period or beat count, so the buckets report recall."
)
PRECISION_FORMULA = "TP / (TP + benign periodic flags + human-traffic FPs)"
PRECISION_VS_HUMAN_FORMULA = "TP / (TP + human-traffic FPs)"
ALERT_LOAD_FORMULA = "100 × distinct non-C2 (tenant, host, domain) findings / host-days"


@dataclass(frozen=True)
class Bucketing:
    """Ordered buckets over one numeric value.

    ``uppers[i]`` closes bucket ``labels[i]``. With ``upper_inclusive`` a value equal to an edge
    falls in that bucket (``≤10%``); without it, in the next one (``1–10 min`` starts at 60 s).
    """

    labels: tuple[str, ...]
    uppers: tuple[float, ...]
    upper_inclusive: bool

    def assign(self, values: pd.Series) -> pd.Series:
        """The bucket label of every value; unparseable values get ``unknown``."""
        numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
        side: Literal["left", "right"] = "left" if self.upper_inclusive else "right"
        index = np.searchsorted(np.asarray(self.uppers, dtype=float), numbers, side=side)
        labels = np.asarray(self.labels, dtype=object)[np.minimum(index, len(self.labels) - 1)]
        labels[np.isnan(numbers)] = UNKNOWN_BUCKET
        return pd.Series(labels, index=values.index, dtype=object)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe edges (an open last edge is ``null``)."""
        return {
            "labels": list(self.labels),
            "upper_edges": [None if math.isinf(u) else u for u in self.uppers],
            "upper_inclusive": self.upper_inclusive,
        }


#: Jitter as a fraction of the period.
JITTER_BUCKETS = Bucketing(
    ("0", "≤10%", "≤25%", "≤50%", "≤80%", ">80%"), (0.0, 0.10, 0.25, 0.50, 0.80, math.inf), True
)
#: Nominal period in seconds.
PERIOD_BUCKETS = Bucketing(
    ("<1 min", "1–10 min", "10–60 min", "1–6 h", "≥6 h"),
    (60.0, 600.0, 3600.0, 21600.0, math.inf),
    False,
)
#: Share of scheduled beats that were dropped.
MISSING_BUCKETS = Bucketing(
    ("0", "≤10%", "≤25%", "≤50%", ">50%"), (0.0, 0.10, 0.25, 0.50, math.inf), True
)
#: Beats actually emitted.
BEATS_BUCKETS = Bucketing(("<20", "20–99", "≥100"), (20.0, 100.0, math.inf), False)

NUMERIC_BUCKETS: dict[str, Bucketing] = {
    "jitter": JITTER_BUCKETS,
    "period": PERIOD_BUCKETS,
    "missing_share": MISSING_BUCKETS,
    "beats": BEATS_BUCKETS,
}
#: Every dimension recall is broken down by, in report order.
BUCKET_DIMENSIONS = (
    "jitter",
    "period",
    "jitter_model",
    "missing_share",
    "beats",
    "subdomain_per_beat",
    "shape",
)
#: Preferred order of categorical buckets; values not listed follow, sorted.
CATEGORY_ORDER: dict[str, tuple[str, ...]] = {
    "jitter_model": ("none", "uniform", "sleep_reduction", "gaussian", "additive"),
    "subdomain_per_beat": ("false", "true"),
    "shape": ("classic", "rotation", "popular_domain", "interactive", "strobe", "slow", "campaign"),
}


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def f1_score(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


@dataclass(frozen=True)
class BucketRecall:
    """Recall within one bucket.

    ``positives``: in-scope C2 channels in the bucket; ``detected``: those matched by at least
    one finding; ``recall``: detected / positives, ``None`` when the bucket is empty.
    """

    bucket: str
    positives: int
    detected: int
    recall: float | None


@dataclass(frozen=True)
class CategoryFlags:
    """Benign periodic channels of one category: ``flagged`` of ``total`` were reported."""

    flagged: int
    total: int


@dataclass
class EvaluationReport:
    """How one detector's findings compare with the ground truth.

    Counts (``finding group`` = findings de-duplicated per matched truth row, or per
    ``(tenant, host, domain)`` when they match nothing):

    - ``findings``: finding rows read for this detector.
    - ``finding_groups``: groups that enter precision (TP + benign flags + human FPs).
    - ``positives``: C2 channels in scope (all C2 rows, or those with ``n_beats >= min_beats``).
    - ``true_positives``: positives matched by at least one finding.
    - ``false_negatives``: positives matched by none.
    - ``duplicates``: findings beyond the first on an already detected positive; neither TP nor
      FP.
    - ``benign_flags``: benign periodic channels matched by a finding that matches no C2 row.
    - ``benign_channels``: benign periodic channels in the ground truth.
    - ``human_false_positives``: distinct unmatched ``(tenant, host, domain)``: flags on human
      traffic.
    - ``out_of_scope_positives``: C2 channels below ``min_beats``; ``out_of_scope_flagged``: how
      many of them were matched (counted neither as TP nor FP).

    Rates (``None`` when the denominator is 0):

    - ``precision``: TP / (TP + benign_flags + human_false_positives).
    - ``precision_vs_human``: TP / (TP + human_false_positives), ignoring benign periodic flags.
    - ``recall``: TP / positives; ``f1``: harmonic mean of precision and recall.
    - ``average_precision``: finding groups ranked by their maximum score, descending; the mean
      over all positives of precision at each true positive's rank (missed positives add 0).
      Tied scores form one threshold, as in scikit-learn.
    - ``benign_flag_rate``: benign_flags / benign_channels.
    - ``non_c2_alerts``: distinct ``(tenant, host, domain)`` of findings that match no C2 row
      (one finding on a registered domain may flag several benign channels; it is one alert).
    - ``alert_load_per_100_host_days``: 100 × non_c2_alerts / ``host_days`` (hosts active each
      day, summed over days): the analyst's queue that is not C2, comparable across fleet sizes
      and window lengths.
    - ``recall_by``: per dimension, recall in each bucket. Precision is overall only.
    """

    detector: str
    min_beats: int | None
    findings: int
    finding_groups: int
    positives: int
    true_positives: int
    false_negatives: int
    duplicates: int
    benign_flags: int
    benign_channels: int
    human_false_positives: int
    out_of_scope_positives: int
    out_of_scope_flagged: int
    precision: float | None
    precision_vs_human: float | None
    recall: float | None
    f1: float | None
    average_precision: float | None
    benign_by_category: dict[str, CategoryFlags] = field(default_factory=dict)
    recall_by: dict[str, list[BucketRecall]] = field(default_factory=dict)
    host_days: float | None = None
    non_c2_alerts: int = 0
    alert_load_per_100_host_days: float | None = None
    min_severity: str | None = None

    @property
    def benign_flag_rate(self) -> float | None:
        """Share of benign periodic channels flagged."""
        return ratio(self.benign_flags, self.benign_channels)

    def to_dict(self) -> dict[str, Any]:
        """Everything in the report as JSON-safe builtins."""
        out = asdict(self)
        out["benign_flag_rate"] = self.benign_flag_rate
        out["precision_note"] = PRECISION_NOTE
        return out
