"""Benchmark the two engines: Trino's start-up, the candidates build on DuckDB and on Trino per
dbt node, and a cost model of that build on a Trino cluster of N workers.

    python benchmarks/bench_engines.py --input data/bench_engines --simulate-hosts 500 --days 2 \
        --events-per-host 2000 --json bench_engines.json
    python benchmarks/bench_engines.py --input data/bench_engines --cold    # + a cold start

Start-up: `trino/server.sh up` in a fresh run folder on a spare port (`--startup-port`), with
the shared download cache (warm: unpack nothing, download nothing) and, with `--cold`, with an
empty cache too (download from Maven Central, unpack, start); both servers are stopped after.

Builds: `beaconlake build --selector candidates` (the SQL stage, which both engines run in dbt)
as a child process timed by ``wait4`` (dbt's start-up and parse included; CPU and peak memory
are the dbt client's, not the Trino server's), into a fresh DuckDB file and into a fresh schema
of the Trino server at BEACONLAKE_TRINO_HOST/PORT (127.0.0.1:8089; started for the run, with
its lake root BEACONLAKE_TRINO_LOCAL_ROOT or else the input's parent folder, and stopped after
when none answers). Each engine builds twice: over a tiny input (`--tiny-input`, a few hosts
over the same days, simulated when absent, by default into a folder under the Trino lake root)
and over the real one (`--input`), each `--repeat` times (the fastest build counts). Per node,
the seconds come from dbt's run_results.json.

The cost model splits each build into a fixed part (what the tiny build costs: dbt's start-up
and parse, the hooks and seeds, each statement's planning, metadata and commit) and a variable
part (what the real input adds: big minus tiny, the scan, join and aggregation of the extra
events), and predicts the Trino build on N workers of C cores each (`--cores-per-worker`,
default the cores here) as

    T(N) = outside + fixed + variable / (N * C / cores here)

- outside: the real build's wall time outside its nodes (dbt's start-up and parse; the
  on-run-start hooks are nodes); it does not scale.
- fixed: the tiny build's node phase (first node start to last node end). dbt runs up to
  BEACONLAKE_TRINO_THREADS nodes at a time (default 2), here and on the cluster alike, so the
  per-statement costs overlap as much as they did here; they do not shrink with workers (the
  coordinator plans and commits every statement).
- variable: the real build's node phase minus the tiny one's; assumed to scale perfectly with
  the cluster's cores (the scan and aggregation spread over the splits; no exchange, skew or
  coordinator limit), from the cores measured here, which this machine shares with other work.

At N * C = cores here, T is the measured real build. Per node, fixed = tiny seconds and variable
= real minus tiny seconds (node-seconds: nodes running at once each count their own time, so
their sum exceeds the node phase). The nodes with the largest variable part dominate at scale.
Timings belong here, not in tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from bench_window import events_by_day
from timing import Step, load_average, node_span, node_times, timed

from beaconlake import warehouse

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / "trino" / "server.sh"
BIN = Path(sys.executable).parent
ENGINES = ("duckdb", "trino")
SIZES = ("tiny", "big")
WORKERS = (1, 2, 4, 8, 16)
TOP = 5


def _server(command: str, env: dict[str, str]) -> float:
    """Run `trino/server.sh COMMAND`; return its wall time in seconds."""
    started = time.perf_counter()
    subprocess.run(["bash", str(SERVER), command], env=env, check=True)
    return time.perf_counter() - started


def startup_seconds(port: int, cold: bool) -> float:
    """Wall time of `server.sh up` (until `select 1` answers) in a throw-away run folder."""
    work = Path(tempfile.mkdtemp(prefix="bench_trino_"))
    env = {**os.environ, "TRINO_PORT": str(port), "BEACONLAKE_TRINO_HOME": str(work / "run")}
    if cold:
        env["BEACONLAKE_CACHE"] = str(work / "cache")
    try:
        return _server("up", env)
    finally:
        _server("down", env)
        shutil.rmtree(work, ignore_errors=True)


def _answers(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/v1/info", timeout=3) as r:
            return not json.load(r).get("starting", True)
    except OSError:
        return False


def simulate(
    out: Path, hosts: int, days: list[dt.date] | int, seed: int, per_host: float | None
) -> None:
    """`beaconlake simulate` into ``out``: ``days`` days from the simulator's start, or the
    given consecutive days."""
    dates = ["--days", str(days)]
    if isinstance(days, list):
        dates = ["--days", str(len(days)), "--start-date", days[0].isoformat()]
    # left as written: each flag beside its value
    subprocess.run(
        [
            str(BIN / "beaconlake"), "simulate", "--out", str(out), "--hosts", str(hosts),
            *dates, "--seed", str(seed), "--overwrite",
            *(["--events-per-host", str(per_host)] if per_host else []),
        ],
        check=True,
    )  # fmt: skip


@dataclass(frozen=True)
class Build:
    """One `beaconlake build --selector candidates`: the process, and its nodes' seconds."""

    engine: str
    size: str
    events: int
    wall: float
    cpu: float
    peak_gb: float
    node_phase: float
    nodes: dict[str, float]

    @property
    def outside(self) -> float:
        """Seconds outside any node: dbt's start-up, parse and artifacts (hooks are nodes)."""
        return self.wall - self.node_phase


