"""Read DNS logs as security teams keep them and write the project's Parquet input contract.

No line aborts a run: each becomes a row, a header or blank line, or a counted rejection with its
reason (``beaconlake.ingest.report``); a file that cannot be read to its end is named in the
report and the rest still counts. The output appears atomically: rows are written to a hidden
sibling folder (``.<name>.tmp-<pid>-...`` beside ``out``, on the same filesystem) that is renamed
into place only when the run ends with at least one row. With ``overwrite`` the previous output
is renamed away first and deleted only once the new one is in place; on any failure, or Ctrl-C,
the temporary folder is removed and the previous output is left as it was. A run without rows
leaves ``out`` as it was and returns its report (the CLI then exits with code 2).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
import secrets
import shutil
from pathlib import Path

from beaconlake.errors import ConfigError, InputError
from beaconlake.ingest.mapping import Mapping, read_mapped
from beaconlake.ingest.report import IngestReport, Note, Reason
from beaconlake.ingest.source import ANY_TIME, Options, TimeRange
from beaconlake.ingest.writer import ContractWriter
from beaconlake.ingest.zeek import read_zeek

__all__ = [
    "ANY_TIME",
    "IngestReport",
    "Mapping",
    "Note",
    "Reason",
    "TimeRange",
    "first_event_seconds",
    "ingest",
    "load_host_map",
]


class _Found(Exception):
    def __init__(self, event_us: int) -> None:
        self.event_us = event_us


class _FirstRow(ContractWriter):
    """A writer that stops the reader at the first readable row."""

    def add(self, event_us: int, *_: object) -> None:
        raise _Found(event_us)


def first_event_seconds(paths: list[Path], mapping: Mapping | None = None) -> float | None:
    """Epoch seconds of the first readable row (at any time the output can hold), and no more."""
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
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            fields = reader.fieldnames or []
            key = "ip" if "ip" in fields else "address" if "address" in fields else None
            if key is None or "host_id" not in fields:
                raise InputError(f"{path}: a host map needs columns ip (or address) and host_id")
            return {row[key]: row["host_id"] for row in reader if row[key] and row["host_id"]}
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read host map {path}: {exc}") from exc


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
    time_range: TimeRange | None = None,
) -> IngestReport:
    """Convert log files into the contract under ``out`` (``event_date=...`` folders).

    Rows whose time (after the shift) falls outside ``time_range`` are rejected; its default is
    ``TimeRange.default()`` (2000-01-01 to tomorrow, UTC). Callers that move times afterwards
    pass ``ANY_TIME``.
    """
    if not math.isfinite(shift_seconds):
        raise ConfigError(f"the shift must be a finite number of seconds, not {shift_seconds}")
    _check_out(out, paths, overwrite)
    if rebase_date is not None:
        first = first_event_seconds(paths, mapping)
        if first is not None:
            target = dt.datetime.combine(rebase_date, dt.time(), dt.UTC).timestamp()
            shift_seconds += (target // 86_400 - first // 86_400) * 86_400
    opts = Options(
        tenant_id=tenant_id,
        host_map=host_map or {},
        shift_seconds=shift_seconds,
        time_range=time_range or TimeRange.default(),
    )
    staging = _staging(out)
    try:
        writer = ContractWriter(staging)
        if mapping:
            report = read_mapped(paths, mapping, writer, opts)
        else:
            report = read_zeek(paths, writer, opts)
        if report.rows:
            _publish(staging, out, overwrite)
    except OSError as exc:  # reading errors are caught per file: this one is from writing
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _check_out(out: Path, paths: list[Path], overwrite: bool) -> None:
    """Refuse, before reading anything, an output that is not a folder or is full without
    ``overwrite``, and with ``overwrite`` one that holds an input."""
    try:
        if out.exists() and not out.is_dir():
            raise InputError(f"{out} is not a folder")
        if not (out.is_dir() and any(out.iterdir())):
            return
    except OSError as exc:
        raise InputError(f"cannot read {out}: {exc.strerror or exc}") from exc
    if not overwrite:
        raise InputError(f"{out} is not empty (use --overwrite to replace it)")
    target = out.resolve()
    for path in paths:
        resolved = path.resolve()
        if resolved == target or target in resolved.parents:
            raise InputError(f"{path} lies inside {out}, which --overwrite would replace")


def _staging(out: Path) -> Path:
    """A new hidden folder beside ``out`` (same filesystem, so renaming it is atomic), made
    with the permissions any new folder gets (``tempfile.mkdtemp`` would make it private)."""
    target = out.resolve()
    staging = target.parent / f".{target.name}.tmp-{os.getpid()}-{secrets.token_hex(6)}"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging.mkdir()
        return staging
    except OSError as exc:
        raise InputError(f"cannot create a folder beside {out}: {exc.strerror or exc}") from exc


def _publish(staging: Path, out: Path, overwrite: bool) -> None:
    """Rename ``staging`` to ``out``; a previous output is renamed away, then deleted."""
    target = out.resolve()
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise InputError(f"{out} was filled by something else during the run; nothing written")
        old = staging.with_name(staging.name.replace(".tmp-", ".old-", 1))
        target.rename(old)
        try:
            staging.rename(target)
        except BaseException:
            old.rename(target)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    if target.is_dir():
        target.rmdir()
    staging.rename(target)
