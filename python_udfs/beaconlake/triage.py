"""Analysts' verdicts on incidents: the rows ``beaconlake triage`` writes into the warehouse.

A verdict covers the incidents of its scope (a tenant, a host and/or a domain, with its
subdomains or not) until it expires; every build applies it (``int_triage_decisions``,
``fct_beacon_incidents``) and keeps it in the audit (``fct_triage_audit``). The seed
``seeds/triage_decisions.csv`` holds verdicts kept in version control, in the same columns.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import astuple, dataclass
from typing import TYPE_CHECKING

from beaconlake.errors import InputError

if TYPE_CHECKING:
    from beaconlake.store import ClientWarehouse

#: The table ``beaconlake triage`` appends to (dbt source ``triage.triage_decisions_entered``).
TRIAGE_TABLE = "triage_decisions_entered"
#: Its columns, name -> SQL type; the seed and the on-run-start hook use the same.
TRIAGE_COLUMNS: dict[str, str] = {
    "tenant_id": "varchar",
    "host_id": "varchar",
    "domain": "varchar",
    "include_subdomains": "boolean",
    "verdict": "varchar",
    "expires_on": "date",
    "decided_by": "varchar",
    "decided_at": "timestamp(6)",
    "note": "varchar",
}
VERDICTS = ("benign", "malicious", "snoozed")


@dataclass(frozen=True)
class Decision:
    """One verdict, in the order of ``TRIAGE_COLUMNS``."""

    tenant_id: str | None
    host_id: str | None
    domain: str | None
    include_subdomains: bool
    verdict: str
    expires_on: dt.date | None
    decided_by: str
    decided_at: dt.datetime
    note: str


def decision(
    verdict: str,
    *,
    tenant: str | None = None,
    host: str | None = None,
    domain: str | None = None,
    subdomains: bool = False,
    until: dt.date | None = None,
    by: str,
    note: str,
    now: dt.datetime | None = None,
) -> Decision:
    """A checked verdict: raises ``InputError`` (one line) for one that could never apply."""
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    domain = domain.strip().lower().rstrip(".") if domain else None
    if verdict not in VERDICTS:
        raise InputError(f"unknown verdict {verdict!r}: expected one of {', '.join(VERDICTS)}")
    if not (tenant or host or domain):
        raise InputError("a verdict needs a scope: --tenant, --host and/or --domain")
    if subdomains and not domain:
        raise InputError("--subdomains needs --domain")
    if verdict == "snoozed" and until is None:
        raise InputError("a snooze needs --until DAY (the first day it no longer applies)")
    if until is not None and until <= now.date():
        raise InputError(f"--until {until} is not after today ({now.date()}): it would never apply")
    if not by.strip() or not note.strip():
        raise InputError("--by and --note must say who decided and why")
    return Decision(
        tenant or None,
        host or None,
        domain,
        subdomains,
        verdict,
        until,
        by.strip(),
        now,
        note.strip(),
    )


def record(wh: ClientWarehouse, decisions: list[Decision]) -> int:
    """Append ``decisions`` to the warehouse's triage table (values bound, never pasted)."""
    return wh.append(TRIAGE_TABLE, TRIAGE_COLUMNS, [astuple(d) for d in decisions])
