"""Matching findings to ground-truth channels and scoring each detector."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from beaconlake.domains import normalize_name, registered_domain
from beaconlake.evaluate.definitions import (
    BUCKET_DIMENSIONS,
    CATEGORY_ORDER,
    KIND_BENIGN,
    KIND_C2,
    KIND_UNMATCHED,
    NUMERIC_BUCKETS,
    UNKNOWN_BUCKET,
    BucketRecall,
    CategoryFlags,
    EvaluationReport,
    f1_score,
    ratio,
)
from beaconlake.evaluate.inputs import (
    detectors_of,
    filter_severity,
    load_all_findings,
    load_host_days,
    load_truth,
)

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
    by_other_reg = other.assign(
        domain=other["domain"].map(registered_domain), matched_on="other_registered_domain"
    )
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


def average_precision(
    scores: npt.ArrayLike, is_positive: npt.ArrayLike, positives: int
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
            BucketRecall(str(bucket), int(n), int(found), ratio(int(found), int(n)))
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
    precision = ratio(tp, tp + n_benign + n_human)
    recall = ratio(tp, len(positive_ids))
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
        precision_vs_human=ratio(tp, tp + n_human),
        recall=recall,
        f1=f1_score(precision, recall),
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
    sources = load_all_findings(findings_specs, findings_db, findings_tables)
    names = detectors_of(sources)
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
