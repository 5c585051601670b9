"""Ingestion under hostile input: no line aborts a run, every line is counted, output is atomic.

Property-based tests feed each reader (Zeek TSV, Zeek JSON, mapped CSV, mapped JSON lines) and
``normalize_name`` arbitrary bytes, text and JSON values; the regression tests below them pin
one defect each (truncated gzip, non-finite and far-future times, non-text JSON values, a field
over csv's default size limit, ``--overwrite`` losing the old output, a bare traceback).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from beaconlake.cli import main
from beaconlake.domains import normalize_name
from beaconlake.errors import ConfigError, InputError
from beaconlake.ingest import IngestReport, Note, Reason, TimeRange, ingest
from beaconlake.ingest.mapping import Mapping
from beaconlake.ingest.source import DEFAULT_MIN_DATE, MAX_LINE_BYTES
from beaconlake.ingest.writer import ContractWriter

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

FIELDS = (
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id query qclass qclass_name qtype "
    "qtype_name rcode rcode_name"
).split()
HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#fields\t"
    + "\t".join(FIELDS)
    + "\n#types\t"
    + "\t".join(["time"] + ["string"] * (len(FIELDS) - 1))
    + "\n"
)
HEADER_LINES = HEADER.count("\n")
SURROGATE = re.compile("[\ud800-\udfff]")
#: Valid event times: inside every run's default range, whatever day the tests run on.
T0 = dt.datetime(2000, 1, 2, tzinfo=dt.UTC).timestamp()
T1 = dt.datetime(2025, 12, 31, tzinfo=dt.UTC).timestamp()
CSV_MAPPING = (
    'format = "csv"\n[columns]\nevent_time = "t"\nhost_id = "h"\nquery_name = "q"\n'
    '[time]\nformat = "epoch"\n'
)
JSONL_MAPPING = (
    'format = "jsonl"\n[columns]\nevent_time = "when"\nhost_id = "client.ip"\n'
    'query_name = "q"\nquery_type = "kind"\n[time]\nformat = "epoch"\n'
)


def _tsv_row(ts: str, host: str = "10.0.0.1", query: str = "a.example.com") -> str:
    # left as written: items in rows, not one per line
    values = [ts, "C1", host, "5353", "10.0.0.53", "53", "udp", "1", query, "1", "C_INTERNET",
              "1", "A", "0", "NOERROR"]  # fmt: skip
    return "\t".join(values) + "\n"


def _physical_lines(data: bytes) -> int:
    """Lines as split on ``\\n``; a last line without a terminator counts too."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def _written(out: Path) -> list[dict[str, object]]:
    files = sorted(out.rglob("*.parquet"))
    return [row for f in files for row in pq.read_table(f).to_pylist()]


def _checked(paths: list[Path], out: Path, **kwargs: Any) -> tuple[IngestReport, list[dict]]:
    """Ingest; check the identity, the rows written and that no temporary folder is left."""
    report = ingest(paths, out, **kwargs)
    assert report.lines == (
        report.rows + report.rejected + report.header_lines + report.blank_lines
    )
    rows = _written(out)
    assert len(rows) == report.rows
    assert out.exists() == (report.rows > 0)
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")] == []
    return report, rows


def _mapping(tmp: Path, text: str) -> Mapping:
    (tmp / "m.toml").write_text(text)
    return Mapping.load(tmp / "m.toml")


# --- property-based: arbitrary input never escapes as an exception, every line is counted -------

_junk_line = st.binary(max_size=60).map(lambda b: b.replace(b"\n", b""))
# left as written: items in rows, not one per line
_tsv_line = st.one_of(
    _junk_line,
    st.sampled_from(HEADER.encode().splitlines()),
    st.sampled_from([b"#separator \\x", b"#separator ", b"#set_separator\t", b"#fields\tuid",
                     b"#separator \\x2c", b"", b"   ", b"\r", b"#close\t2024"]),
    st.builds(lambda ts, host, q: _tsv_row(ts, host, q).rstrip("\n").encode(),
              st.sampled_from(["1713484800.5", "nan", "inf", "-inf", "1e12", "1e13", "19.5",
                               "-", "(empty)", "2024-04-19T00:00:00Z", "1" * 400, ""]),
              st.text(max_size=8).filter(lambda t: "\t" not in t and "\n" not in t),
              st.text(max_size=12).filter(lambda t: "\t" not in t and "\n" not in t)),
)  # fmt: skip


