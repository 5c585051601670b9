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
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from beaconlake.ingest.writer import ContractWriter
from beaconlake.ingest.zeek import IngestReport, Options, answer_ttl, open_text

REQUIRED = ("event_time", "host_id", "query_name")
OPTIONAL = ("query_type", "response_code", "tenant_id", "answer_ttl_seconds")
EPOCH_SCALES = {"epoch": 1.0, "epoch_ms": 1e-3, "epoch_us": 1e-6}


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
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"cannot read mapping {path}: {exc}") from exc
        fmt = raw.get("format", "csv")
        if fmt not in ("csv", "jsonl"):
            raise ValueError(f"mapping {path}: format must be csv or jsonl, not {fmt!r}")
        cols = dict(raw.get("columns", {}))
        missing = [c for c in REQUIRED if c not in cols]
        unknown = [c for c in cols if c not in REQUIRED + OPTIONAL]
        if missing or unknown:
            raise ValueError(
                f"mapping {path}: "
                + "; ".join(
                    ([f"missing columns {missing}"] if missing else [])
                    + ([f"unknown contract columns {unknown}"] if unknown else [])
                )
            )
        time = raw.get("time", {})
        tz = time.get("timezone", "UTC")
        _zone(tz)  # fail early on an unknown zone
        return Mapping(fmt, cols, time.get("format", "iso"), tz, raw.get("delimiter", ","))


def _zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    if name[:1] in "+-":
        sign = 1 if name[0] == "+" else -1
        hours, _, minutes = name[1:].partition(":")
        return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0)))
    try:
        return ZoneInfo(name)
    except Exception as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


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


def read_mapped(
    paths: list[Path], mapping: Mapping, writer: ContractWriter, opts: Options
) -> IngestReport:
    rep = IngestReport()
    tz = _zone(mapping.timezone)
    cols = mapping.columns
    for path in paths:
        rep.files += 1
        with open_text(path) as fh:
            if mapping.format == "csv":
                reader = csv.DictReader(fh, delimiter=mapping.delimiter)
                absent = [src for src in cols.values() if src not in (reader.fieldnames or [])]
                if absent:
                    raise ValueError(f"{path}: columns {absent} not in the header")
                records = ((i + 2, row) for i, row in enumerate(reader))
            else:
                records = _json_records(path, fh, rep)
            for line_no, rec in records:
                rep.lines += 1
                try:
                    ts = parse_time(str(_dig(rec, cols["event_time"])), mapping.time_format, tz)
                except (TypeError, ValueError):
                    rep.bad(path, line_no, "unreadable event_time")
                    continue
                values = {c: _dig(rec, cols[c]) if c in cols else None for c in REQUIRED + OPTIONAL}
                tenant = values["tenant_id"] or opts.tenant_id
                host = None if values["host_id"] in (None, "") else str(values["host_id"])
                name = None if values["query_name"] in (None, "") else str(values["query_name"])
                ttl, readable = answer_ttl(values["answer_ttl_seconds"])
                if not readable:
                    rep.bad_ttls += 1
                writer.add(
                    round((ts + opts.shift_seconds) * 1_000_000),
                    opts.host_map.get(host, host) if host else host,
                    name, str(tenant),
                    None if values["query_type"] is None else str(values["query_type"]),
                    None if values["response_code"] is None else str(values["response_code"]),
                    ttl,
                )  # fmt: skip
                rep.rows += 1
    writer.flush()
    return rep


def _json_records(path: Path, fh, rep: IngestReport):  # type: ignore[no-untyped-def]
    for line_no, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            rep.lines += 1
            rep.bad(path, line_no, "bad JSON record")
            continue
        if not isinstance(obj, dict):
            rep.lines += 1
            rep.bad(path, line_no, "JSON line is not an object")
            continue
        yield line_no, obj