def build(engine: str, size: str, input_path: Path, events: int, env: dict[str, str]) -> Build:
    """Build the candidates of ``input_path`` on ``engine``; dbt's target folder is
    ``DBT_TARGET_PATH`` of ``env`` (each build its own)."""
    target = Path(env["DBT_TARGET_PATH"])
    target.mkdir(parents=True)
    # left as written: each flag beside its value
    command = [str(BIN / "beaconlake"), "build", "--input", str(input_path),
               "--target", engine, "--selector", "candidates"]  # fmt: skip
    step: Step = timed(command, env, target / "build.log")
    nodes = {uid: seconds for uid, (_, seconds) in node_times(step).items()}
    print(f"dbt build on {engine}, {size} input: {step.wall:.1f} s", flush=True)
    return Build(engine, size, events, step.wall, step.cpu, step.peak_gb, node_span(step), nodes)


@dataclass(frozen=True)
class CostModel:
    """One engine's build split into a part that scales with the cluster and one that does not."""

    outside: float  # s, the real build outside its nodes
    fixed: float  # s, the tiny build's node phase
    variable: float  # s, real minus tiny node phase
    extra_events: int  # events the real input has beyond the tiny one
    cores_here: int
    cores_per_worker: int

    @classmethod
    def of(cls, tiny: Build, big: Build, cores_here: int, cores_per_worker: int) -> CostModel:
        return cls(
            big.outside,
            tiny.node_phase,
            big.node_phase - tiny.node_phase,
            big.events - tiny.events,
            cores_here,
            cores_per_worker,
        )

    def speedup(self, workers: int) -> float:
        """The cluster's cores over the cores the variable part was measured on."""
        return workers * self.cores_per_worker / self.cores_here

    def seconds(self, workers: int) -> float:
        """Predicted wall time of the build on ``workers`` workers."""
        return self.outside + self.fixed + self.variable / self.speedup(workers)


def variable_seconds(tiny: Build, big: Build) -> dict[str, float]:
    """Per node, real minus tiny seconds (node-seconds: nodes that ran at once overlap)."""
    return {uid: big.nodes[uid] - tiny.nodes[uid] for uid in big.nodes if uid in tiny.nodes}


def label(unique_id: str) -> str:
    """``model.beaconlake.x`` as ``model x``; a data test without its hash suffix."""
    kind, _, rest = unique_id.partition(".")
    return f"{kind} {re.sub(r'[.][0-9a-f]{10}$', '', rest.partition('.')[2])}"


