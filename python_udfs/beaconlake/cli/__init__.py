"""The ``beaconlake`` command line: a thin layer over the library's functions.

Every click command lives in this package, one module per area (``pipeline``: run, build,
confirm; ``results``: findings, report, triage, export; ``data``: ingest, simulate;
``evaluation``: evaluate, replay, figures). The library never imports click: it raises
``beaconlake.errors.BeaconlakeError`` subclasses, and ``_Main`` below is the one place that turns
them into a one-line message and exit code 2.
"""

from __future__ import annotations

import os

import click

from beaconlake import __version__
from beaconlake.errors import BeaconlakeError


class _UserError(click.ClickException):
    """A ``BeaconlakeError`` as click prints it: ``Error: <one line>``, exit code 2."""

    exit_code = BeaconlakeError.exit_code


class _Main(click.Group):
    """The command group; the one place where a library error becomes an exit code, and
    where the files it writes lose their access for other users (umask 007).

    ``BeaconlakeError`` (what the user can fix): its one line, exit 2. Anything else is a
    defect: its first line and exit 1, the traceback only with ``BEACONLAKE_DEBUG=1``.
    """

    def invoke(self, ctx: click.Context) -> object:
        # DNS logs say who visited what: what we write is not for every user of the machine
        os.umask(os.umask(0) | 0o007)
        try:
            return super().invoke(ctx)
        except BeaconlakeError as exc:
            raise _UserError(_one_line(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted") from None
        except Exception as exc:
            if os.environ.get("BEACONLAKE_DEBUG"):
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {_one_line(exc)} "
                "(BEACONLAKE_DEBUG=1 shows the traceback)"
            ) from exc


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="beaconlake")
def main() -> None:
    """Find malware command-and-control beacons in DNS telemetry."""


def _register_commands() -> None:
    from beaconlake.cli import data, evaluation, pipeline, results

    for command in (
        data.simulate,
        evaluation.figures,
        data.ingest,
        pipeline.run,
        pipeline.confirm,
        results.findings,
        results.report,
        results.triage,
        results.export,
        evaluation.evaluate,
        pipeline.build,
        evaluation.replay,
    ):
        main.add_command(command)


_register_commands()
