"""Zeek ``dns.log`` in both of Zeek's formats: TSV with ``#`` headers, and JSON lines.

TSV files may be gzipped, rotated and concatenated (headers repeat, ``#close`` footers appear
mid-file); ``-`` is unset and ``(empty)`` is empty. The format is detected per file from its first
non-blank line (``{`` starts JSON). Every line ends as a row, a header line, a blank line or a
rejection with its reason and line number (see ``beaconlake.ingest.report``): wrong field count,
a data line before a usable ``#fields`` header, broken JSON, a missing, unreadable or out-of-range
``ts``, a list, object or bool where text belongs. Every other row is written, even one without a
query name (the pipeline quarantines it with a reason). ``TTLs`` (one per answer) becomes
``answer_ttl_seconds``, the smallest of them; an unreadable TTL is written as null and counted,
its row is kept.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from functools import partial
from pathlib import Path

from beaconlake.ingest.report import IngestReport, Reason
from beaconlake.ingest.source import (
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
    time_value,
)
from beaconlake.ingest.writer import ContractWriter

_FIELDS = ("ts", "id.orig_h", "query", "qtype_name", "rcode_name", "TTLs")


def parse_ts(raw: object) -> float:
    """Zeek times: epoch seconds (number or text) or ISO 8601 (JSON with ISO timestamps)."""
    value = time_value(raw)
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except ValueError:
        pass
    try:
        stamp = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.timestamp()
    except (ValueError, OverflowError):
        raise Rejected(Reason.BAD_TIME, value[:40]) from None


def _value(raw: str, unset: str, empty: str) -> str | None:
    if raw == unset:
        return None
    if raw == empty:
        return ""
    return raw


class _TsvHeader:
    """The state Zeek's ``#`` lines set: separators, unset and empty markers, field positions."""

    def __init__(self, opts: Options) -> None:
        self.opts = opts
        self.sep, self.set_sep, self.unset, self.empty = "\t", ",", "-", "(empty)"
        self.index: dict[str, int] | None = None
        self.width = 0

    def line(self, text: str) -> Event | None:
        """The event of a data line, or None for a ``#`` line (which updates the header)."""
        if text.startswith("#"):
            self._read(text)
            return None
        return self._event(text, self.opts)

    def _read(self, text: str) -> None:
        """Apply one ``#`` line; raises Rejected for one that cannot be used."""
        if text.startswith("#separator"):
            rest = text[len("#separator") :].strip()
            try:
                sep = rest.encode().decode("unicode_escape")
            except UnicodeDecodeError:
                raise Rejected(Reason.BAD_HEADER, "unreadable #separator") from None
            if not sep:
                raise Rejected(Reason.BAD_HEADER, "empty #separator")
            self.sep = sep
            return
        key, _, rest = text[1:].partition(self.sep)
        if key == "set_separator":
            if not rest:
                raise Rejected(Reason.BAD_HEADER, "empty #set_separator")
            self.set_sep = rest
        elif key == "unset_field":
            self.unset = rest
        elif key == "empty_field":
            self.empty = rest
        elif key == "fields":
            names = rest.split(self.sep)
            self.index = None
            if "ts" not in names:
                raise Rejected(Reason.BAD_HEADER, "#fields without ts")
            self.index = {n: i for i, n in enumerate(names)}
            self.width = len(names)

    def _event(self, text: str, opts: Options) -> Event:
        if self.index is None:
            raise Rejected(Reason.NO_HEADER, "no #fields line with ts before it")
        parts = text.split(self.sep)
        if len(parts) != self.width:
            raise Rejected(Reason.FIELD_COUNT, f"{len(parts)} fields, header has {self.width}")
        row = {
            name: _value(parts[self.index[name]], self.unset, self.empty)
            if name in self.index
            else None
            for name in _FIELDS
        }
        at = event_us(parse_ts(row["ts"]), opts)
        ttl, readable = answer_ttl(row["TTLs"], self.set_sep)
        return Event(
            at,
            row["id.orig_h"],
            row["query"],
            opts.tenant_id,
            row["qtype_name"],
            row["rcode_name"],
            ttl,
            readable,
        )


def _json_event(text: str, opts: Options) -> Event:
    obj = json_object(text)
    at = event_us(parse_ts(obj.get("ts")), opts)
    host = obj.get("id.orig_h")
    if host is None or host == "":
        nested = obj.get("id")
        host = nested.get("orig_h") if isinstance(nested, dict) else None
    ttl, readable = answer_ttl(obj.get("TTLs"))
    return Event(
        at,
        as_text(host, "id.orig_h"),
        as_text(obj.get("query"), "query"),
        opts.tenant_id,
        as_text(obj.get("qtype_name"), "qtype_name"),
        as_text(obj.get("rcode_name"), "rcode_name"),
        ttl,
        readable,
    )


def _is_json(lines: Iterator[Line]) -> tuple[bool, Iterator[Line]]:
    """Whether the first non-blank line starts a JSON object, and all the lines again."""
    seen: list[Line] = []
    first = ""
    for line in lines:
        seen.append(line)
        if not line.too_long and not is_blank(line.text):
            first = line.text.lstrip()[0]
            break
    return first == "{", itertools.chain(seen, lines)


def read_zeek(paths: list[Path], writer: ContractWriter, opts: Options) -> IngestReport:
    """Stream every file into ``writer``; the format is detected per file."""
    rep = IngestReport()
    for path in _expand(paths):
        rep.files += 1
        is_json, lines = _is_json(read_lines(path, rep))
        parse = partial(_json_event, opts=opts) if is_json else _TsvHeader(opts).line
        each_line(path, lines, parse, writer, opts, rep)
    writer.flush()
    return rep


def _expand(paths: list[Path]) -> Iterator[Path]:
    for p in paths:
        if p.is_dir():
            yield from sorted(q for q in p.rglob("*") if q.is_file() and "dns" in q.name)
        else:
            yield p
