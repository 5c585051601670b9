"""Write rows of the input contract as hive-partitioned Parquet, in bounded memory.

Rows arrive in batches; each batch is split by UTC day and written as one file per day, so a
log of any size streams through with memory bounded by the batch size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CONTRACT_SCHEMA = pa.schema(
    [
        ("event_time", pa.timestamp("us")),
        ("host_id", pa.string()),
        ("query_name", pa.string()),
        ("tenant_id", pa.string()),
        ("query_type", pa.string()),
        ("response_code", pa.string()),
        ("answer_ttl_seconds", pa.float64()),
    ]
)
#: Every contract column but the event time, in the contract's order (``ContractWriter.add``
#: takes them by name after the event time).
QUERY_COLUMNS = tuple(name for name in CONTRACT_SCHEMA.names if name != "event_time")
US_PER_DAY = 86_400 * 1_000_000
#: Columns every input file must have; the others of CONTRACT_SCHEMA are optional.
REQUIRED_COLUMNS = ("event_time", "host_id", "query_name", "tenant_id")


def contract_problem(schema: pa.Schema) -> str | None:
    """Why a Parquet file's schema does not meet the input contract (None when it does).

    A required column must be present; every contract column present must have the contract's
    kind of type (any timestamp unit for event_time, any string type, any number for the TTL).
    """
    kinds = {
        "event_time": ("a timestamp", pa.types.is_timestamp),
        "answer_ttl_seconds": (
            "a number",
            lambda t: pa.types.is_floating(t) or pa.types.is_integer(t),
        ),
    }
    missing = [name for name in REQUIRED_COLUMNS if name not in schema.names]
    if missing:
        return f"missing required column(s) {', '.join(missing)}"
    for column in CONTRACT_SCHEMA:
        if column.name not in schema.names:
            continue
        found = schema.field(column.name).type
        if pa.types.is_dictionary(found):  # dictionary-encoded: judged by its values
            found = found.value_type
        what, ok = kinds.get(
            column.name, ("text", lambda t: pa.types.is_string(t) or pa.types.is_large_string(t))
        )
        if not ok(found) and not pa.types.is_null(found):
            return f"column {column.name} is {found}, not {what}"
    return None


@dataclass
class ContractWriter:
    """Collects rows (event time in epoch microseconds) and flushes them as Parquet files."""

    out: Path
    prefix: str = "part"
    batch_rows: int = 250_000
    rows_written: int = 0
    files: list[Path] = field(default_factory=list)
    _cols: dict[str, list[object]] = field(default_factory=dict)
    _flushes: int = 0

    def __post_init__(self) -> None:
        self._cols = {name: [] for name in CONTRACT_SCHEMA.names}

    def add(
        self,
        event_us: int,
        host_id: str | None,
        query_name: str | None,
        tenant_id: str | None,
        query_type: str | None,
        response_code: str | None,
        answer_ttl_seconds: float | None = None,
    ) -> None:
        c = self._cols
        c["event_time"].append(event_us)
        c["host_id"].append(host_id)
        c["query_name"].append(query_name)
        c["tenant_id"].append(tenant_id)
        c["query_type"].append(query_type)
        c["response_code"].append(response_code)
        c["answer_ttl_seconds"].append(answer_ttl_seconds)
        if len(c["event_time"]) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        n = len(self._cols["event_time"])
        if n == 0:
            return
        table = pa.table(
            {
                name: pa.array(values, type=CONTRACT_SCHEMA.field(name).type)
                for name, values in self._cols.items()
            }
        )
        self._cols = {name: [] for name in CONTRACT_SCHEMA.names}
        us = np.asarray(table.column("event_time").cast(pa.int64()).to_numpy())
        days = us // US_PER_DAY
        for day in np.unique(days):
            part = table.filter(pa.array(days == day))
            date = dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
            folder = self.out / f"event_date={date.isoformat()}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{self.prefix}-{self._flushes:05d}.parquet"
            pq.write_table(part, path, compression="zstd")
            self.files.append(path)
        self._flushes += 1
        self.rows_written += n
