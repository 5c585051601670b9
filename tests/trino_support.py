"""What the Trino tests share: finding the server, a throw-away schema, dbt runs on the side.

The server is the one ``trino/server.sh up`` starts (``make test`` does): host and port from
``BEACONLAKE_TRINO_HOST``/``BEACONLAKE_TRINO_PORT`` (the profile's variables), else
``TRINO_HOST``/``TRINO_PORT``, else 127.0.0.1:8089. Without a server the tests skip, unless
``BEACONLAKE_REQUIRE_TRINO=1`` (CI), which makes that a failure.
"""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from beaconlake.project import marts_schema

HOST = os.environ.get("BEACONLAKE_TRINO_HOST") or os.environ.get("TRINO_HOST", "127.0.0.1")
PORT = int(os.environ.get("BEACONLAKE_TRINO_PORT") or os.environ.get("TRINO_PORT", "8089"))
REQUIRED = os.environ.get("BEACONLAKE_REQUIRE_TRINO") == "1"


def server_problem() -> str | None:
    """None when a ready Trino answers, else why not."""
    try:
        with urllib.request.urlopen(f"http://{HOST}:{PORT}/v1/info", timeout=3) as r:
            info = json.load(r)
    except OSError as exc:
        return f"no Trino server at {HOST}:{PORT} ({exc}); start one with `trino/server.sh up`"
    if info.get("starting", True):
        return f"the Trino server at {HOST}:{PORT} is still starting"
    return None


def require_server() -> None:
    """Skip the calling test (fail it when BEACONLAKE_REQUIRE_TRINO=1) without a server."""
    problem = server_problem()
    if problem is None:
        return
    if REQUIRED:
        pytest.fail(f"BEACONLAKE_REQUIRE_TRINO=1 but {problem}")
    pytest.skip(f"{problem} (BEACONLAKE_REQUIRE_TRINO is unset)")


def local_uri(folder: Path) -> str:
    """``folder`` as the server's Hive catalog names it: ``local:///`` plus its path inside the
    lake root (``BEACONLAKE_TRINO_LOCAL_ROOT``, which the test session sets)."""
    root = Path(os.environ["BEACONLAKE_TRINO_LOCAL_ROOT"]).resolve()
    return f"local:///{folder.resolve().relative_to(root)}"


def execute(sql: str) -> list[list[Any]]:
    """Run one statement on the server and return its rows."""
    import trino

    conn = trino.dbapi.connect(host=HOST, port=PORT, user="beaconlake", timezone="UTC")
    try:
        cur = conn.cursor()
        cur.execute(sql)
        return cur.fetchall()
    finally:
        conn.close()


@contextmanager
def trino_target(tmp: Path) -> Iterator[str]:
    """Point the profile's trino target at a fresh schema (in the Iceberg and Hive catalogs)
    and dbt's target and log folders at ``tmp``; drop both schemas, and the published marts'
    schema beside them, afterwards."""
    schema = f"bl_test_{uuid.uuid4().hex[:10]}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BEACONLAKE_TRINO_HOST", HOST)
        mp.setenv("BEACONLAKE_TRINO_PORT", str(PORT))
        mp.setenv("BEACONLAKE_TRINO_SCHEMA", schema)
        mp.setenv("DBT_TARGET_PATH", str(tmp / "dbt_target"))
        mp.setenv("DBT_LOG_PATH", str(tmp / "dbt_logs"))
        try:
            yield schema
        finally:
            for catalog in ("iceberg", "hive"):
                for name in (schema, marts_schema(schema)):
                    execute(f"drop schema if exists {catalog}.{name} cascade")


def dbt_invoke(
    args: list[str], project_dir: Path, tmp: Path, env: Mapping[str, str] | None = None
) -> tuple[bool, list[tuple[str, str]]]:
    """``dbt ARGS`` in-process on any project with the repository's profiles; returns success
    and ``(unique_id, status)`` per node. Target and log folders go to ``tmp``."""
    from dbt.cli.main import dbtRunner

    profiles = Path(__file__).resolve().parents[1] / "profiles"
    with pytest.MonkeyPatch.context() as mp:
        for key, value in (env or {}).items():
            mp.setenv(key, value)
        # left as written: each flag beside its value
        result = dbtRunner().invoke(
            [
                *args,
                "--project-dir", str(project_dir), "--profiles-dir", str(profiles),
                "--target-path", str(tmp / "dbt_target"), "--log-path", str(tmp / "dbt_logs"),
            ]
        )  # fmt: skip
    results = getattr(result.result, "results", None) or []
    nodes = [(r.node.unique_id, str(r.status)) for r in results if hasattr(r, "node")]
    return bool(result.success), nodes
