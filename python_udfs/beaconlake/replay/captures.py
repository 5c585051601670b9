"""Reading the captures (the C2 log, the background's contract rows); the replay's units and
file names."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

from beaconlake.errors import InputError
from beaconlake.ingest import ANY_TIME, ingest
from beaconlake.ingest.writer import QUERY_COLUMNS

US = 1_000_000
DAY_US = 86_400 * US
#: Captures whose first event is earlier than this have relative times (seconds since start).
RELATIVE_BEFORE = dt.datetime(1990, 1, 1)
#: Output layout under --out.
EVENTS_DIR = "events"
GROUND_TRUTH_FILE = "ground_truth.csv"
PLAN_FILE = "replay.json"
REPORT_FILE = "report.json"
DB_FILE = "beaconlake.duckdb"


def iso_time(us: int) -> str:
    """Microseconds since the epoch as a UTC ``YYYY-MM-DD HH:MM:SS[.ffffff]``."""
    return (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=int(us))).isoformat(sep=" ")


def parquet_glob(folder: Path) -> str:
    """Every Parquet file under ``folder``, at any depth (the hive partitions)."""
    return str(folder / "**" / "*.parquet")


def parquet_query(text: str) -> duckdb.DuckDBPyConnection:
    """Run a query over Parquet files on a private in-memory connection."""
    return duckdb.connect().execute(text)


def read_contract(folder: Path) -> pd.DataFrame:
    """The contract rows under ``folder`` with ``event_us`` (epoch microseconds, int64) in place
    of ``event_time``."""
    files = list(folder.rglob("*.parquet"))
    if not files:
        return pd.DataFrame(columns=["event_us", *QUERY_COLUMNS])
    return parquet_query(
        f"""
        select epoch_us(event_time) as event_us, {", ".join(QUERY_COLUMNS)}
        from read_parquet('{parquet_glob(folder)}', hive_partitioning = false, union_by_name = true)
        order by event_us, host_id, query_name
        """
    ).df()


def read_c2(paths: list[Path], c2_host: str | None = None) -> pd.DataFrame:
    """The C2 capture's queries (one host), time-ordered; every query is taken as C2."""
    with tempfile.TemporaryDirectory(prefix="beaconlake-c2-") as tmp:
        report = ingest(paths, Path(tmp) / "c2", time_range=ANY_TIME)  # placed later
        frame = read_contract(Path(tmp) / "c2")
    names = ", ".join(str(p) for p in paths)
    frame = frame[frame.query_name.notna() & (frame.query_name.fillna("") != "")]
    if frame.empty:
        raise InputError(
            f"the C2 log {names} has no readable queries "
            f"({report.lines:,} lines, {report.rejected:,} rejected)"
        )
    hosts = sorted(frame.host_id.dropna().unique())
    if c2_host is not None:
        if c2_host not in hosts:
            raise InputError(
                f"--c2-host {c2_host} does not appear in the C2 log (hosts: {', '.join(hosts)})"
            )
        frame = frame[frame.host_id == c2_host]
    elif len(hosts) != 1:
        shown = ", ".join(hosts[:5]) + (" ..." if len(hosts) > 5 else "")
        raise InputError(
            f"the C2 log has {len(hosts)} hosts ({shown}); name the implant's with --c2-host"
        )
    return frame.sort_values("event_us", kind="stable").reset_index(drop=True)
