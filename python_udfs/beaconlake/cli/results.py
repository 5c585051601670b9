"""``beaconlake findings``, ``report``, ``triage`` and ``export``: reading what a run found."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from beaconlake.cli.options import DAY, DB, SEVERITY, TARGET, exported_line, say, wait_option
from beaconlake.confirm.scoring import ALERT_SEVERITY

if TYPE_CHECKING:
    import pandas as pd


def findings_table(frame: pd.DataFrame, wide: bool = False) -> str:
    cols = ["severity", "score", "tenant_id", "host_id", "domain", "reason"]
    shown = frame[cols].assign(score=frame.score.map(lambda v: f"{v:.2f}"))
    return _text_table(shown, wide)


def incidents_table(frame: pd.DataFrame, wide: bool = False) -> str:
    shown = frame.assign(
        score=frame.score.map(lambda v: f"{v:.2f}"),
        beacon=frame.beacon_kind + ": " + frame.beacon_key,
        last_seen=frame.last_seen_at.map(lambda v: str(v)[:16]),
    )[["severity", "status", "score", "tenant_id", "host_id", "beacon", "last_seen", "reason"]]
    return _text_table(shown, wide)


def _text_table(shown: pd.DataFrame, wide: bool) -> str:
    """Aligned columns; the reason cut at 90 characters unless ``wide``, then printed whole."""
    if not wide:
        return shown.to_string(index=False, max_colwidth=90)
    import pandas as pd

    with pd.option_context("display.max_colwidth", None, "display.width", None):
        return shown.to_string(index=False, justify="left")


@click.command()
@TARGET
@DB
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json", "jsonl"]),
    default="table",
    show_default=True,
    help="jsonl: one JSON object per line, for a SIEM.",
)
@click.option(
    "--min-severity",
    type=SEVERITY,
    default=ALERT_SEVERITY,
    show_default=True,
    help="Lowest severity listed (the alert level by default).",
)
@click.option("--tenant", help="Only this tenant.")
@click.option("--host", help="Only this host.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Only incidents last seen at or after this UTC day or time.",
)
@click.option(
    "--all", "closed", is_flag=True, help="Also incidents a benign or snoozed verdict closed."
)
@click.option(
    "--per-window",
    is_flag=True,
    help="List the findings of each window (fct_beacon_findings) instead of incidents.",
)
@click.option("--wide", is_flag=True, help="Show the whole reason in the table.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True)
@wait_option(60, "a run")
def findings(
    target: str,
    db_path: str | None,
    fmt: str,
    min_severity: str,
    tenant: str | None,
    host: str | None,
    since: dt.datetime | None,
    closed: bool,
    per_window: bool,
    wide: bool,
    limit: int,
    wait: float,
) -> None:
    """List incidents (a beacon on a host across windows), new and changed first, then the most
    severe; or, with --per-window, every window's findings.

    Opens a DuckDB file read-only (a read-only file or mount will do). While a run writes it,
    waits up to --wait seconds with a note on stderr, then fails with one line naming the run."""
    from beaconlake.errors import ConfigError
    from beaconlake.pipeline import read_findings, read_incidents

    if per_window and (tenant or host or since or closed):
        raise ConfigError(
            "--per-window lists every finding: --tenant, --host, --since and --all "
            "apply to incidents"
        )
    if per_window:
        frame = read_findings(target, db_path, min_severity, limit, wait, say)
    else:
        frame = read_incidents(
            target,
            db_path,
            min_severity,
            tenant=tenant,
            host=host,
            since=since,
            closed=closed,
            limit=limit,
            wait=wait,
            notify=say,
        )
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt in ("json", "jsonl"):
        records = _json_records(frame)
        if fmt == "jsonl":
            for record in records:
                click.echo(json.dumps(record))
        else:
            click.echo(json.dumps(records, indent=2))
    elif per_window:
        click.echo(findings_table(frame, wide) if len(frame) else "no findings")
    else:
        click.echo(incidents_table(frame, wide) if len(frame) else "no incidents")


def _json_records(frame: Any) -> list[dict[str, Any]]:
    """Rows as JSON-ready objects: times in ISO 8601 (UTC), nulls as null, the ATT&CK ids and
    comma-separated lists as arrays."""
    import pandas as pd

    records = []
    for row in frame.to_dict(orient="records"):
        out: dict[str, Any] = {}
        for key, value in row.items():
            if value is None or (not isinstance(value, str | list) and pd.isna(value)):
                out[key] = None
            elif isinstance(value, pd.Timestamp | dt.datetime):
                out[key] = value.isoformat() + ("Z" if value.tzinfo is None else "")
            elif isinstance(value, dt.date):
                out[key] = value.isoformat()
            elif key in ("attack_techniques", "domains", "finding_ids"):
                out[key] = [v.strip() for v in str(value).split(",") if v.strip()]
            elif hasattr(value, "item"):  # numpy scalars
                out[key] = value.item()
            else:
                out[key] = value
        records.append(out)
    return records


@click.command()
@click.option(
    "--html",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The HTML file to write (replaced as a whole).",
)
@click.option(
    "--min-severity",
    type=SEVERITY,
    default=ALERT_SEVERITY,
    show_default=True,
    help="Lowest severity in the report.",
)
@click.option("--title", default="beaconlake: beacon incidents", show_default=True)
@TARGET
@DB
@wait_option(60, "a run")
def report(
    out: Path, min_severity: str, title: str, target: str, db_path: str | None, wait: float
) -> None:
    """Write the analyst's report: one self-contained HTML file (no server, no network) with
    the incidents, filters by tenant, severity and status, and per incident its beat timeline,
    interval histogram, autocorrelation, members or hosts and full reason."""
    from beaconlake.pipeline import reader
    from beaconlake.report import read_incident_views, write_report

    views = read_incident_views(reader(target, db_path, wait, say), min_severity)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    write_report(views, out, title=title, generated_at=now)
    click.echo(f"wrote {len(views):,} incidents to {out}")


@click.group()
def triage() -> None:
    """Analysts' verdicts on incidents: benign, malicious or snoozed, kept with who and why.

    A verdict applies at every build from the next one on (no re-ingestion): it sets the status
    of the incidents its scope covers until it expires; benign and snoozed ones leave the alert
    queue, malicious ones are raised to critical and their domain joins the known-C2 list.
    Verdicts kept in version control go in seeds/triage_decisions.csv (the same columns)."""


@triage.command("mark")
@click.argument("verdict", type=click.Choice(["benign", "malicious", "snoozed"]))
@click.option("--tenant", help="Only this tenant's incidents.")
@click.option("--host", help="Only this host's incidents.")
@click.option("--domain", help="Incidents on this domain (a registered domain or a member name).")
@click.option("--subdomains", is_flag=True, help="Names under --domain match too.")
@click.option(
    "--until",
    type=DAY,
    help="First day the verdict no longer applies (required for snoozed).",
)
@click.option("--by", "by", required=True, help="Who decides.")
@click.option("--note", required=True, help="Why.")
@TARGET
@DB
@wait_option(60, "a run")
def triage_mark(
    verdict: str,
    tenant: str | None,
    host: str | None,
    domain: str | None,
    subdomains: bool,
    until: dt.datetime | None,
    by: str,
    note: str,
    target: str,
    db_path: str | None,
    wait: float,
) -> None:
    """Record a verdict, e.g. `beaconlake triage mark benign --domain updates.example.com
    --subdomains --by alice --note "vendor updater"`."""
    from beaconlake.store import warehouse_for
    from beaconlake.triage import decision, record

    made = decision(
        verdict,
        tenant=tenant,
        host=host,
        domain=domain,
        subdomains=subdomains,
        until=until.date() if until else None,
        by=by,
        note=note,
    )
    record(warehouse_for(target, db_path, notify=say, wait=wait), [made])
    click.echo(f"recorded: {verdict} ({_scope_text(made)}); applies from the next build")


def _scope_text(made: Any) -> str:
    parts = [f"tenant {made.tenant_id}" if made.tenant_id else "every tenant"]
    if made.host_id:
        parts.append(f"host {made.host_id}")
    if made.domain:
        subdomains = " and its subdomains" if made.include_subdomains else ""
        parts.append(made.domain + subdomains)
    if made.expires_on:
        parts.append(f"until {made.expires_on}")
    return ", ".join(parts)


@click.command("export")
@DB
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB file to write (replaced as a whole).",
)
@wait_option(60, "a run")
def export(db_path: str | None, out: Path, wait: float) -> None:
    """Copy the published marts (findings, alerts, event counts) to a DuckDB file of their own.

    BI tools may keep that file open for ever: the warehouse stays free for the next run, and
    the next export replaces the file without waiting for them."""
    from beaconlake.store import duckdb_path
    from beaconlake.store.export import export_marts

    click.echo(exported_line(export_marts(duckdb_path(db_path), out, wait, say), out))
