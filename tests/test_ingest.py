"""Ingestion of Zeek dns.log (TSV and JSON) and mapped exports into the input contract."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import yaml
from click.testing import CliRunner

from beaconlake.cli import main
from beaconlake.ingest import Note, Reason, ingest
from beaconlake.ingest.mapping import Mapping
from beaconlake.ingest.writer import CONTRACT_SCHEMA
from beaconlake.project import project_dir
from beaconlake.replay import REAL_BACKGROUNDS, REAL_C2

#: RITA's real three-day log, under ``real/`` of the shared data.
(RITA_3DAYS,) = REAL_BACKGROUNDS["rita_missing_host"].files

FIELDS = (
    "ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id query qclass qclass_name qtype "
    "qtype_name rcode rcode_name"
).split()
HEADER = (
    "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdns\n"
    "#open\t2024-04-19-00-00-01\n#fields\t"
    + "\t".join(FIELDS)
    + "\n#types\t"
    + "\t".join(["time"] + ["string"] * (len(FIELDS) - 1))
    + "\n"
)


def _row(ts: str, host: str, query: str, qtype: str = "A", rcode: str = "NOERROR") -> str:
    # left as written: items in rows, not one per line
    values = [ts, "C1", host, "5353", "10.0.0.53", "53", "udp", "1", query, "1", "C_INTERNET",
              "1", qtype, "0", rcode]  # fmt: skip
    return "\t".join(values) + "\n"


def _read(out: Path) -> pd.DataFrame:
    return duckdb.execute(
        f"select * from read_parquet('{out}/**/*.parquet', hive_partitioning = true) "
        "order by event_time"
    ).df()


def test_rotated_gzip_tsv_with_unset_empty_and_malformed_lines(tmp_path: Path) -> None:
    hour1 = (
        HEADER
        + _row("1713484800.441203", "10.0.0.1", "a.example.com")
        + _row("1713484801.5", "10.0.0.2", "-", qtype="-", rcode="-")
        + "#close\t2024-04-19-01-00-00\n"
    )
    hour2 = (
        HEADER
        + _row("1713488400.000001", "10.0.0.1", "(empty)")
        + "broken\tline\n"
        + _row("not-a-time", "10.0.0.1", "x.example.com")
        + _row("1713574800.25", "10.0.0.3", "next.day.example.org", "AAAA", "NXDOMAIN")
    )
    path = tmp_path / "dns.log.gz"
    path.write_bytes(gzip.compress((hour1 + hour2).encode()))
    report = ingest([path], tmp_path / "out", tenant_id="acme")
    assert (report.rows, report.rejected) == (4, 2)
    assert {r: [e.line_no for e in report.examples[r]] for r in report.rejections} == {
        Reason.FIELD_COUNT: [21],
        Reason.BAD_TIME: [22],
    }
    df = _read(tmp_path / "out")
    assert len(df) == 4 and set(df.tenant_id) == {"acme"}
    assert df.event_time.iloc[0] == pd.Timestamp("2024-04-19 00:00:00.441203")
    assert df.query_name.isna().sum() == 1 and (df.query_name == "").sum() == 1
    assert sorted(df.event_date.astype(str).unique()) == ["2024-04-19", "2024-04-20"]
    assert df.iloc[-1][["query_type", "response_code"]].tolist() == ["AAAA", "NXDOMAIN"]


def test_json_lines_with_epoch_and_iso_times_and_a_host_map(tmp_path: Path) -> None:
    lines = [
        {
            "ts": 1659869201.481371,
            "id.orig_h": "192.168.1.112",
            "query": "a.evil.com",
            "qtype_name": "A",
            "rcode_name": "NOERROR",
        },
        {
            "ts": "2022-08-07T10:47:44.011415Z",
            "id.orig_h": "192.168.1.112",
            "query": "b.evil.com",
            "qtype_name": "TXT",
            "rcode_name": "NOERROR",
        },
    ]
    path = tmp_path / "dns.log"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{not json\n")
    hosts = tmp_path / "hosts.csv"
    hosts.write_text("ip,host_id\n192.168.1.112,laptop-7\n")
    result = CliRunner().invoke(
        main, ["ingest", "zeek", str(path), "--out", str(tmp_path / "o"), "--host-map", str(hosts)]
    )
    assert result.exit_code == 0, result.output
    assert "wrote 2 rows" in result.output and "1 unparseable record" in result.output
    assert "dns.log:3: JSON: Expecting property name" in result.output
    df = _read(tmp_path / "o")
    assert df.host_id.tolist() == ["laptop-7", "laptop-7"]
    assert df.event_time.iloc[1] == pd.Timestamp("2022-08-07 10:47:44.011415")


def test_rebase_moves_relative_times_by_whole_days(tmp_path: Path) -> None:
    path = tmp_path / "dns.log"
    path.write_text(HEADER + _row("19.5", "h", "a.b.com") + _row("86419.5", "h", "a.b.com"))
    ingest([path], tmp_path / "o", rebase_date=pd.Timestamp("2026-11-02").date())
    df = _read(tmp_path / "o")
    assert df.event_time.tolist() == [
        pd.Timestamp("2026-11-02 00:00:19.5"),
        pd.Timestamp("2026-11-03 00:00:19.5"),
    ]


def test_mapped_csv_with_local_times(tmp_path: Path) -> None:
    mapping = tmp_path / "resolver.toml"
    mapping.write_text(
        'format = "csv"\ndelimiter = ";"\n[columns]\nevent_time = "when"\nhost_id = "client"\n'
        'query_name = "name"\ntenant_id = "org"\n[time]\nformat = "%d.%m.%Y %H:%M:%S"\n'
        'timezone = "Europe/Berlin"\n'
    )
    data = tmp_path / "export.csv"
    data.write_text("when;client;name;org\n02.11.2026 09:00:00;pc1;x.com;a\nbad;pc1;y.com;a\n")
    report = ingest([data], tmp_path / "o", mapping=Mapping.load(mapping))
    assert (report.rows, report.rejected) == (1, 1)
    df = _read(tmp_path / "o")
    assert df.event_time.iloc[0] == pd.Timestamp("2026-11-02 08:00:00")  # CET is UTC+1
    assert df.tenant_id.iloc[0] == "a" and df.query_type.isna().all()


def test_bad_mapping_and_non_empty_output_are_one_line_errors(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\nevent_time = "t"\n')
    data = tmp_path / "d.csv"
    data.write_text("t\n1\n")
    result = CliRunner().invoke(
        main, ["ingest", "mapped", str(data), "--mapping", str(mapping), "--out", str(tmp_path)]
    )
    assert result.exit_code == 2 and "missing columns" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(main, ["ingest", "zeek", str(data), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "--overwrite" in result.output


def test_real_zeek_logs_keep_every_valid_row(tmp_path: Path, shared_data: Path) -> None:
    real = shared_data / "real"
    rita = real / RITA_3DAYS
    report = ingest([rita, real / REAL_C2], tmp_path / "o")
    with gzip.open(rita, "rt") as fh:
        data_lines = sum(1 for line in fh if line.strip() and not line.startswith("#"))
    assert report.rejected == 0
    assert report.rows == data_lines + 116  # the Saitama capture has 116 queries
    df = _read(tmp_path / "o")
    saitama = df[df.host_id == "192.168.1.112"]
    assert len(saitama) == 116 and saitama.query_name.str.contains("saitama-fake-domain").all()


def test_zeek_tsv_ttls_become_the_smallest_answer_ttl(tmp_path: Path) -> None:
    fields = [*FIELDS, "answers", "TTLs"]
    types = ["time"] + ["string"] * (len(FIELDS) - 1)
    header = HEADER.replace("\t".join(FIELDS), "\t".join(fields)).replace(
        "\t".join(types), "\t".join([*types, "vector[string]", "vector[interval]"])
    )
    rows = [
        ("1713484800.1", "1.2.3.4,5.6.7.8", "300.000000,60.000000"),  # two answers: the smaller
        ("1713484801.1", "-", "-"),  # no answer (NXDOMAIN)
        ("1713484802.1", "(empty)", "(empty)"),
        ("1713484803.1", "1.2.3.4", "soon"),  # unreadable: null, counted, row kept
        ("1713484804.1", "1.2.3.4", "-5.000000"),  # negative: likewise
        ("1713484805.1", "1.2.3.4", "450.000000"),
    ]
    text = header + "".join(
        _row(ts, "10.0.0.1", "a.example.com").rstrip("\n") + f"\t{answers}\t{ttls}\n"
        for ts, answers, ttls in rows
    )
    path = tmp_path / "dns.log"
    path.write_text(text)
    report = ingest([path], tmp_path / "o")
    assert (report.rows, report.rejected, report.notes[Note.BAD_TTL]) == (6, 0, 2)
    ttl = _read(tmp_path / "o").answer_ttl_seconds.tolist()
    assert ttl[0] == 60.0 and ttl[5] == 450.0
    assert pd.isna(ttl[1:5]).all()


def test_zeek_json_ttls_and_a_log_without_them(tmp_path: Path) -> None:
    base = {"id.orig_h": "10.0.0.1", "query": "a.example.com", "qtype_name": "A"}
    lines = [
        {**base, "ts": 1659869201.0, "answers": ["1.2.3.4", "5.6.7.8"], "TTLs": [120.0, 240.0]},
        {**base, "ts": 1659869202.0, "rcode_name": "NXDOMAIN"},  # no TTLs key
        {**base, "ts": 1659869203.0, "TTLs": ["x"]},  # unreadable
        {**base, "ts": 1659869204.0, "TTLs": [float("inf")]},  # Python's json writes Infinity
        {**base, "ts": 1659869205.0, "TTLs": 1000},  # a bare number is one answer
    ]
    path = tmp_path / "dns.log"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    result = CliRunner().invoke(main, ["ingest", "zeek", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "2 unreadable answer TTL written as null" in result.output
    ttl = _read(tmp_path / "o").answer_ttl_seconds.tolist()
    assert ttl[0] == 120.0 and ttl[4] == 1000.0 and pd.isna(ttl[1:4]).all()
    # a TSV log without TTLs (older Zeek field lists) still reads: the column is null
    old = tmp_path / "old.log"
    old.write_text(HEADER + _row("1713484800.1", "10.0.0.1", "a.example.com"))
    report = ingest([old], tmp_path / "old")
    assert not report.notes and _read(tmp_path / "old").answer_ttl_seconds.isna().all()


def test_mapped_export_with_an_answer_ttl_column(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\nevent_time = "t"\nhost_id = "h"\nquery_name = "q"\n'
        'answer_ttl_seconds = "ttl"\n[time]\nformat = "epoch"\n'
    )
    data = tmp_path / "d.csv"
    data.write_text(
        "t,h,q,ttl\n1700000000,pc1,x.com,300\n1700000001,pc1,x.com,\n"
        "1700000002,pc1,x.com,n/a\n1700000003,pc1,x.com,59.5\n"
    )
    report = ingest([data], tmp_path / "o", mapping=Mapping.load(mapping))
    assert (report.rows, report.rejected, report.notes[Note.BAD_TTL]) == (4, 0, 1)
    ttl = _read(tmp_path / "o").answer_ttl_seconds.tolist()
    assert ttl[0] == 300.0 and ttl[3] == 59.5 and pd.isna(ttl[1]) and pd.isna(ttl[2])
    jsonl = tmp_path / "m2.toml"
    jsonl.write_text(
        'format = "jsonl"\n[columns]\nevent_time = "t"\nhost_id = "h"\nquery_name = "q"\n'
        'answer_ttl_seconds = "answer.ttls"\n[time]\nformat = "epoch"\n'
    )
    data = tmp_path / "d.jsonl"
    data.write_text(
        json.dumps({"t": 1700000000, "h": "pc1", "q": "x.com", "answer": {"ttls": [600, 450]}})
        + "\n"
    )
    ingest([data], tmp_path / "o2", mapping=Mapping.load(jsonl))
    assert _read(tmp_path / "o2").answer_ttl_seconds.tolist() == [450.0]


def test_real_zeek_captures_carry_answer_ttls(tmp_path: Path, shared_data: Path) -> None:
    rita = shared_data / "real" / RITA_3DAYS
    report = ingest([rita], tmp_path / "o")
    df = _read(tmp_path / "o")
    answered = df.response_code == "NOERROR"
    assert not report.notes
    # most of its queries are unanswered reverse lookups (NXDOMAIN): 30 % of the rows carry a
    # TTL, 94 % of the answered ones
    assert df.answer_ttl_seconds.notna().mean() > 0.25
    assert df.answer_ttl_seconds[answered].notna().mean() > 0.9
    # a TTL only where an answer came back, and within what DNS allows (0 to 2^31 - 1 s)
    assert df.answer_ttl_seconds[~answered].isna().all()
    assert df.answer_ttl_seconds.dropna().between(0, 2**31 - 1).all()


def test_the_raw_table_and_source_declare_the_contracts_columns() -> None:
    # the writer's schema is the contract: the Trino table of the on-run-start hook and the dbt
    # source have its columns, in its order, with its types
    root = project_dir()
    macro = (root / "macros" / "engine" / "register_raw_dns_events.sql").read_text()
    block = macro[macro.index("{%- set columns = [") : macro.index("] -%}")]
    types = {"beaconlake.timestamp_type()": pa.timestamp("us"), "'varchar'": pa.string(),
             "'double'": pa.float64()}  # fmt: skip
    declared = [(name, types[kind]) for name, kind in re.findall(r"\('(\w+)', (.+?)\),?\n", block)]
    assert declared == list(zip(CONTRACT_SCHEMA.names, CONTRACT_SCHEMA.types, strict=True))
    sources = yaml.safe_load(
        (root / "models" / "staging" / "dns" / "_dns__sources.yml").read_text()
    )
    (raw,) = [t for s in sources["sources"] for t in s["tables"] if t["name"] == "raw_events"]
    assert [c["name"] for c in raw["columns"]] == [*CONTRACT_SCHEMA.names, "event_date"]
