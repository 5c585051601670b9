"""Reading the ground truth and the detectors' findings (CSV, Parquet or DuckDB tables)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from beaconlake.domains import normalize_name, registered_domain
from beaconlake.errors import InputError
from beaconlake.evaluate.definitions import (
    C2_LABEL,
    DEFAULT_SHAPE,
    FINDINGS_COLUMNS,
    GROUND_TRUTH_FILE,
    MANIFEST_FILE,
    TRUTH_COLUMNS,
)


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


def _read_duckdb_table(db_path: Path, table: str) -> pd.DataFrame:
    import duckdb  # imported here: only this input path needs it

    from beaconlake.store import warehouse_for
    from beaconlake.store.findings import read_table

    if not db_path.is_file():
        raise InputError(f"findings database not found: {db_path}")
    try:
        return read_table(warehouse_for("duckdb", str(db_path), read_only=True), table)
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


def _split_name(spec: str, exists: bool) -> tuple[str | None, str]:
    """``NAME=VALUE`` → (NAME, VALUE); a value that exists as given is never split."""
    if "=" in spec and not exists:
        name, value = spec.split("=", 1)
        if name:
            return name, value
    return None, spec


def load_all_findings(
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
    if db_path is not None:  # (tables without it raised above)
        for spec in tables:
            name, table = _split_name(spec, False)
            frame = load_findings(db_path, table=table, name=name)
            sources.append((table, name or table, frame))
    return sources


def detectors_of(sources: list[tuple[str, str, pd.DataFrame]]) -> list[str]:
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
