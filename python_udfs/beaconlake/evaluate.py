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
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from beaconlake.domains import normalize_name, registered_domain
from beaconlake.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

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
        side = "left" if self.upper_inclusive else "right"
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
        return _ratio(self.benign_flags, self.benign_channels)

    def to_dict(self) -> dict[str, Any]:
        """Everything in the report as JSON-safe builtins."""
        out = asdict(self)
        out["benign_flag_rate"] = self.benign_flag_rate
        out["precision_note"] = PRECISION_NOTE
        return out


# --------------------------------------------------------------------------------------------
# Loading


def _check_columns(frame: pd.DataFrame, required: Iterable[str], what: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(f"{what} lacks required column(s): {', '.join(missing)}")


def _read_table_file(path: Path, what: str) -> pd.DataFrame:
    """Read CSV or Parquet by extension; IDs stay text so ``007`` is not ``7``."""
    if not path.is_file():
        raise InputError(f"{what} not found: {path}")
    suffixes = [s.lower() for s in path.suffixes]
    try:
        if suffixes and suffixes[-1] in (".parquet", ".pq"):
            return pd.read_parquet(path)
        if ".csv" in suffixes[-2:]:
            # Only empty cells are missing: "NULL" is a DNS query type, "NA" a name label.
            return pd.read_csv(
                path,
                dtype={"tenant_id": str, "host_id": str},
                keep_default_na=False,
                na_values=[""],
            )
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read {what} {path}: {exc}") from exc
    raise InputError(f"{what} must be .csv or .parquet: {path}")


def _id_text(values: pd.Series) -> pd.Series:
    """IDs as text; integral floats (a Parquet column with gaps) lose their ``.0``."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if (whole == np.floor(whole)).all():
            values = values.astype("Int64")
    return values.astype("string").fillna("").astype(object)


def _truthy(values: pd.Series) -> pd.Series:
    """Booleans from bools, 0/1 or ``true``/``false``/``yes``/``no`` text."""
    text = values.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "1.0", "yes", "t", "y"]).astype(bool)


def prepare_truth(raw: pd.DataFrame, source: str = "ground truth") -> pd.DataFrame:
    """Validate and normalise a ground-truth frame.

    Adds ``truth_id`` (row position, the key ``match`` reports), ``is_c2`` (label is ``c2``;
    any other label is benign periodic) and normalises names, IDs and numeric columns.
    """
    _check_columns(raw, TRUTH_COLUMNS, source)
    if raw.empty:
        raise InputError(f"{source} has no rows")
    truth = raw.reset_index(drop=True).copy()
    truth["truth_id"] = np.arange(len(truth), dtype=np.int64)
    truth["tenant_id"] = _id_text(truth["tenant_id"])
    truth["host_id"] = _id_text(truth["host_id"])
    truth["label"] = truth["label"].astype("string").str.strip().str.lower().fillna("")
    truth["is_c2"] = (truth["label"] == C2_LABEL).astype(bool)
    if "category" not in truth.columns:
        truth["category"] = truth["label"]
    truth["category"] = truth["category"].astype("string").fillna("").astype(object)
    truth["query_name"] = truth["query_name"].astype("string").fillna("").map(normalize_name)
    truth["registered_domain"] = _registered_domains(truth)
    for column in ("period_seconds", "jitter", "n_beats", "missing_share"):
        truth[column] = pd.to_numeric(truth[column], errors="coerce")
    truth["jitter_model"] = truth["jitter_model"].astype("string").str.strip().str.lower()
    truth["subdomain_per_beat"] = _truthy(truth["subdomain_per_beat"])
    shape = truth["shape"] if "shape" in truth.columns else pd.Series("", index=truth.index)
    shape = shape.astype("string").fillna("").str.strip().str.lower()
    truth["shape"] = shape.where(shape != "", DEFAULT_SHAPE).astype(object)
    other = truth["other_names"] if "other_names" in truth.columns else pd.Series("", truth.index)
    truth["other_names"] = other.astype("string").fillna("").astype(object)
    return truth


def _registered_domains(truth: pd.DataFrame) -> pd.Series:
    """Normalised ``registered_domain``, derived from ``query_name`` where it is blank."""
    given = truth["registered_domain"].astype("string").fillna("").map(normalize_name)
    derived = truth["query_name"].map(registered_domain)
    return given.where(given != "", derived).astype(object)


def load_truth(path: str | Path) -> pd.DataFrame:
    """Read ``ground_truth.csv`` (or Parquet, or a simulator output directory) and prepare it."""
    path = Path(path)
    if path.is_dir():
        path = path / GROUND_TRUTH_FILE
    return prepare_truth(_read_table_file(path, "ground truth"), f"ground truth {path}")


def load_host_days(path: str | Path) -> float | None:
    """Host-days of the simulated window: the ``host_days`` the simulator's ``manifest.json``
    (beside the ground truth) records, or None when there is no such manifest."""
    path = Path(path)
    manifest = (path if path.is_dir() else path.parent) / MANIFEST_FILE
    try:
        value = json.loads(manifest.read_text(encoding="utf-8"))["summary"]["host_days"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return float(value) if value else None


def filter_severity(findings: pd.DataFrame, min_severity: str) -> pd.DataFrame:
    """Findings at or above ``min_severity`` (info < low < medium < high < critical)."""
    from beaconlake.confirm.scoring import SEVERITIES  # the one ladder; imported on demand

    min_severity = min_severity.strip().lower()
    if min_severity not in SEVERITIES:
        raise InputError(f"severity must be one of {', '.join(SEVERITIES)}")
    if "severity" not in findings.columns:
        raise InputError("--severity needs a severity column in the findings")
    level = findings["severity"].astype("string").str.strip().str.lower()
    unknown = sorted(set(level.dropna()) - set(SEVERITIES))
    if unknown:
        raise InputError(f"findings have unknown severities: {', '.join(unknown)}")
    rank = level.map({name: i for i, name in enumerate(SEVERITIES)}).astype("Float64")
    return findings[(rank >= SEVERITIES.index(min_severity)).fillna(False).to_numpy(bool)]


def _detector_names(raw: pd.DataFrame, name: str | None, default: str) -> pd.Series | str:
    """Who produced each finding.

    An explicit ``name`` wins, so two runs of one detector can be compared side by side; when a
    file holds several detectors the name becomes a prefix to keep them apart.
    """
    if "detector" not in raw.columns or raw["detector"].isna().all():
        return name or default
    column = raw["detector"].astype("string").fillna(default)
    if name is None:
        return column.astype(object)
    if column.eq(column.iloc[0]).all():
        return name
    return (name + "/" + column).astype(object)


def prepare_findings(
    raw: pd.DataFrame,
    *,
    name: str | None = None,
    default_detector: str = "findings",
    source: str = "findings",
) -> pd.DataFrame:
    """Validate and normalise findings: text IDs, normalised ``domain``, numeric ``score``,
    and a ``detector`` column (see ``_detector_names``)."""
    _check_columns(raw, FINDINGS_COLUMNS, source)
    findings = raw.reset_index(drop=True).copy()
    findings["detector"] = _detector_names(findings, name, default_detector)
    findings["tenant_id"] = _id_text(findings["tenant_id"])
    findings["host_id"] = _id_text(findings["host_id"])
    findings["domain"] = findings["domain"].astype("string").fillna("").map(normalize_name)
    try:
        findings["score"] = pd.to_numeric(findings["score"]).astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{source}: column score is not numeric ({exc})") from exc
    findings["detector"] = findings["detector"].astype(object)
    return findings


def _quote_table(table: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in table.split("."))


def _read_duckdb_table(db_path: Path, table: str) -> pd.DataFrame:
    import duckdb  # imported here: only this input path needs it

    if not db_path.is_file():
        raise InputError(f"findings database not found: {db_path}")
    try:
        with duckdb.connect(str(db_path), read_only=True) as con:
            return con.execute(f"select * from {_quote_table(table)}").df()
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"cannot read table {table} from {db_path}: {first_line}") from exc


def load_findings(
    path: str | Path, *, table: str | None = None, name: str | None = None
) -> pd.DataFrame:
    """Read findings from CSV/Parquet (by extension) or, with ``table``, a DuckDB table.

    ``name`` names the detector (see ``prepare_findings``); otherwise a ``detector`` column is
    used, else the file stem or table name.
    """
    path = Path(path)
    if table is None:
        raw, source = _read_table_file(path, "findings file"), f"findings {path}"
    else:
        raw, source = _read_duckdb_table(path, table), f"findings table {table} in {path}"
    default = _default_detector(path, table)
    return prepare_findings(raw, name=name, default_detector=default, source=source)


def _default_detector(path: Path, table: str | None) -> str:
    """Detector name when nothing names it: the table, else the file name before any suffix."""
    return table or path.name.split(".")[0] or "findings"


# --------------------------------------------------------------------------------------------
# Matching


def _truth_keys(truth: pd.DataFrame) -> pd.DataFrame:
    """Every (tenant, host, name) a finding may carry to hit a truth row."""
    base = ["tenant_id", "host_id", "truth_id", "is_c2"]
    by_query = truth[[*base, "query_name"]].rename(columns={"query_name": "domain"})
    by_query["matched_on"] = "query_name"
    by_reg = truth[[*base, "registered_domain"]].rename(columns={"registered_domain": "domain"})
    by_reg["matched_on"] = "registered_domain"
    # A channel rotating over several names (``other_names``, ";"-separated) is hit by any.
    other = truth[[*base, "other_names"]].assign(domain=truth["other_names"].str.split(";"))
    other = other.explode("domain").drop(columns="other_names")
    other["domain"] = other["domain"].astype("string").fillna("").map(normalize_name)
    other = other[other["domain"] != ""]
    by_other = other.assign(matched_on="other_name")
    by_other_reg = other.assign(domain=other["domain"].map(registered_domain),
                                matched_on="other_registered_domain")  # fmt: skip
    # query_name first so a name that is both keys is reported as the exact match.
    keys = pd.concat([by_query, by_reg, by_other, by_other_reg], ignore_index=True)
    return keys.drop_duplicates(["truth_id", "domain"], keep="first")


def match(truth: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Pair every finding with the truth rows it matches.

    Inputs come from ``prepare_truth``/``prepare_findings``. A finding matches a row when
    tenant and host are equal and its domain equals the row's ``query_name`` or
    ``registered_domain``. Returns one row per (finding, matched row) with the finding's
    columns plus ``finding_id``, ``truth_id``, ``kind`` (``c2``, ``benign_periodic`` or
    ``unmatched``) and ``matched_on``; an unmatched finding appears once with ``truth_id`` NA.
    A finding that matches a C2 row keeps only its C2 pairs: it counts as C2.
    """
    numbered = findings.reset_index(drop=True).assign(finding_id=lambda f: np.arange(len(f)))
    pairs = numbered.merge(
        _truth_keys(truth), on=["tenant_id", "host_id", "domain"], how="left", sort=False
    )
    matched = pairs["truth_id"].notna()
    is_c2 = pairs["is_c2"].fillna(False).astype(bool)
    pairs["kind"] = np.where(is_c2, KIND_C2, np.where(matched, KIND_BENIGN, KIND_UNMATCHED))
    c2_findings = pairs.loc[pairs["kind"] == KIND_C2, "finding_id"].unique()
    keep = (pairs["kind"] == KIND_C2) | ~pairs["finding_id"].isin(c2_findings)
    pairs = pairs.loc[keep].drop(columns="is_c2").reset_index(drop=True)
    pairs["truth_id"] = pairs["truth_id"].astype("Int64")
    return pairs


# --------------------------------------------------------------------------------------------
# Scoring


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


def average_precision(
    scores: Sequence[float], is_positive: Sequence[bool], positives: int
) -> float | None:
    """Average precision of a ranking against ``positives`` total positives.

    Items are ranked by score, descending (NaN last). Each distinct score is a threshold;
    AP = Σ precision(threshold) × (new true positives at threshold / ``positives``). Without
    ties this is the mean over all positives of precision@k at each true positive's rank, a
    positive never ranked adding 0 (scikit-learn's definition with all positives in the
    denominator).
    """
    if positives == 0:
        return None
    ranking = pd.DataFrame(
        {"score": np.asarray(scores, dtype=float), "tp": np.asarray(is_positive, dtype=bool)}
    )
    ranking["score"] = ranking["score"].fillna(-math.inf)
    steps = ranking.groupby("score", sort=True)["tp"].agg(["sum", "size"]).iloc[::-1]
    precision_at = steps["sum"].cumsum() / steps["size"].cumsum()
    return float((precision_at * steps["sum"] / positives).sum())


def _positive_mask(truth: pd.DataFrame, min_beats: int | None) -> pd.Series:
    """C2 rows that count as positives; with ``min_beats`` the rest are out of scope."""
    if min_beats is None:
        return truth["is_c2"]
    return truth["is_c2"] & (truth["n_beats"] >= min_beats)


def _select_detector(matched: pd.DataFrame, detector: str | None) -> tuple[pd.DataFrame, str]:
    names = list(matched["detector"].unique()) if "detector" in matched.columns else []
    if detector is not None:
        rows = matched if not names else matched[matched["detector"] == detector]
        return rows, detector
    if len(names) > 1:
        raise ValueError(f"findings hold several detectors {names}; pass detector=")
    return matched, names[0] if names else "findings"


def _effective_jitter(truth: pd.DataFrame) -> pd.Series:
    """Jitter that actually perturbs the beats: model ``none`` sleeps exactly one period."""
    return truth["jitter"].where(truth["jitter_model"] != "none", 0.0)


def bucket_labels(truth: pd.DataFrame) -> pd.DataFrame:
    """Each truth row's bucket in every dimension of ``BUCKET_DIMENSIONS``."""
    values = {
        "jitter": _effective_jitter(truth),
        "period": truth["period_seconds"],
        "missing_share": truth["missing_share"],
        "beats": truth["n_beats"],
    }
    labels = {dim: NUMERIC_BUCKETS[dim].assign(values[dim]) for dim in NUMERIC_BUCKETS}
    labels["jitter_model"] = truth["jitter_model"].fillna(UNKNOWN_BUCKET).astype(object)
    labels["subdomain_per_beat"] = truth["subdomain_per_beat"].map({True: "true", False: "false"})
    labels["shape"] = truth["shape"].astype(object)
    return pd.DataFrame(labels, index=truth.index)[list(BUCKET_DIMENSIONS)]


def _bucket_order(dimension: str, present: Iterable[str]) -> list[str]:
    present = set(present)
    if dimension in NUMERIC_BUCKETS:
        order = list(NUMERIC_BUCKETS[dimension].labels)
    else:
        known = CATEGORY_ORDER.get(dimension, ())
        order = [b for b in known if b in present]
        order += sorted(present - set(known) - {UNKNOWN_BUCKET})
    return order + ([UNKNOWN_BUCKET] if UNKNOWN_BUCKET in present else [])


def recall_by_bucket(
    truth: pd.DataFrame, positive: pd.Series, detected_ids: Iterable[int]
) -> dict[str, list[BucketRecall]]:
    """Recall per bucket of each dimension over the positive rows.

    Numeric dimensions list every bucket (empty ones with ``recall`` None) so detectors and
    runs line up; categorical ones list the values present among positives.
    """
    rows = truth.loc[positive]
    labels = bucket_labels(rows)
    detected = rows["truth_id"].isin(set(detected_ids)).to_numpy()
    result: dict[str, list[BucketRecall]] = {}
    for dimension in BUCKET_DIMENSIONS:
        counts = (
            pd.DataFrame({"bucket": labels[dimension].to_numpy(), "detected": detected})
            .groupby("bucket")["detected"]
            .agg(["size", "sum"])
        )
        order = _bucket_order(dimension, counts.index.astype(str))
        counts = counts.reindex(order, fill_value=0)
        result[dimension] = [
            BucketRecall(str(bucket), int(n), int(found), _ratio(int(found), int(n)))
            for bucket, n, found in zip(order, counts["size"], counts["sum"], strict=True)
        ]
    return result


def _benign_by_category(
    truth: pd.DataFrame, flagged_ids: Iterable[int]
) -> dict[str, CategoryFlags]:
    benign = truth.loc[~truth["is_c2"]]
    flagged = benign["truth_id"].isin(set(flagged_ids))
    counts = flagged.groupby(benign["category"]).agg(["sum", "size"])
    return {
        str(category): CategoryFlags(int(row["sum"]), int(row["size"]))
        for category, row in counts.iterrows()
    }


def score(
    matched: pd.DataFrame,
    truth: pd.DataFrame,
    *,
    min_beats: int | None = None,
    detector: str | None = None,
    host_days: float | None = None,
    min_severity: str | None = None,
) -> EvaluationReport:
    """Score one detector's matched findings (from ``match``) against the prepared truth.

    ``detector`` selects the rows of one detector when ``matched`` holds several. With
    ``min_beats``, C2 rows with fewer emitted beats are out of scope: findings on them are
    neither true nor false positives. ``host_days`` (hosts active per day, summed) gives the
    alert load; ``min_severity`` is only recorded (filter with ``filter_severity`` first). See
    ``EvaluationReport`` for every number.
    """
    matched, name = _select_detector(matched, detector)
    positive = _positive_mask(truth, min_beats)
    positive_ids = set(truth.loc[positive, "truth_id"].tolist())
    c2_pairs = matched[matched["kind"] == KIND_C2]
    on_positive = c2_pairs["truth_id"].isin(positive_ids).to_numpy(dtype=bool)

    tp_groups = (
        c2_pairs[on_positive]
        .groupby("truth_id")
        .agg(score=("score", "max"), findings=("finding_id", "nunique"))
    )
    benign = matched[matched["kind"] == KIND_BENIGN].groupby("truth_id")["score"].max()
    human = (
        matched[matched["kind"] == KIND_UNMATCHED]
        .groupby(["tenant_id", "host_id", "domain"])["score"]
        .max()
    )

    tp, n_benign, n_human = len(tp_groups), len(benign), len(human)
    non_c2 = len(
        matched.loc[
            matched["kind"] != KIND_C2, ["tenant_id", "host_id", "domain"]
        ].drop_duplicates()
    )
    precision = _ratio(tp, tp + n_benign + n_human)
    recall = _ratio(tp, len(positive_ids))
    ranked_scores = np.concatenate([tp_groups["score"], benign.to_numpy(), human.to_numpy()])
    ranked_tp = np.arange(len(ranked_scores)) < tp
    out_of_scope = truth["is_c2"] & ~positive
    return EvaluationReport(
        detector=str(name),
        min_beats=min_beats,
        findings=int(matched["finding_id"].nunique()),
        finding_groups=tp + n_benign + n_human,
        positives=len(positive_ids),
        true_positives=tp,
        false_negatives=len(positive_ids) - tp,
        duplicates=int((tp_groups["findings"] - 1).sum()),
        benign_flags=n_benign,
        benign_channels=int((~truth["is_c2"]).sum()),
        human_false_positives=n_human,
        out_of_scope_positives=int(out_of_scope.sum()),
        out_of_scope_flagged=int(c2_pairs.loc[~on_positive, "truth_id"].nunique()),
        precision=precision,
        precision_vs_human=_ratio(tp, tp + n_human),
        recall=recall,
        f1=_f1(precision, recall),
        average_precision=average_precision(ranked_scores, ranked_tp, len(positive_ids)),
        benign_by_category=_benign_by_category(truth, benign.index.tolist()),
        recall_by=recall_by_bucket(truth, positive, tp_groups.index.tolist()),
        host_days=host_days,
        non_c2_alerts=non_c2,
        alert_load_per_100_host_days=None if not host_days else 100.0 * non_c2 / host_days,
        min_severity=min_severity,
    )


def evaluate(
    truth: pd.DataFrame,
    findings: pd.DataFrame,
    *,
    min_beats: int | None = None,
    detectors: Iterable[str] = (),
    host_days: float | None = None,
    min_severity: str | None = None,
) -> dict[str, EvaluationReport]:
    """One report per detector in ``findings``, plus any in ``detectors`` (e.g. an empty file).

    With ``min_severity`` only findings at or above it count (``filter_severity``).
    """
    if min_severity is not None:
        min_severity = min_severity.strip().lower()
        findings = filter_severity(findings, min_severity)
    matched = match(truth, findings)
    names = list(dict.fromkeys([*findings["detector"].unique(), *detectors]))
    return {
        str(name): score(
            matched,
            truth,
            min_beats=min_beats,
            detector=str(name),
            host_days=host_days,
            min_severity=min_severity,
        )
        for name in names
    }


# --------------------------------------------------------------------------------------------
# Output


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


# --------------------------------------------------------------------------------------------
# CLI


def _split_name(spec: str, exists: bool) -> tuple[str | None, str]:
    """``NAME=VALUE`` → (NAME, VALUE); a value that exists as given is never split."""
    if "=" in spec and not exists:
        name, value = spec.split("=", 1)
        if name:
            return name, value
    return None, spec


def _load_all_findings(
    specs: Sequence[str], db_path: Path | None, tables: Sequence[str]
) -> list[tuple[str, str, pd.DataFrame]]:
    """Every findings source as (label for messages, detector name if empty, prepared frame)."""
    if tables and db_path is None:
        raise InputError("--findings-table needs --findings-db")
    if db_path is not None and not tables:
        raise InputError("--findings-db needs --findings-table")
    if not specs and not tables:
        raise InputError("give --findings PATH or --findings-db PATH --findings-table T")
    sources = []
    for spec in specs:
        name, path = _split_name(spec, Path(spec).exists())
        fallback = name or _default_detector(Path(path), None)
        sources.append((path, fallback, load_findings(path, name=name)))
    for spec in tables:
        name, table = _split_name(spec, False)
        frame = load_findings(db_path, table=table, name=name)  # type: ignore[arg-type]
        sources.append((table, name or table, frame))
    return sources


def _detectors_of(sources: list[tuple[str, str, pd.DataFrame]]) -> list[str]:
    """Detector names in source order; an empty source still gets a report (all misses).

    One name in two sources would silently merge two detectors, so that is an input error.
    """
    seen: dict[str, str] = {}
    for label, fallback, frame in sources:
        names = frame["detector"].astype(str).unique() if not frame.empty else [fallback]
        for name in names:
            if seen.get(name, label) != label:
                raise InputError(
                    f"detector {name!r} appears in {seen[name]} and {label}; name them NAME=PATH"
                )
            seen[name] = label
    return list(seen)


def run_evaluation(
    truth_path: Path,
    findings_specs: Sequence[str],
    findings_db: Path | None,
    findings_tables: Sequence[str],
    min_beats: int | None,
    host_days: float | None = None,
    min_severity: str | None = None,
) -> dict[str, EvaluationReport]:
    """Load everything the CLI was given and score each detector.

    Host-days default to the simulator manifest's beside the ground truth.
    """
    truth = load_truth(truth_path)
    sources = _load_all_findings(findings_specs, findings_db, findings_tables)
    names = _detectors_of(sources)
    findings = pd.concat([frame for _, _, frame in sources], ignore_index=True)
    if host_days is None:
        host_days = load_host_days(truth_path)
    return evaluate(
        truth,
        findings,
        min_beats=min_beats,
        detectors=names,
        host_days=host_days,
        min_severity=min_severity,
    )
