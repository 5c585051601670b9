"""Reading lines and turning values into contract rows, shared by the Zeek and mapped readers.

Files are read as bytes (gzip detected by its magic bytes) and split on ``\\n`` (or on ``\\r``
when the first line has a ``\\r`` and no ``\\n``: classic Mac OS line ends); each line is
decoded as UTF-8 on its own, so invalid bytes touch only their line: they are replaced by U+FFFD,
the row is kept, and it is counted under ``Note.REPLACED_TEXT``. A line of ``MAX_LINE_BYTES``
(1 MiB) or more is skipped without being held in memory and rejected as too long. An error
while reading (unreadable file, truncated or corrupt gzip) ends that file: it is listed in the
report's ``file_errors`` and the lines read before it count.

Values: text fields take strings; a JSON number becomes its text (``1`` -> ``"1"``, ``1.5`` ->
``"1.5"``), and a list, object or bool rejects the row (``Reason.NOT_TEXT``) rather than writing a
made-up string. An event time must be finite and, after any shift, inside the run's
:class:`TimeRange`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import NamedTuple

from beaconlake.errors import ConfigError
from beaconlake.ingest.report import RELATIVE_CLOCK_BEFORE, IngestReport, Note, Reason
from beaconlake.ingest.writer import ContractWriter

#: Lines of this many bytes or more (terminator not counted) are rejected as too long.
MAX_LINE_BYTES = 1 << 20

#: Earliest event date accepted unless the run says otherwise.
DEFAULT_MIN_DATE = dt.date(2000, 1, 1)

#: Errors that end the reading of a file (gzip raises EOFError when truncated).
READ_ERRORS = (OSError, EOFError, zlib.error)

_SURROGATES = re.compile("[\ud800-\udfff]")
_CHUNK = 1 << 16


def _midnight(day: dt.date) -> float:
    return dt.datetime.combine(day, dt.time(), dt.UTC).timestamp()


@dataclass(frozen=True)
class TimeRange:
    """Event times accepted: from ``min_date`` 00:00 UTC to the end of ``max_date``."""

    min_date: dt.date
    max_date: dt.date

    def __post_init__(self) -> None:
        if self.min_date > self.max_date:
            raise ConfigError(
                f"the earliest date {self.min_date} is after the latest {self.max_date}"
            )

    @classmethod
    def default(cls, min_date: dt.date | None = None, max_date: dt.date | None = None) -> TimeRange:
        """From 2000-01-01 (or ``min_date``) to tomorrow, UTC (or ``max_date``)."""
        tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date()
        return cls(min_date or DEFAULT_MIN_DATE, max_date or tomorrow)

    @cached_property
    def start(self) -> float:
        return _midnight(self.min_date)

    @cached_property
    def end(self) -> float:
        """Exclusive end, epoch seconds."""
        return _midnight(self.max_date) + 86_400

    def __str__(self) -> str:
        return f"{self.min_date} .. {self.max_date}"


#: Every time the output can hold (its folders are dated): for callers that place times later.
ANY_TIME = TimeRange(dt.date.min, dt.date.max)


@dataclass(frozen=True)
class Options:
    tenant_id: str = "default"
    host_map: dict[str, str] = field(default_factory=dict)
    #: Seconds added to every timestamp (e.g. to move a capture with relative times).
    shift_seconds: float = 0.0
    #: Times accepted after the shift; the library default keeps any time the output can hold.
    time_range: TimeRange = ANY_TIME


class Rejected(Exception):
    """A line that becomes no row: its reason and a short detail."""

    def __init__(self, reason: Reason, detail: str = "", relative_clock: bool = False) -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail
        self.relative_clock = relative_clock


def reject(rep: IngestReport, path: Path, line_no: int, rejected: Rejected) -> None:
    rep.reject(path, line_no, rejected.reason, rejected.detail)
    rep.relative_clock_rows += rejected.relative_clock


class Line(NamedTuple):
    no: int
    text: str
    #: invalid UTF-8 was replaced by U+FFFD
    replaced: bool = False
    too_long: bool = False


def read_lines(path: Path, rep: IngestReport) -> Iterator[Line]:
    """The file's lines without their terminators; a read error ends them (see the docstring)."""
    line_no = 0
    with ExitStack() as stack:
        try:
            fh: io.BufferedIOBase = stack.enter_context(path.open("rb"))
            gzipped = fh.read(2) == b"\x1f\x8b"
            fh.seek(0)
            if gzipped:
                fh = stack.enter_context(gzip.GzipFile(fileobj=fh, mode="rb"))
        except READ_ERRORS as exc:
            rep.file_error(path, 0, _why(exc))
            return
        reader: io.BufferedIOBase | _CrLines = fh
        while True:
            try:
                raw = reader.readline(MAX_LINE_BYTES)
                if line_no == 0 and b"\r" in raw and not raw.endswith(b"\n"):
                    reader = _CrLines(fh, raw)  # no \n yet, but \r: lines end in \r
                    raw = reader.readline(MAX_LINE_BYTES)
                overlong = len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n")
                rest = raw
                while overlong and rest and not rest.endswith(b"\n"):
                    rest = reader.readline(_CHUNK)  # skip the rest of the line unkept
            except READ_ERRORS as exc:
                rep.file_error(path, line_no, _why(exc))
                return
            if not raw:
                return
            line_no += 1
            if overlong:
                yield Line(line_no, "", too_long=True)
                continue
            raw = raw.removesuffix(b"\n").removesuffix(b"\r")
            if line_no == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark
            try:
                yield Line(line_no, raw.decode("utf-8"))
            except UnicodeDecodeError:
                yield Line(line_no, raw.decode("utf-8", errors="replace"), replaced=True)


