"""Any other export (resolver, EDR, SIEM): CSV or JSON lines mapped to the contract by a file.

A TOML mapping names the source column of each contract column and how to read the time::

    format = "csv"            # or "jsonl"
    delimiter = ","           # csv only
    [columns]                 # contract column = source column (dotted paths in JSON)
    event_time = "timestamp"
    host_id = "client_ip"
    query_name = "query"
    query_type = "qtype"      # optional
    response_code = "rcode"   # optional
    tenant_id = "customer"    # optional; otherwise --tenant
    answer_ttl_seconds = "ttl"  # optional: a number, or a JSON list of the answers' TTLs
    [time]
    format = "%Y-%m-%d %H:%M:%S"   # or epoch, epoch_ms, epoch_us, iso
    timezone = "Europe/Berlin"     # of naive times; default UTC

Every record ends as a row, a header, a blank line or a rejection with its reason (see
``beaconlake.ingest.report``). In CSV the first non-blank record is the header; a data record
with another field count than the header is rejected, and a file whose header lacks a mapped
column is listed as a file error and its records are rejected. Fields may be as long as a line
(``MAX_LINE_BYTES``); a quoted field may hold line breaks (the record is numbered by its first
line). In JSON lines, numbers in text fields become their text and lists, objects or bools
reject the row.
"""

from __future__ import annotations

import csv
import datetime as dt
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from beaconlake.errors import ConfigError
from beaconlake.ingest.report import IngestReport, Reason
from beaconlake.ingest.source import (
    MAX_LINE_BYTES,
    Event,
    Line,
    Options,
    Rejected,
    answer_ttl,
    as_text,
    each_line,
    event_us,
    is_blank,
    json_object,
    read_lines,
    reject,
    time_value,
    too_long,
    write,
)
from beaconlake.ingest.writer import ContractWriter

REQUIRED = ("event_time", "host_id", "query_name")
OPTIONAL = ("query_type", "response_code", "tenant_id", "answer_ttl_seconds")
EPOCH_SCALES = {"epoch": 1.0, "epoch_ms": 1e-3, "epoch_us": 1e-6}
_TEXT_COLUMNS = ("host_id", "query_name", "query_type", "response_code", "tenant_id")


@dataclass(frozen=True)
class Mapping:
    format: str
    columns: dict[str, str]
    time_format: str = "iso"
    timezone: str = "UTC"
    delimiter: str = ","
    extra: dict[str, object] = field(default_factory=dict)

    @staticmethod
    def load(path: Path) -> Mapping:
        try:
            raw = tomllib.loads(path.read_text())
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read mapping {path}: {exc}") from exc
        fmt = raw.get("format", "csv")
        if fmt not in ("csv", "jsonl"):
            raise ConfigError(f"mapping {path}: format must be csv or jsonl, not {fmt!r}")
        cols = raw.get("columns", {})
        time = raw.get("time", {})
        if not isinstance(cols, dict) or not isinstance(time, dict):
            raise ConfigError(f"mapping {path}: [columns] and [time] must be tables")
        missing = [c for c in REQUIRED if c not in cols]
        unknown = [c for c in cols if c not in REQUIRED + OPTIONAL]
        if missing or unknown:
            raise ConfigError(
                f"mapping {path}: "
                + "; ".join(
                    ([f"missing columns {missing}"] if missing else [])
                    + ([f"unknown contract columns {unknown}"] if unknown else [])
                )
            )
        texts = {f"columns.{k}": v for k, v in cols.items()}
        texts |= {f"time.{k}": v for k, v in time.items() if k in ("format", "timezone")}
        not_text = [k for k, v in texts.items() if not isinstance(v, str) or not v]
        if not_text:
            raise ConfigError(f"mapping {path}: {', '.join(not_text)} must be non-empty text")
        delimiter = raw.get("delimiter", ",")
        if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '\r\n"':
            raise ConfigError(f"mapping {path}: delimiter must be one character, not {delimiter!r}")
        tz = time.get("timezone", "UTC")
        _zone(tz)  # fail early on an unknown zone
        return Mapping(fmt, dict(cols), time.get("format", "iso"), tz, delimiter)


def _zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    try:
        if name[:1] in "+-":
            sign = 1 if name[0] == "+" else -1
            hours, _, minutes = name[1:].partition(":")
            offset = dt.timedelta(hours=int(hours), minutes=int(minutes or 0))
            return dt.timezone(sign * offset)
        return ZoneInfo(name)
    except Exception as exc:
        raise ConfigError(f"unknown time zone {name!r}") from exc


def parse_time(raw: str, fmt: str, tz: dt.tzinfo) -> float:
    """Epoch seconds of one time value under the mapping's format and zone."""
    if fmt in EPOCH_SCALES:
        return float(raw) * EPOCH_SCALES[fmt]
    if fmt == "iso":
        stamp = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    else:
        stamp = dt.datetime.strptime(raw.strip(), fmt)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=tz)
    return stamp.timestamp()