def rate(events: int, seconds: float | None) -> str:
    """Events per second, or a dash where the time is not positive (noise on small inputs)."""
    return f"{events / seconds:,.0f}" if seconds and seconds > 0 else "–"


def print_builds(builds: dict[tuple[str, str], Build], models: dict[str, CostModel]) -> None:
    print(
        "| engine | input | events | wall s | CPU s (dbt) | peak GB (dbt) | outside nodes s "
        "| node phase s | sum of nodes s | nodes |"
    )
    print("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
    for (engine, size), b in builds.items():
        print(
            f"| {engine} | {size} | {b.events:,} | {b.wall:.1f} | {b.cpu:.1f} | {b.peak_gb:.2f} "
            f"| {b.outside:.1f} | {b.node_phase:.1f} | {sum(b.nodes.values()):.1f} "
            f"| {len(b.nodes)} |"
        )
    ratio = builds["trino", "big"].wall / builds["duckdb", "big"].wall
    print(f"\nTrino / DuckDB on the real input: {ratio:.1f}x wall\n")
    print("| engine | outside nodes s | fixed s | variable s | variable events/s |")
    print("|---|--:|--:|--:|--:|")
    for engine, m in models.items():
        print(
            f"| {engine} | {m.outside:.1f} | {m.fixed:.1f} | {m.variable:.1f} "
            f"| {rate(m.extra_events, m.variable)} |"
        )


def print_nodes(builds: dict[tuple[str, str], Build], model: CostModel) -> None:
    """Every node's seconds on both engines and inputs, the largest Trino variable part first."""
    variable = variable_seconds(builds["trino", "tiny"], builds["trino", "big"])
    ids = sorted({uid for b in builds.values() for uid in b.nodes})
    ids.sort(key=lambda uid: -variable.get(uid, 0.0))
    heads = " | ".join(f"{engine} {size} s" for engine, size in builds)
    print(f"| node | {heads} | trino variable s | trino variable events/s |")
    print("|---|" + "--:|" * (len(builds) + 2))
    for uid in ids:
        cells = " | ".join(f"{b.nodes[uid]:.2f}" if uid in b.nodes else "" for b in builds.values())
        v = variable.get(uid)
        shown = "" if v is None else f"{v:.2f}"
        print(f"| {label(uid)} | {cells} | {shown} | {rate(model.extra_events, v)} |")
    sums = " | ".join(f"{sum(b.nodes.values()):.2f}" for b in builds.values())
    print(f"| all {len(ids)} nodes (sum) | {sums} | {sum(variable.values()):.2f} | |")
    phases = " | ".join(f"{b.node_phase:.2f}" for b in builds.values())
    print(
        f"| node phase (wall) | {phases} | {model.variable:.2f} "
        f"| {rate(model.extra_events, model.variable)} |"
    )


def print_model(model: CostModel, variable: dict[str, float], threads: int) -> None:
    positive = {uid: v for uid, v in variable.items() if v > 0}
    total = sum(positive.values())
    print(f"the {TOP} nodes with the largest Trino variable part (share of the positive sum):\n")
    print("| node | variable s | share |")
    print("|---|--:|--:|")
    for uid in sorted(positive, key=lambda u: -positive[u])[:TOP]:
        print(f"| {label(uid)} | {positive[uid]:.2f} | {positive[uid] / total:.0%} |")
    if model.variable <= 0:
        print(
            f"\nno cost model: the real input's node phase is {-model.variable:.1f} s shorter than "
            "the tiny one's (noise larger than the extra events' cost): use a larger input or "
            "--repeat"
        )
        return
    c, here = model.cores_per_worker, model.cores_here
    print(
        f"\ncost model of the Trino build on N workers of {c} cores, measured on {here}:\n"
        f"T(N) = outside {model.outside:.1f} s + fixed {model.fixed:.1f} s "
        f"+ variable {model.variable:.1f} s / (N x {c} / {here})\n"
        "assumed: the variable part (scan, join, aggregation of the extra events) scales "
        "perfectly with the cluster's cores;\nthe fixed part (per statement: planning, metadata "
        "and commits on the coordinator, dbt's round trips) and dbt's start-up do not scale;\n"
        f"dbt runs up to {threads} nodes at a time (BEACONLAKE_TRINO_THREADS) there as here; "
        "the cores here were shared with other work (load average above).\n"
    )
    print("| workers | cores | predicted s | fixed share | variable events/s |")
    print("|--:|--:|--:|--:|--:|")
    for n in WORKERS:
        t = model.seconds(n)
        print(
            f"| {n} | {n * c} | {t:.1f} | {(model.outside + model.fixed) / t:.0%} "
            f"| {rate(model.extra_events, model.variable / model.speedup(n))} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True, help="simulate --out folder")
    parser.add_argument("--simulate-hosts", type=int, help="run `beaconlake simulate` first")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--events-per-host", type=float, help="simulate's default when absent")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--tiny-input",
        type=Path,
        help="simulate --out folder of a few hosts over the input's days (simulated when it "
        "holds no events; default: a folder under the Trino lake root)",
    )
    parser.add_argument("--tiny-hosts", type=int, default=5)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="build each input this many times per engine; the fastest build counts",
    )
    parser.add_argument("--cores-per-worker", type=int, help="default: the cores here")
    parser.add_argument("--json", type=Path, help="write the raw numbers here")
    parser.add_argument("--cold", action="store_true", help="also time a cold-cache start")
    parser.add_argument("--startup-port", type=int, default=8091)
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()

    if args.simulate_hosts:
        simulate(Path(args.input), args.simulate_hosts, args.days, args.seed, args.events_per_host)
    input_path = Path(args.input).resolve()
    by_day = events_by_day(warehouse.raw_glob(input_path))
    if not by_day:
        raise SystemExit(f"{input_path}: no events")
    days = sorted(by_day)
    print(f"input: {input_path}, {sum(by_day.values()):,} events, {days[0]} .. {days[-1]}")

    host = os.environ.get("BEACONLAKE_TRINO_HOST", "127.0.0.1")
    port = int(os.environ.get("BEACONLAKE_TRINO_PORT", "8089"))
    server_env = {**os.environ, "TRINO_PORT": str(port)}
    started_here = not _answers(host, port)
    if started_here:  # its Hive catalog confined to the lake root asked for, or the input's parent
        server_env.setdefault("BEACONLAKE_TRINO_LOCAL_ROOT", str(input_path.parent))
    lake = Path(
        subprocess.run(
            ["bash", str(SERVER), "lake"],
            env=server_env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    tiny_path = (
        args.tiny_input or lake / f"bench_engines_tiny_{args.tiny_hosts}h_{len(days)}d_{days[0]}"
    ).resolve()
    for path in (input_path, tiny_path):
        if not path.is_relative_to(lake):
            sys.exit(f"the Trino server reads only {lake}; {path} is outside it")
    if not events_by_day(warehouse.raw_glob(tiny_path)):
        simulate(tiny_path, args.tiny_hosts, days, args.seed, None)
    tiny_events = sum(events_by_day(warehouse.raw_glob(tiny_path)).values())
    print(f"tiny input: {tiny_path}, {tiny_events:,} events", flush=True)
    inputs = {"tiny": (tiny_path, tiny_events), "big": (input_path, sum(by_day.values()))}

    load_before = load_average()
    startup: dict[str, float] = {}
    if not args.skip_startup:
        startup["warm"] = startup_seconds(args.startup_port, cold=False)
        print(f"trino start-up, downloads cached: {startup['warm']:.1f} s", flush=True)
        if args.cold:
            startup["cold"] = startup_seconds(args.startup_port, cold=True)
            print(
                f"trino start-up, empty cache (download + unpack + start): {startup['cold']:.1f} s"
            )

    work = Path(tempfile.mkdtemp(prefix="bench_engines_"))
    runs: dict[tuple[str, str], list[Build]] = {(e, size): [] for e in ENGINES for size in SIZES}
    for r in range(args.repeat):
        for size, (path, events) in inputs.items():
            folder = work / f"duckdb-{size}-{r}"
            env = {
                **os.environ,
                "BEACONLAKE_DUCKDB_PATH": str(folder / "bench.duckdb"),
                "BEACONLAKE_DUCKDB_TEMP_DIR": str(folder / "spill"),
                "DBT_TARGET_PATH": str(folder),
                "DBT_LOG_PATH": str(folder / "logs"),
            }
            runs["duckdb", size].append(build("duckdb", size, path, events, env))
            (folder / "bench.duckdb").unlink()

    if started_here:
        _server("up", server_env)
    schemas: list[str] = []
    try:
        for r in range(args.repeat):
            for size, (path, events) in inputs.items():
                schemas.append(f"bench_{uuid.uuid4().hex[:8]}")
                folder = work / f"trino-{size}-{r}"
                env = {
                    **os.environ,
                    "BEACONLAKE_TRINO_LOCAL_ROOT": str(lake),
                    "BEACONLAKE_TRINO_HOST": host,
                    "BEACONLAKE_TRINO_PORT": str(port),
                    "BEACONLAKE_TRINO_SCHEMA": schemas[-1],
                    "DBT_TARGET_PATH": str(folder),
                    "DBT_LOG_PATH": str(folder / "logs"),
                }
                runs["trino", size].append(build("trino", size, path, events, env))
    finally:
        import trino

        from beaconlake.project import marts_schema

        conn = trino.dbapi.connect(host=host, port=port, user="beaconlake")
        for catalog in ("iceberg", "hive"):
            for schema in schemas:
                for name in (schema, marts_schema(schema)):
                    conn.cursor().execute(
                        f"drop schema if exists {catalog}.{name} cascade"
                    ).fetchall()
        conn.close()
        if started_here:
            _server("down", server_env)
    load_after = load_average()
    shutil.rmtree(work, ignore_errors=True)

    builds = {key: min(done, key=lambda b: b.wall) for key, done in runs.items()}
    cores_here = len(os.sched_getaffinity(0))
    cores_per_worker = args.cores_per_worker or cores_here
    models = {
        e: CostModel.of(builds[e, "tiny"], builds[e, "big"], cores_here, cores_per_worker)
        for e in ENGINES
    }
    threads = int(os.environ.get("BEACONLAKE_TRINO_THREADS", "2"))
    print(f"\nload average {load_before} before, {load_after} after (1/5/15 min)\n")
    print_builds(builds, models)
    print(
        "\nper node (trino variable = real minus tiny; its events/s: the extra events over it):\n"
    )
    print_nodes(builds, models["trino"])
    print()
    print_model(
        models["trino"], variable_seconds(builds["trino", "tiny"], builds["trino", "big"]), threads
    )
    if args.json:
        raw = {
            "input": {"path": str(input_path), "events": inputs["big"][1]},
            "tiny_input": {"path": str(tiny_path), "events": tiny_events},
            "days": [d.isoformat() for d in days],
            "load_average": {"before": load_before, "after": load_after},
            "startup_seconds": startup,
            "dbt_threads": {
                "duckdb": int(os.environ.get("BEACONLAKE_DBT_THREADS", "2")),
                "trino": threads,
            },
            "builds": [asdict(b) for done in runs.values() for b in done],
            "models": {
                engine: {
                    **asdict(m),
                    "predicted_seconds": {str(n): m.seconds(n) for n in WORKERS},
                }
                for engine, m in models.items()
            },
        }
        args.json.write_text(json.dumps(raw, indent=2) + "\n")
        print(f"\nraw numbers: {args.json}")


if __name__ == "__main__":
    main()
