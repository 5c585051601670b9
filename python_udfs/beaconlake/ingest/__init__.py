"""Read DNS logs as security teams keep them and write the project's Parquet input contract."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
from pathlib import Path

from beaconlake.ingest.mapping import Mapping, read_mapped
from beaconlake.ingest.writer import ContractWriter
from beaconlake.ingest.zeek import IngestReport, Options, read_zeek


class _Found(Exception):
    def __init__(self, event_us: int) -> None:
        self.event_us = event_us


class _FirstRow(ContractWriter):
    """A writer that stops the reader at the first readable row."""

    def add(self, event_us: int, *_: object) -> None:  # type: ignore[override]
        raise _Found(event_us)


def first_event_seconds(paths: list[Path], mapping: Mapping | None = None) -> float | None:
    """Epoch seconds of the first readable row, without reading further."""
    probe = _FirstRow(Path("."))
    try:
        if mapping:
            read_mapped(paths, mapping, probe, Options())
        else:
            read_zeek(paths, probe, Options())
    except _Found as found:
        return found.event_us / 1e6
    return None


def load_host_map(path: Path) -> dict[str, str]:
    """CSV with columns ``ip`` (or ``address``) and ``host_id``."""
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        fields = reader.fieldnames or []
        key = "ip" if "ip" in fields else "address" if "address" in fields else None
        if key is None or "host_id" not in fields:
            raise ValueError(f"{path}: a host map needs columns ip (or address) and host_id")
        return {row[key]: row["host_id"] for row in reader if row[key] and row["host_id"]}


def ingest(
    paths: list[Path],
    out: Path,
    *,
    mapping: Mapping | None = None,
    tenant_id: str = "default",
    host_map: dict[str, str] | None = None,
    shift_seconds: float = 0.0,
    rebase_date: dt.date | None = None,
    overwrite: bool = False,
) -> IngestReport:
    """Convert log files into the contract under ``out`` (``event_date=...`` folders)."""
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (use --overwrite to replace it)")
        shutil.rmtree(out)
    if rebase_date is not None:
        first = first_event_seconds(paths, mapping)
        if first is not None:
            target = dt.datetime.combine(rebase_date, dt.time(), dt.UTC).timestamp()
            shift_seconds += (target // 86_400 - first // 86_400) * 86_400
    opts = Options(tenant_id=tenant_id, host_map=host_map or {}, shift_seconds=shift_seconds)
    out.mkdir(parents=True, exist_ok=True)
    writer = ContractWriter(out)
    if mapping:
        return read_mapped(paths, mapping, writer, opts)
    return read_zeek(paths, writer, opts)
