"""What ingestion did with every line it read: the report, its reasons, and its identity.

Each record read is counted once in ``lines`` and once in exactly one outcome::

    lines == rows + rejected + header_lines + blank_lines

A record is one physical line (split on ``\\n``), except in CSV, where a quoted field holding a
line break makes one record of several lines (numbered by its first line). ``rows`` were written;
``rejected`` were not, each with a reason from :class:`Reason`; ``header_lines`` are Zeek ``#``
lines and CSV header records; ``blank_lines`` are empty or whitespace only (in CSV: a record of
at most one field). Rows written with a change (an unreadable TTL set to null, invalid UTF-8
replaced) are counted under :class:`Note`.
A file that cannot be read to its end (unreadable, truncated or corrupt gzip) is listed in
``file_errors``; the rows read before the failure count, and so do the other files. So is a CSV
file whose header lacks a mapped column (its records are rejected).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

#: Examples (file and line) kept per rejection reason or note.
MAX_EXAMPLES = 5

#: Rejected times before this lie so close to 1970 that the clock was probably relative.
RELATIVE_CLOCK_BEFORE = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)


class Reason(StrEnum):
    """Why a line was not written (the summary groups rejections by these)."""

    LINE_TOO_LONG = "line too long"
    BAD_RECORD = "unparseable record"
    NOT_AN_OBJECT = "JSON line is not an object"
    FIELD_COUNT = "wrong field count"
    BAD_HEADER = "unusable header line"
    NO_HEADER = "data line without a usable header"
    NO_TIME = "no time"
    BAD_TIME = "unreadable time"
    TIME_OUT_OF_RANGE = "time out of range"
    NOT_TEXT = "list, object or bool in a text field"


class Note(StrEnum):
    """A change made to a row that was written."""

    BAD_TTL = "unreadable answer TTL written as null"
    REPLACED_TEXT = "invalid UTF-8 replaced by U+FFFD"


@dataclass(frozen=True)
class Example:
    path: str
    line_no: int
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.line_no}" + (f": {self.detail}" if self.detail else "")


@dataclass(frozen=True)
class FileError:
    """A file not read to its end (``after_line`` lines were), or whose header is unusable."""

    path: str
    after_line: int
    message: str

    def __str__(self) -> str:
        where = f" after line {self.after_line:,}" if self.after_line else ""
        return f"{self.path}{where}: {self.message}"


@dataclass
class IngestReport:
    """What happened to every line of every input file (see the module docstring)."""

    files: int = 0
    lines: int = 0
    rows: int = 0
    header_lines: int = 0
    blank_lines: int = 0
    rejections: Counter[Reason] = field(default_factory=Counter)
    notes: Counter[Note] = field(default_factory=Counter)
    examples: dict[Reason | Note, list[Example]] = field(default_factory=dict)
    file_errors: list[FileError] = field(default_factory=list)
    #: rows rejected as out of range whose time lies between 1970 and RELATIVE_CLOCK_BEFORE
    relative_clock_rows: int = 0

    @property
    def rejected(self) -> int:
        return sum(self.rejections.values())

    @property
    def mostly_relative_clock(self) -> bool:
        """More than half the data lines carry times near 1970 (a clock relative to 0)."""
        return self.relative_clock_rows * 2 > self.rows + self.rejected

    def reject(self, path: Path, line_no: int, reason: Reason, detail: str = "") -> None:
        self.rejections[reason] += 1
        self._example(reason, path, line_no, detail)

    def note(self, path: Path, line_no: int, note: Note) -> None:
        self.notes[note] += 1
        self._example(note, path, line_no, "")

    def file_error(self, path: Path, after_line: int, message: str) -> None:
        self.file_errors.append(FileError(str(path), after_line, message))

    def _example(self, key: Reason | Note, path: Path, line_no: int, detail: str) -> None:
        shown = self.examples.setdefault(key, [])
        if len(shown) < MAX_EXAMPLES:
            shown.append(Example(str(path), line_no, _printable(detail[:200])))

    def summary(self, out: Path, accepted_times: str = "") -> list[str]:
        """The headline (whose numbers add up to ``lines``), then rejections by reason with
        examples, notes, file errors and a hint for relative clocks; one line each."""
        lines = [
            f"read {self.lines:,} lines from {self.files} file(s): wrote {self.rows:,} rows to "
            f"{out}, rejected {self.rejected:,}, skipped {self.header_lines:,} header and "
            f"{self.blank_lines:,} blank lines"
        ]
        for title, counts in (("rejected", self.rejections), ("kept with a change", self.notes)):
            if counts:
                lines.append(f"{title}:")
            for key, n in counts.most_common():
                extra = f" (accepted: {accepted_times})" if key is Reason.TIME_OUT_OF_RANGE else ""
                lines.append(f"  {n:,} {key}{extra}")
                shown = self.examples.get(key, [])
                lines += [f"      {example}" for example in shown]
                if n > len(shown):
                    lines.append(f"      ... and {n - len(shown):,} more")
        if self.file_errors:
            lines.append("file errors:")
            lines += [f"  {error}" for error in self.file_errors]
        if self.mostly_relative_clock:
            lines.append(
                f"hint: {self.relative_clock_rows:,} rows lie near 1970: a clock relative to the "
                "capture's start (--rebase-date YYYY-MM-DD moves them to a real date), or a "
                "mapping's epoch unit too small"
            )
        return lines

    def why_nothing(self) -> str:
        """One line saying why no row was written."""
        if self.rows:
            return ""
        if self.rejected:
            top, n = self.rejections.most_common(1)[0]
            return f"no line became a row ({self.rejected:,} rejected, {n:,} as {top})"
        if self.file_errors and not self.lines:
            return f"no input file could be read ({self.file_errors[0]})"
        return "the input holds no data lines"


def _printable(text: str) -> str:
    """``text`` with line breaks and control characters escaped, so it prints as one line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