def _dig(obj: dict[str, object], path: str) -> object:
    if path in obj:
        return obj[path]
    cur: object = obj
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def _event(rec: dict[str, object], mapping: Mapping, tz: dt.tzinfo, opts: Options) -> Event:
    cols = mapping.columns
    values = {c: _dig(rec, cols[c]) if c in cols else None for c in REQUIRED + OPTIONAL}
    raw_time = time_value(values["event_time"])
    try:
        seconds = parse_time(str(raw_time), mapping.time_format, tz)
    except (ValueError, OverflowError):
        raise Rejected(Reason.BAD_TIME, str(raw_time)[:40]) from None
    at = event_us(seconds, opts)
    texts = {c: as_text(values[c], cols.get(c, c)) for c in _TEXT_COLUMNS}
    ttl, readable = answer_ttl(values["answer_ttl_seconds"])
    return Event(
        at,
        texts["host_id"] or None,
        texts["query_name"] or None,
        texts["tenant_id"] or opts.tenant_id,
        texts["query_type"],
        texts["response_code"],
        ttl,
        readable,
    )


def _jsonl_event(text: str, mapping: Mapping, tz: dt.tzinfo, opts: Options) -> Event:
    return _event(json_object(text), mapping, tz, opts)


class _LineTooLong(Exception):
    pass


class _Feed:
    """The text lines the csv module reads, remembering which lines each record took."""

    def __init__(self, lines: Iterable[Line]) -> None:
        self.lines = iter(lines)
        self.taken: list[Line] = []

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.taken.append(line)
        if line.too_long:
            raise _LineTooLong  # the csv reader starts afresh on its next record
        return line.text + "\n"

    def take(self) -> list[Line]:
        taken, self.taken = self.taken, []
        return taken


def _csv_records(
    lines: Iterable[Line], delimiter: str
) -> Iterator[tuple[list[Line], list[str] | Rejected]]:
    """Each CSV record with the lines it spans, or the rejection of those lines."""
    feed = _Feed(lines)
    reader = csv.reader(feed, delimiter=delimiter)
    while True:
        record: list[str] | Rejected
        try:
            record = next(reader)
        except StopIteration:
            if feed.taken:  # not seen with CPython's reader; kept so every line counts
                yield feed.take(), Rejected(Reason.BAD_RECORD, "CSV: incomplete record")
            return
        except _LineTooLong:
            record = too_long()
        except csv.Error as exc:
            record = Rejected(Reason.BAD_RECORD, f"CSV: {exc}")
        yield feed.take(), record


def _read_csv(
    path: Path,
    lines: Iterable[Line],
    mapping: Mapping,
    tz: dt.tzinfo,
    w: ContractWriter,
    opts: Options,
    rep: IngestReport,
) -> None:
    header: list[str] | None = None
    usable = False
    for taken, record in _csv_records(lines, mapping.delimiter):
        rep.lines += 1
        first = taken[0]
        line = Line(first.no, first.text, any(t.replaced for t in taken))
        try:
            if isinstance(record, Rejected):
                raise record
            if len(record) <= 1 and is_blank("".join(record)):
                rep.blank_lines += 1
                continue
            if header is None:
                header = record
                rep.header_lines += 1
                absent = [c for c in mapping.columns.values() if c not in header]
                usable = not absent
                if absent:
                    rep.file_error(path, 0, f"columns {absent} not in the header")
                continue
            if not usable:
                raise Rejected(Reason.NO_HEADER, "the header lacks mapped columns")
            if len(record) != len(header):
                detail = f"{len(record)} fields, header has {len(header)}"
                raise Rejected(Reason.FIELD_COUNT, detail)
            event = _event(dict(zip(header, record, strict=True)), mapping, tz, opts)
        except Rejected as rejected:
            reject(rep, path, line.no, rejected)
            continue
        write(w, opts, rep, path, line, event)


def read_mapped(
    paths: list[Path], mapping: Mapping, writer: ContractWriter, opts: Options
) -> IngestReport:
    rep = IngestReport()
    tz = _zone(mapping.timezone)
    limit = csv.field_size_limit(MAX_LINE_BYTES)  # any field a line can hold
    try:
        for path in paths:
            rep.files += 1
            lines = read_lines(path, rep)
            if mapping.format == "csv":
                _read_csv(path, lines, mapping, tz, writer, opts, rep)
            else:
                parse = partial(_jsonl_event, mapping=mapping, tz=tz, opts=opts)
                each_line(path, lines, parse, writer, opts, rep)
    finally:
        csv.field_size_limit(limit)
    writer.flush()
    return rep