class _CrLines:
    """``readline`` for files whose lines end in a lone ``\\r`` (classic Mac OS exports).

    Each line comes back with ``\\n`` for its ``\\r``, and like ``readline(limit)`` at most
    ``limit`` bytes: a longer line is returned in pieces, the first without a terminator.
    """

    def __init__(self, fh: io.BufferedIOBase, start: bytes) -> None:
        self.fh, self.buf = fh, start

    def readline(self, limit: int) -> bytes:
        while b"\r" not in self.buf[:limit] and len(self.buf) < limit:
            chunk = self.fh.read(_CHUNK)
            if not chunk:
                break
            self.buf += chunk
        end = self.buf.find(b"\r", 0, limit)
        if end < 0:
            line, self.buf = self.buf[:limit], self.buf[limit:]
            return line
        line, self.buf = self.buf[:end], self.buf[end + 1 :]
        return line + b"\n"


def _why(exc: BaseException) -> str:
    """One line naming a read error (gzip's EOFError means the file is truncated)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    if isinstance(exc, EOFError):
        name = "truncated gzip"
    elif isinstance(exc, zlib.error | gzip.BadGzipFile):
        name = "corrupt gzip"
    else:
        name = type(exc).__name__
    return f"{name}: {text[0]}" if text else name


def too_long() -> Rejected:
    """The rejection of a line of ``MAX_LINE_BYTES`` or more."""
    return Rejected(Reason.LINE_TOO_LONG, f"{MAX_LINE_BYTES:,} bytes or more")


def is_blank(text: str) -> bool:
    return not text.strip()


def json_object(text: str) -> dict[str, object]:
    """One JSON-lines record; anything but an object rejects the line."""
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise Rejected(Reason.BAD_RECORD, f"JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise Rejected(Reason.NOT_AN_OBJECT, f"a {type(obj).__name__}")
    return obj


def as_text(value: object, name: str) -> str | None:
    """A text field's value: strings as they are, numbers as their text, null as None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise Rejected(Reason.NOT_TEXT, f"{name} is {type(value).__name__}")


def time_value(value: object) -> str | float:
    """A time field's value as text or a number; anything else rejects the row."""
    if value is None or value == "":
        raise Rejected(Reason.NO_TIME)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            raise Rejected(Reason.BAD_TIME, f"{str(value)[:40]}") from None
    raise Rejected(Reason.BAD_TIME, f"a {type(value).__name__}")


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
        except (ValueError, OverflowError):
            return None, False
        if not math.isfinite(value) or value < 0:
            return None, False
        values.append(value)
    return min(values), True


def event_us(seconds: float, opts: Options) -> int:
    """Epoch microseconds after the shift, if finite and inside the run's time range."""
    if not math.isfinite(seconds):
        raise Rejected(Reason.BAD_TIME, f"{seconds}")
    shifted = seconds + opts.shift_seconds
    span = opts.time_range
    if not span.start <= shifted < span.end:
        near_1970 = 0 <= shifted < RELATIVE_CLOCK_BEFORE.timestamp()
        raise Rejected(Reason.TIME_OUT_OF_RANGE, _show_time(shifted), relative_clock=near_1970)
    return round(shifted * 1_000_000)


def _show_time(seconds: float) -> str:
    try:
        return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, ValueError, OSError):
        return f"{seconds:g} s since 1970"


class Event(NamedTuple):
    """One row's values, checked; ``write`` adds it to the writer."""

    event_us: int
    host_id: str | None
    query_name: str | None
    tenant_id: str | None
    query_type: str | None
    response_code: str | None
    answer_ttl_seconds: float | None
    ttl_readable: bool = True


def write(
    w: ContractWriter, opts: Options, rep: IngestReport, path: Path, line: Line, e: Event
) -> None:
    """Write ``e`` (host map applied, lone surrogates replaced) and count it and its notes.

    Lone surrogates come only from JSON escapes (``"\\ud800"``): decoded UTF-8 holds none.
    """
    texts = [e.host_id, e.query_name, e.tenant_id, e.query_type, e.response_code]
    replaced = line.replaced
    if any(t is not None and not t.isascii() and _SURROGATES.search(t) for t in texts):
        texts = [None if t is None else _SURROGATES.sub("\ufffd", t) for t in texts]
        replaced = True
    host, query, tenant, qtype, rcode = texts
    if host is not None:
        host = opts.host_map.get(host, host)
    w.add(e.event_us, host, query, tenant, qtype, rcode, e.answer_ttl_seconds)
    rep.rows += 1
    if replaced:
        rep.note(path, line.no, Note.REPLACED_TEXT)
    if not e.ttl_readable:
        rep.note(path, line.no, Note.BAD_TTL)


def each_line(
    path: Path,
    lines: Iterable[Line],
    parse: Callable[[str], Event | None],
    w: ContractWriter,
    opts: Options,
    rep: IngestReport,
) -> None:
    """Count every line once: blank, header (``parse`` gives None), row, or rejection."""
    for line in lines:
        rep.lines += 1
        try:
            if line.too_long:
                raise too_long()
            if is_blank(line.text):
                rep.blank_lines += 1
                continue
            event = parse(line.text)
        except Rejected as rejected:
            reject(rep, path, line.no, rejected)
            continue
        if event is None:
            rep.header_lines += 1
        else:
            write(w, opts, rep, path, line, event)
