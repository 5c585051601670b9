"""The failures a user can act on. Each message is one line; the CLI prints it and exits 2.

Library code raises these (never click's exceptions); ``beaconlake.cli`` maps every one of them
to exit code 2 in one place. Anything else that escapes is a defect: the CLI prints its first
line and exits 1 (``BEACONLAKE_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

from pathlib import Path


class BeaconlakeError(Exception):
    """A failure the user can fix; ``str()`` is the one line shown."""

    exit_code = 2


class InputError(BeaconlakeError, ValueError):
    """The input cannot be used: missing or unreadable files, a wrong schema, no rows."""


class ConfigError(BeaconlakeError, ValueError):
    """An option, date or dbt var is out of its allowed form or range."""


class WarehouseBusy(BeaconlakeError):
    """Another process holds the warehouse (a run writes it, or a reader blocks a writer)."""


class DbtFailed(BeaconlakeError):
    """A dbt command failed; the message names the step and dbt's log file."""

    def __init__(self, step: str, log_path: Path | None = None, cause: str | None = None) -> None:
        where = f"; see {log_path}" if log_path else "; see the dbt output above"
        super().__init__(f"{step} failed" + (f": {cause}" if cause else "") + where)
        self.step = step
        self.log_path = log_path