def _file_bytes(lines: list[bytes], crlf: bool, final_newline: bool) -> bytes:
    data = (b"\r\n" if crlf else b"\n").join(lines)
    return data + (b"\n" if final_newline and lines else b"")


@PROPERTY
@given(
    lines=st.lists(_tsv_line, max_size=30),
    crlf=st.booleans(),
    final_newline=st.booleans(),
    packing=st.sampled_from(["plain", "gzip", "truncated gzip"]),
)
def test_zeek_tsv_reader_counts_every_line_of_arbitrary_input(
    lines: list[bytes], crlf: bool, final_newline: bool, packing: str
) -> None:
    data = _file_bytes([HEADER.encode().rstrip(b"\n"), *lines], crlf, final_newline)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dns.log"
        if packing == "plain":
            path.write_bytes(data)
        else:
            packed = gzip.compress(data)
            path.write_bytes(packed if packing == "gzip" else packed[: len(packed) // 2])
        report, _ = _checked([path], Path(tmp) / "out")
    if packing == "truncated gzip":
        assert report.lines <= _physical_lines(data)
        assert len(report.file_errors) == 1 and "gzip" in report.file_errors[0].message
    else:
        assert report.lines == _physical_lines(data) and not report.file_errors


_garbage_line = st.text(max_size=40).filter(
    lambda t: t.strip() and not t.startswith("#") and not set(t) & set("\t\n\r")
)


@PROPERTY
@given(
    items=st.lists(
        st.one_of(
            st.builds(
                lambda ts, q: ("row", _tsv_row(f"{ts:.6f}", query=q)),
                st.floats(T0, T1),
                st.from_regex(r"[a-z0-9.-]{0,20}", fullmatch=True),
            ),
            st.builds(lambda t: ("bad", t + "\n"), _garbage_line),
            st.sampled_from([("blank", "\n"), ("blank", "  \t\n"), ("header", "#close\tx\n")]),
        ),
        max_size=40,
    )
)
def test_zeek_tsv_reader_writes_exactly_the_valid_rows(items: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dns.log"
        path.write_text(HEADER + "".join(text for _, text in items))
        report, rows = _checked([path], Path(tmp) / "out")
    kinds = [kind for kind, _ in items]
    assert report.rows == kinds.count("row")
    bad = kinds.count("bad")
    assert dict(report.rejections) == ({Reason.FIELD_COUNT: bad} if bad else {})
    assert report.blank_lines == kinds.count("blank")
    assert report.header_lines == HEADER_LINES + kinds.count("header")
    queries = [text.split("\t")[8] for kind, text in items if kind == "row"]
    expected = [None if q == "-" else q for q in queries]  # "-" is Zeek's unset
    assert sorted(map(str, (r["query_name"] for r in rows))) == sorted(map(str, expected))


#: JSON text, lone surrogates (``"\\ud800"``, not Unicode) included
_json_str = st.text(max_size=10) | st.text(st.characters(categories=["Cs", "Ll"]), max_size=6)
_json_scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), _json_str)
_json_value = st.recursive(
    _json_scalar,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
_zeek_keys = st.sampled_from(["ts", "id.orig_h", "id", "query", "qtype_name", "rcode_name", "TTLs"])


@PROPERTY
@given(
    records=st.lists(
        st.one_of(
            st.dictionaries(_zeek_keys | st.text(max_size=4), _json_value, max_size=7).map(
                json.dumps
            ),
            _json_value.map(json.dumps),
            _junk_line.map(lambda b: b.decode("utf-8", "replace")),
        ),
        max_size=25,
    ),
    final_newline=st.booleans(),
)
def test_zeek_json_reader_counts_every_line_of_arbitrary_json(
    records: list[str], final_newline: bool
) -> None:
    data = _file_bytes(
        [b"{}", *(r.encode("utf-8", "surrogatepass") for r in records)], False, final_newline
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dns.log"
        path.write_bytes(data)
        report, _ = _checked([path], Path(tmp) / "out")
    assert report.lines == _physical_lines(data)
    assert report.rejections[Reason.NO_TIME] >= 1  # the first line, {}, has no ts


#: (value, whether a row with it is written) for a JSON ``ts``
# left as written: items in rows, not one per line
_json_ts: st.SearchStrategy[tuple[object, bool]] = st.one_of(
    st.floats(T0, T1).map(lambda t: (t, True)),
    st.floats(T0, T1).map(lambda t: (repr(t), True)),
    st.datetimes(dt.datetime(2000, 1, 2), dt.datetime(2025, 12, 30)).map(
        lambda d: (d.isoformat() + "Z", True)
    ),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e12, 1e13, 19.5, -1.0, True, False, None, [],
                     {}, "soon", "", "nan", 10**400]).map(lambda v: (v, False)),
)  # fmt: skip


def _as_written(text: str) -> str:
    """JSON joins an escaped surrogate pair into one character; a lone one becomes U+FFFD."""
    return SURROGATE.sub("\ufffd", json.loads(json.dumps(text)))


#: (value, whether a row with it in a text field is written, the text written)
_json_text = st.one_of(
    st.none().map(lambda v: (v, True, None)),
    _json_str.map(lambda v: (v, True, _as_written(v))),
    st.integers().map(lambda v: (v, True, str(v))),
    st.floats(allow_nan=False).map(lambda v: (v, True, str(v))),
    st.one_of(
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
    ).map(lambda v: (v, False, None)),
)


@PROPERTY
@given(
    records=st.lists(
        st.tuples(_json_ts, _json_text, _json_text, _json_value, st.booleans()), max_size=25
    )
)
def test_zeek_json_reader_writes_exactly_the_valid_rows(records: list[tuple]) -> None:
    lines, expected = [], []
    for (ts, ts_ok), (host, host_ok, _), (query, query_ok, query_text), ttls, nested in records:
        obj = {"ts": ts, "query": query, "TTLs": ttls}
        obj |= {"id": {"orig_h": host}} if nested else {"id.orig_h": host}
        lines.append(json.dumps(obj))
        if ts_ok and host_ok and query_ok:
            expected.append(query_text)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dns.log"
        path.write_text("".join(line + "\n" for line in lines))
        report, rows = _checked([path], Path(tmp) / "out")
    assert (report.lines, report.rows) == (len(records), len(expected))
    assert sorted(map(str, (r["query_name"] for r in rows))) == sorted(map(str, expected))


@PROPERTY
@given(data=st.binary(max_size=400), quotes=st.booleans())
def test_mapped_csv_reader_counts_every_record_of_arbitrary_bytes(
    data: bytes, quotes: bool
) -> None:
    if not quotes:
        data = data.replace(b'"', b"")
    data = b"t,h,q\n" + data
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_bytes(data)
        report, _ = _checked([path], Path(tmp) / "out", mapping=_mapping(Path(tmp), CSV_MAPPING))
    if quotes:  # a quoted field may hold line breaks: then one record spans several lines
        assert report.lines <= _physical_lines(data)
    else:
        assert report.lines == _physical_lines(data)
    assert report.header_lines == 1


#: (the ``t`` column's text, whether it is a valid time)
_csv_time = st.one_of(
    st.integers(int(T0), int(T1)).map(lambda t: (str(t), True)),
    st.floats(T0, T1).map(lambda t: (repr(t), True)),
    st.sampled_from(
        ["", "abc", "nan", "inf", "1e12", "1e13", "-5", "1e400", "19.5", "12:00", "1" * 5000]
    ).map(lambda t: (t, False)),
)


@PROPERTY
@given(
    records=st.lists(
        st.tuples(
            _csv_time,
            st.text(max_size=12),
            st.text(max_size=12),
            st.text(max_size=12),
            st.sampled_from([0, 0, 0, -1, 1]),
        ),
        max_size=25,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
)
def test_mapped_csv_reader_writes_exactly_the_valid_rows(
    records: list[tuple], delimiter: str
) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter)
    writer.writerow(["t", "h", "q", "extra"])
    expected = []
    for (t, t_ok), h, q, extra, width in records:
        fields = [t, h, q, extra]
        fields = fields[:-1] if width < 0 else fields + ["more"] * width
        writer.writerow(fields)
        if t_ok and width == 0:
            expected.append(q.replace("\r\n", "\n") or None)
    mapping = CSV_MAPPING.replace(
        'format = "csv"', f'format = "csv"\ndelimiter = {json.dumps(delimiter)}'
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        path.write_text(buf.getvalue(), newline="")
        report, rows = _checked([path], Path(tmp) / "out", mapping=_mapping(Path(tmp), mapping))
    assert (report.lines, report.header_lines) == (1 + len(records), 1)
    assert report.rows == len(expected)
    assert report.rejected == len(records) - len(expected)
    assert sorted(map(str, (r["query_name"] for r in rows))) == sorted(map(str, expected))


@PROPERTY
@given(
    records=st.lists(
        st.one_of(
            st.tuples(
                _json_ts,
                st.one_of(_json_text, st.just(("absent", True, None))),
                _json_text,
                _json_value,
            ),
            _json_value.map(json.dumps),
        ),
        max_size=25,
    )
)
def test_mapped_jsonl_reader_writes_exactly_the_valid_rows(records: list) -> None:
    lines, expected = [], []
    for record in records:
        if isinstance(record, str):  # any JSON value: a row only if it is an object with a time
            lines.append(record)
            continue
        (ts, ts_ok), (host, host_ok, _), (query, query_ok, query_text), kind = record
        if isinstance(ts, str) and ts.endswith("Z"):  # ISO text is no epoch
            ts_ok = False
        client = {} if host == "absent" else {"ip": host}
        lines.append(json.dumps({"when": ts, "client": client, "q": query, "kind": kind}))
        kind_ok = kind is None or (
            not isinstance(kind, bool) and isinstance(kind, str | int | float)
        )
        if ts_ok and host_ok and query_ok and kind_ok:
            expected.append(query_text or None)  # an empty name is null here
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.jsonl"
        path.write_text("".join(line + "\n" for line in lines))
        report, rows = _checked(
            [path], Path(tmp) / "out", mapping=_mapping(Path(tmp), JSONL_MAPPING)
        )
    assert report.lines == len(records)
    structured = [r for r in records if not isinstance(r, str)]
    assert report.rows >= len(expected)  # a bare JSON value may be an object with a valid time
    if len(structured) == len(records):
        assert report.rows == len(expected)
        assert sorted(map(str, (r["query_name"] for r in rows))) == sorted(map(str, expected))


_dns_name = st.lists(
    st.from_regex(r"[A-Za-z0-9]([A-Za-z0-9-]{0,10}[A-Za-z0-9])?", fullmatch=True),
    min_size=1,
    max_size=5,
).map(".".join)


@PROPERTY
@given(raw=st.one_of(st.text(), st.binary().map(lambda b: b.decode("utf-8", "replace"))))
def test_normalize_name_takes_any_text(raw: str) -> None:
    name = normalize_name(raw)
    assert isinstance(name, str) and name == name.lower()
    assert len(name) <= len(raw.strip().lower())
    assert not name[:1].isspace()


@PROPERTY
@given(name=_dns_name, root=st.booleans(), pad=st.sampled_from(["", " ", "\t", "  \n"]))
def test_normalize_name_of_a_dns_name(name: str, root: bool, pad: str) -> None:
    written = pad + name + ("." if root else "") + pad
    assert normalize_name(written) == name.lower()
    assert normalize_name(normalize_name(written)) == normalize_name(written)
    assert normalize_name(written.upper()) == normalize_name(written)


# --- regression tests: one per defect --------------------------------------------------------


def test_a_truncated_gzip_keeps_its_rows_before_the_cut_and_the_other_files(tmp_path: Path) -> None:
    rows = "".join(
        _tsv_row(f"{1713484800 + i}.{i:06d}", query=f"q{i:05d}.example.com") for i in range(3000)
    )
    packed = gzip.compress((HEADER + rows).encode())
    (tmp_path / "cut.log.gz").write_bytes(packed[: len(packed) // 2])
    (tmp_path / "whole.log").write_text(HEADER + _tsv_row("1713484800.5"))
    report, _ = _checked([tmp_path / "cut.log.gz", tmp_path / "whole.log"], tmp_path / "out")
    cut = report.rows - 1
    assert 0 < cut < 3000 and report.rejected == 0
    (error,) = report.file_errors
    assert error.path.endswith("cut.log.gz") and error.after_line == HEADER_LINES + cut
    assert error.message.startswith("truncated gzip")
    result = CliRunner().invoke(
        main, ["ingest", "zeek", str(tmp_path / "cut.log.gz"), "--out", str(tmp_path / "o2")]
    )
    assert result.exit_code == 0, result.output
    assert f"cut.log.gz after line {HEADER_LINES + cut:,}: truncated gzip" in result.output


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        ("NaN", Reason.BAD_TIME),
        ("Infinity", Reason.BAD_TIME),
        ("-Infinity", Reason.BAD_TIME),
        ("1e12", Reason.TIME_OUT_OF_RANGE),
        ("1e13", Reason.TIME_OUT_OF_RANGE),
        ('"1e13"', Reason.TIME_OUT_OF_RANGE),
        ("1e400", Reason.BAD_TIME),
        ("true", Reason.BAD_TIME),
        ("[1]", Reason.BAD_TIME),
        ("null", Reason.NO_TIME),
    ],
)
def test_non_finite_and_far_future_times_are_rejected(
    tmp_path: Path, ts: str, reason: Reason
) -> None:
    good = '{"ts": 1713484800.5, "id.orig_h": "10.0.0.1", "query": "a.example.com"}'
    path = tmp_path / "dns.log"
    path.write_text(f"{good}\n{good.replace('1713484800.5', ts)}\n")
    report, _ = _checked([path], tmp_path / "out")
    assert (report.rows, dict(report.rejections)) == (1, {reason: 1})
    assert report.examples[reason][0].line_no == 2
    tsv = tmp_path / "dns.tsv"  # the same times in Zeek's TSV
    if reason is not Reason.NO_TIME:
        tsv.write_text(HEADER + _tsv_row("1713484800.5") + _tsv_row(ts.strip('"').lower()))
        report, _ = _checked([tsv], tmp_path / "out-tsv")
        assert report.rows == 1 and report.rejected == 1


def test_a_number_in_a_text_field_is_its_text_and_a_list_rejects_the_row(tmp_path: Path) -> None:
    base = {"ts": 1713484800.5, "id.orig_h": "10.0.0.1", "query": "a.example.com"}
    lines = [
        {**base, "query": 1},
        {**base, "id.orig_h": 167772161, "qtype_name": 28},
        {**base, "query": ["a"]},
        {**base, "rcode_name": {"x": 1}},
        {**base, "query": True},
        {**base, "id": "not an object", "id.orig_h": None},
    ]
    path = tmp_path / "dns.log"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    report, rows = _checked([path], tmp_path / "out")
    assert (report.rows, dict(report.rejections)) == (3, {Reason.NOT_TEXT: 3})
    assert [str(e) for e in report.examples[Reason.NOT_TEXT]] == [
        f"{path}:3: query is list",
        f"{path}:4: rcode_name is dict",
        f"{path}:5: query is bool",
    ]
    assert [(r["query_name"], r["host_id"], r["query_type"]) for r in rows] == [
        ("1", "10.0.0.1", None),
        ("a.example.com", "167772161", "28"),
        ("a.example.com", None, None),
    ]


def test_a_200_kib_csv_field_is_read_and_a_line_over_the_limit_is_rejected(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, CSV_MAPPING)
    big = "x" * (200 * 1024)
    path = tmp_path / "export.csv"
    path.write_text(
        f't,h,q,raw\n1713484800,pc1,a.com,{big}\n1713484801,pc1,b.com,"{big}"\n'
        f"1713484802,pc1,c.com,{'y' * MAX_LINE_BYTES}\n1713484803,pc1,d.com,\n"
    )
    report, rows = _checked([path], tmp_path / "out", mapping=mapping)
    assert (report.rows, dict(report.rejections)) == (3, {Reason.LINE_TOO_LONG: 1})
    assert report.examples[Reason.LINE_TOO_LONG][0].line_no == 4
    assert [r["query_name"] for r in rows] == ["a.com", "b.com", "d.com"]
    assert csv.field_size_limit() == 131_072  # the process-wide limit is restored


def test_lines_over_the_limit_are_rejected_in_zeek_logs_too(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    long_row = _tsv_row("1713484800.5", query="a" * MAX_LINE_BYTES)
    path.write_text(HEADER + long_row + _tsv_row("1713484801.5"))
    report, _ = _checked([path], tmp_path / "out")
    assert (report.rows, dict(report.rejections)) == (1, {Reason.LINE_TOO_LONG: 1})
    path.write_text('{"ts": 1713484800.5}\n{"ts": 1713484800.5, "q": "' + "a" * MAX_LINE_BYTES)
    report, _ = _checked([path], tmp_path / "out2")
    assert (report.lines, report.rows, dict(report.rejections)) == (2, 1, {Reason.LINE_TOO_LONG: 1})


def test_deep_json_huge_numbers_and_lone_surrogates_do_not_abort(tmp_path: Path) -> None:
    base = '{"ts": 1713484800.5, "id.orig_h": "h", "query": "a.com"'
    lines = [
        base + "}",
        "[" * 100_000,
        base + ', "TTLs": [' + "9" * 400 + "]}",
        base.replace('"a.com"', '"\\ud800x.com"') + "}",
        base + ', "TTLs": {"a": 1}}',
    ]
    path = tmp_path / "dns.log"
    path.write_text("\n".join(lines) + "\n")
    report, rows = _checked([path], tmp_path / "out")
    assert (report.rows, dict(report.rejections)) == (4, {Reason.BAD_RECORD: 1})
    assert report.notes == {Note.BAD_TTL: 2, Note.REPLACED_TEXT: 1}
    assert rows[2]["query_name"] == "\ufffdx.com"


def test_invalid_utf8_is_replaced_counted_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_bytes(
        HEADER.encode()
        + _tsv_row("1713484800.5", host="pc-\xff").encode("latin-1")
        + _tsv_row("1713484801.5").encode()
    )
    report, rows = _checked([path], tmp_path / "out")
    assert (report.rows, report.notes) == (2, {Note.REPLACED_TEXT: 1})
    assert report.examples[Note.REPLACED_TEXT][0].line_no == HEADER_LINES + 1
    assert rows[0]["host_id"] == "pc-\ufffd"


def test_lines_ending_in_a_lone_cr_are_lines(tmp_path: Path) -> None:
    tsv = tmp_path / "dns.log"
    tsv.write_bytes(
        (HEADER + _tsv_row("1713484800.5") + _tsv_row("1713484801.5")).replace("\n", "\r").encode()
    )
    report, _ = _checked([tsv], tmp_path / "a")
    assert (report.lines, report.rows, report.header_lines) == (HEADER_LINES + 2, 2, HEADER_LINES)
    csv_file = tmp_path / "export.csv"
    csv_file.write_bytes(b't,h,q\r1713484800,pc1,"a.\r\rcom"\r\r1713484801,pc1,b.com')
    report, rows = _checked([csv_file], tmp_path / "b", mapping=_mapping(tmp_path, CSV_MAPPING))
    assert (report.lines, report.rows, report.blank_lines) == (4, 2, 1)
    assert [r["query_name"] for r in rows] == ["a.\n\ncom", "b.com"]


def test_unusable_zeek_headers_are_rejected_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text(
        "#separator \\x\n#set_separator\t\n"
        + _tsv_row("1713484800.5")
        + HEADER
        + _tsv_row("1713484801.5")
        + "#fields\tuid\n"
        + _tsv_row("1713484802.5")
    )
    report, _ = _checked([path], tmp_path / "out")
    assert report.rows == 1
    assert dict(report.rejections) == {Reason.BAD_HEADER: 3, Reason.NO_HEADER: 2}


def test_a_csv_header_without_the_mapped_columns_is_a_file_error(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path, CSV_MAPPING)
    (tmp_path / "a.csv").write_text("\ufefft,h,q\n1713484800,pc1,a.com\n")  # with a BOM
    (tmp_path / "b.csv").write_text("time,host,name\n1713484800,pc1,a.com\n\n")
    report, _ = _checked([tmp_path / "a.csv", tmp_path / "b.csv"], tmp_path / "o", mapping=mapping)
    assert (report.rows, report.header_lines, report.blank_lines) == (1, 2, 1)
    assert dict(report.rejections) == {Reason.NO_HEADER: 1}
    (error,) = report.file_errors
    assert error.path.endswith("b.csv") and "['t', 'h', 'q'] not in the header" in error.message


def test_unreadable_files_are_named_and_the_others_still_count(tmp_path: Path) -> None:
    (tmp_path / "gone.log").symlink_to(tmp_path / "rotated-away.log")
    (tmp_path / "ok.log").write_text(HEADER + _tsv_row("1713484800.5"))
    report, _ = _checked([tmp_path / "gone.log", tmp_path / "ok.log"], tmp_path / "out")
    assert report.rows == 1 and report.files == 2
    assert [str(e) for e in report.file_errors] == [
        f"{tmp_path}/gone.log: No such file or directory"
    ]


# --- the time range and relative clocks ----------------------------------------------------------


def test_the_time_range_is_configurable_and_checked_after_the_shift(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text(HEADER + _tsv_row("1713484800.5") + _tsv_row("1713657600.5"))  # 04-19, 04-21
    only_19th = TimeRange(dt.date(2024, 4, 19), dt.date(2024, 4, 19))
    report, _ = _checked([path], tmp_path / "a", time_range=only_19th)
    assert (report.rows, dict(report.rejections)) == (1, {Reason.TIME_OUT_OF_RANGE: 1})
    assert report.examples[Reason.TIME_OUT_OF_RANGE][0].detail == "2024-04-21 00:00:00"
    report, _ = _checked([path], tmp_path / "b", time_range=only_19th, shift_seconds=-2 * 86_400)
    assert report.rows == 1  # the 21st moved to the 19th
    with pytest.raises(ConfigError, match="is after the latest"):
        TimeRange(dt.date(2024, 4, 20), dt.date(2024, 4, 19))
    with pytest.raises(ConfigError, match="finite"):
        ingest([path], tmp_path / "c", shift_seconds=math.nan)
    args = ["--out", str(tmp_path / "d"), "--min-date", "2024-04-20", "--max-date", "2024-04-21"]
    result = CliRunner().invoke(main, ["ingest", "zeek", str(path), *args])
    assert result.exit_code == 0, result.output
    assert "rejected 1" in result.output and "(accepted: 2024-04-20 .. 2024-04-21)" in result.output
    result = CliRunner().invoke(main, ["ingest", "zeek", "--help"])
    assert f"[default: {DEFAULT_MIN_DATE}]" in result.output


def test_relative_clocks_are_rejected_with_a_hint_and_rebase_still_works(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text(HEADER + _tsv_row("19.5") + _tsv_row("86419.5") + _tsv_row("1713484800.5"))
    result = CliRunner().invoke(main, ["ingest", "zeek", str(path), "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    assert "2 time out of range" in result.output and "hint: 2 rows lie near 1970" in result.output
    assert "--rebase-date" in result.output
    rebased = tmp_path / "rel.log"
    rebased.write_text(HEADER + _tsv_row("19.5") + _tsv_row("86419.5"))
    report, rows = _checked([rebased], tmp_path / "b", rebase_date=dt.date(2026, 11, 2))
    assert report.rows == 2 and rows[0]["event_time"] == dt.datetime(2026, 11, 2, 0, 0, 19, 500000)


# --- atomic output -------------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _old_output(tmp_path: Path) -> tuple[Path, Path]:
    path = tmp_path / "dns.log"
    path.write_text(HEADER + _tsv_row("1713484800.5", query="old.example.com"))
    out = tmp_path / "lake"
    ingest([path], out)
    path.write_text(HEADER + "".join(_tsv_row(f"{1713484800 + i}.5") for i in range(50)))
    return path, out


@pytest.mark.parametrize(
    "failure", [RuntimeError("disk on fire"), KeyboardInterrupt()], ids=["error", "ctrl-c"]
)
def test_overwrite_keeps_the_old_output_when_the_new_run_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failure: BaseException
) -> None:
    path, out = _old_output(tmp_path)
    real_add = ContractWriter.add

    def add_then_fail(self: ContractWriter, *args: Any) -> None:
        real_add(self, *args)
        if len(self._cols["event_time"]) == 10:
            self.flush()  # some Parquet is already in the temporary folder
        if self.rows_written:
            raise failure

    monkeypatch.setattr(ContractWriter, "add", add_then_fail)
    with pytest.raises(type(failure)):
        ingest([path], out, overwrite=True)
    assert [r["query_name"] for r in _written(out)] == ["old.example.com"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dns.log", "lake"]


def test_overwrite_replaces_the_output_once_the_new_one_is_complete(tmp_path: Path) -> None:
    path, out = _old_output(tmp_path)
    assert out.stat().st_mode & 0o777 == 0o777 & ~_umask()  # not private like a temp folder
    (out / "notes.txt").write_text("a stray file is replaced too")
    report, rows = _checked([path], out, overwrite=True)
    assert report.rows == 50 and "old.example.com" not in {r["query_name"] for r in rows}
    assert not (out / "notes.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dns.log", "lake"]


def test_a_full_output_is_refused_before_reading_and_a_run_without_rows_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, out = _old_output(tmp_path)
    monkeypatch.setattr("beaconlake.ingest.read_zeek", lambda *_: pytest.fail("read the input"))
    with pytest.raises(InputError, match="is not empty"):
        ingest([path], out)
    monkeypatch.undo()
    path.write_text("garbage\n")
    report = ingest([path], out, overwrite=True)
    assert report.rows == 0 and [r["query_name"] for r in _written(out)] == ["old.example.com"]
    with pytest.raises(InputError, match="lies inside"):
        ingest([out], out, overwrite=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is not a folder"):
        ingest([path], tmp_path / "file")


# --- the command line ----------------------------------------------------------------------------


def test_cli_every_line_bad_exits_2_with_the_summary_and_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text('{"ts": NaN}\n{"ts": 1e13, "query": "a.com"}\n{"query": 1}\n[]\n')
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["ingest", "zeek", str(path), "--out", str(out)])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("read 4 lines from 1 file(s): wrote 0 rows")
    assert [line for line in lines if line.startswith("Error")] == [lines[-1]]
    assert lines[-1] == (
        f"Error: nothing written to {out}: no line became a row (4 rejected, 1 as unreadable time)"
    )
    assert not out.exists()
    (tmp_path / "empty.log").write_text("")
    result = CliRunner().invoke(
        main, ["ingest", "zeek", str(tmp_path / "empty.log"), "--out", str(out)]
    )
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == (
        f"Error: nothing written to {out}: the input holds no data lines"
    )


def test_cli_bad_mapping_and_host_map_are_one_line_errors(tmp_path: Path) -> None:
    data = tmp_path / "d.csv"
    data.write_text("t,h,q\n1713484800,pc1,a.com\n")
    # left as written: one record per line
    for text, message in [
        ('delimiter = ";;"\n[columns]\nevent_time = "t"\nhost_id = "h"\nquery_name = "q"\n',
         "delimiter must be one character"),
        ('columns = 3\n', "must be tables"),
        ('[columns]\nevent_time = 1\nhost_id = "h"\nquery_name = "q"\n', "must be non-empty text"),
        ('[columns]\nevent_time = "t"\nhost_id = "h"\nquery_name = "q"\n[time]\ntimezone = "+x"\n',
         "unknown time zone"),
    ]:  # fmt: skip
        (tmp_path / "m.toml").write_text(text)
        args = [str(data), "--mapping", str(tmp_path / "m.toml"), "--out", str(tmp_path / "o")]
        result = CliRunner().invoke(main, ["ingest", "mapped", *args])
        assert result.exit_code == 2 and message in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1
    (tmp_path / "hosts.csv").write_bytes(b"ip,host_id\n\xff,pc\n")
    # left as written: each flag beside its value
    result = CliRunner().invoke(main, ["ingest", "zeek", str(data), "--out", str(tmp_path / "o"),
                                       "--host-map", str(tmp_path / "hosts.csv")])  # fmt: skip
    assert result.exit_code == 2 and "cannot read host map" in result.output
