"""The command line is the only part of beaconlake that knows click, and it turns every library
error into one line and exit code 2."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import beaconlake
from beaconlake.cli import main

LIBRARY_MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(beaconlake.__path__, "beaconlake.")
    if not (info.name == "beaconlake.cli" or info.name.startswith("beaconlake.cli."))
)


def test_the_library_has_modules_to_check() -> None:
    assert {"beaconlake.pipeline", "beaconlake.evaluate.metrics", "beaconlake.replay"} <= set(
        LIBRARY_MODULES
    )


def test_no_library_module_imports_click() -> None:
    """Every module imported in turn in a fresh interpreter: none of them loads click (the
    first one that did would be named, since nothing unloads it)."""
    probe = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]:\n"
        "    importlib.import_module(name)\n"
        "    assert 'click' not in sys.modules, name + ' imports click'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(beaconlake.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", probe, *LIBRARY_MODULES], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # raised by the library (beaconlake.simulate.scenario), not by the CLI
        (["simulate", "--out", "{tmp}", "--hosts", "2", "--tenants", "3"], "tenants must be <="),
        # raised by the library (beaconlake.evaluate.inputs)
        (["evaluate", "--ground-truth", "{tmp}/none.csv", "--findings", "x.csv"], "not found"),
        # raised by the library (beaconlake.pipeline)
        (["run", "--input", "{tmp}/nothing"], "no Parquet files match"),
    ],
)
def test_a_library_error_exits_2_with_one_line(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], lines
    assert "Traceback" not in result.output


def test_python_dash_m_runs_the_same_command_line() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(beaconlake.__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-m", "beaconlake.cli", "--version"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 0 and beaconlake.__version__ in done.stdout, done.stderr
