"""Zeek ``dns.log`` in both of Zeek's formats: TSV with ``#`` headers, and JSON lines.

TSV files may be gzipped, rotated and concatenated (headers repeat, ``#close`` footers appear
mid-file); ``-`` is unset and ``(empty)`` is empty. Malformed lines (wrong field count,
unreadable time, broken JSON) are counted with their line numbers and skipped; every readable
row is written, even one without a query name (the pipeline quarantines it with a reason).
``TTLs`` (one per answer) becomes ``answer_ttl_seconds``, the smallest of them; an unreadable
TTL is written as null and counted, its row is kept.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from beaconlake.ingest.writer import ContractWriter

#: How many malformed lines are kept with their line numbers for the report.
MAX_EXAMPLES = 20


@dataclass
class IngestReport:
    """What happened to every line of every input file."""

    files: int = 0
    lines: int = 0
    rows: int = 0
    header_lines: int = 0
    malformed: int = 0
    malformed_examples: list[tuple[str, int, str]] = field(default_factory=list)
    #: rows written with a null answer TTL because their TTL value was unreadable
    bad_ttls: int = 0

    def bad(self, path: Path, line_no: int, why: str) -> None:
        self.malformed += 1
        if len(self.malformed_examples) < MAX_EXAMPLES:
            self.malformed_examples.append((str(path), line_no, why))


@dataclass(frozen=True)
class Options:
    tenant_id: str = "default"
    host_map: dict[str, str] = field(default_factory=dict)
    #: Seconds added to every timestamp (e.g. to move a capture with relative times).
    shift_seconds: float = 0.0


def open_text(path: Path) -> IO[str]:
    """Open a plain or gzip-compressed text file (detected by its magic bytes)."""
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def _value(raw: str, unset: str, empty: str) -> str | None:
    if raw == unset:
        return None
    if raw == empty:
        return ""
    return raw


def answer_ttl(raw: object, set_sep: str = ",") -> tuple[float | None, bool]:
    """The smallest TTL (seconds) among a query's answers, and whether ``raw`` was readable.

    ``raw`` is Zeek's ``TTLs``: in TSV the answers' intervals joined by the set separator
    (``300.000000,60.000000``), in JSON a list of numbers; a single number or numeric text is
    one answer. None or empty (no answer) gives ``(None, True)``; anything else that is not a
    finite number at least 0 (text, a negative, NaN, a nested list) gives ``(None, False)``.
    """
    if raw is None or raw == "" or raw == []:
        return None, True
    if isinstance(raw, list):
        items: list[object] = raw
    elif isinstance(raw, str):
        items = list(raw.split(set_sep))
    else:
        items = [raw]
    values = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            return None, False
        try:
            value = float(item)
        except ValueError:
            return None, False
        if not math.isfinite(value) or value < 0:
            return None, False
        values.append(value)
    return min(values), True


def _parse_ts(raw: object) -> float:
    """Zeek times: epoch seconds (number or text) or ISO 8601 (JSON with ISO timestamps)."""
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw)
    try:
        return float(text)
    except ValueError:
        stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.timestamp()


def _emit(
    w: ContractWriter, opts: Options, rep: IngestReport, ts: float, host: str | None,
    query: str | None, qtype: str | None, rcode: str | None, ttls: object, set_sep: str = ",",
) -> None:  # fmt: skip
    host_id = opts.host_map.get(host, host) if host is not None else None
    ttl, readable = answer_ttl(ttls, set_sep)
    if not readable:
        rep.bad_ttls += 1
    w.add(round((ts + opts.shift_seconds) * 1_000_000), host_id, query, opts.tenant_id, qtype,
          rcode, ttl)  # fmt: skip


def _tsv_lines(
    path: Path, fh: IO[str], w: ContractWriter, opts: Options, rep: IngestReport
) -> None:
    sep, set_sep, unset, empty = "\t", ",", "-", "(empty)"
    index: dict[str, int] | None = None
    for line_no, line in enumerate(fh, start=1):
        rep.lines += 1
        line = line.rstrip("\r\n")
        if not line:
            continue
        if line.startswith("#"):
            rep.header_lines += 1
            key, _, rest = line[1:].partition(sep if not line.startswith("#separator") else " ")
            if key == "separator":
                sep = rest.strip().encode().decode("unicode_escape")
            elif key == "set_separator":
                set_sep = rest
            elif key == "unset_field":
                unset = rest
            elif key == "empty_field":
                empty = rest
            elif key == "fields":
                names = rest.split(sep)
                index = {n: i for i, n in enumerate(names)}
                if "ts" not in index:
                    rep.bad(path, line_no, "#fields without ts")
                    index = None
            continue
        if index is None:
            rep.bad(path, line_no, "data line before a #fields header")
            continue
        parts = line.split(sep)
        if len(parts) != len(index):
            rep.bad(path, line_no, f"{len(parts)} fields, header has {len(index)}")
            continue
        row = {
            name: _value(parts[index[name]], unset, empty) if name in index else None
            for name in ("ts", "id.orig_h", "query", "qtype_name", "rcode_name", "TTLs")
        }
        try:
            ts = _parse_ts(row["ts"])
        except (TypeError, ValueError):
            rep.bad(path, line_no, "unreadable ts")
            continue
        _emit(w, opts, rep, ts, row["id.orig_h"], row["query"], row["qtype_name"],
              row["rcode_name"], row["TTLs"], set_sep)  # fmt: skip
        rep.rows += 1


def _json_lines(
    path: Path, fh: IO[str], w: ContractWriter, opts: Options, rep: IngestReport
) -> None:
    for line_no, line in enumerate(fh, start=1):
        rep.lines += 1
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not an object")
            ts = _parse_ts(obj["ts"])
        except (ValueError, KeyError, TypeError) as exc:
            rep.bad(path, line_no, f"bad JSON record ({type(exc).__name__})")
            continue
        host = obj.get("id.orig_h") or (obj.get("id") or {}).get("orig_h")
        _emit(w, opts, rep, ts, host, obj.get("query"), obj.get("qtype_name"),
              obj.get("rcode_name"), obj.get("TTLs"))  # fmt: skip
        rep.rows += 1


def _first_char(fh: IO[str]) -> str:
    for line in fh:
        if line.strip():
            return line.lstrip()[0]
    return ""


def read_zeek(paths: list[Path], writer: ContractWriter, opts: Options) -> IngestReport:
    """Stream every file into ``writer``; the format is detected per file."""
    rep = IngestReport()
    for path in _expand(paths):
        rep.files += 1
        with open_text(path) as probe:
            first = _first_char(probe)
        with open_text(path) as fh:
            if first == "{":
                _json_lines(path, fh, writer, opts, rep)
            else:
                _tsv_lines(path, fh, writer, opts, rep)
    writer.flush()
    return rep


def _expand(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file() and "dns" in q.name)
        else:
            yield p
