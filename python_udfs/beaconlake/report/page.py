"""The report page: the queue of incidents with its filters, and one drill-down per incident.

The page is one HTML file with its style, script and charts inline: it opens from disk in any
browser, with no server and no network. Every string from the data is escaped, and the page's
Content-Security-Policy lets no other script run and nothing load from elsewhere.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
from collections.abc import Sequence
from html import escape
from pathlib import Path

from beaconlake.confirm.scoring import SEVERITIES, period_text
from beaconlake.report.charts import autocorrelation_svg, interval_histogram_svg, timeline_svg
from beaconlake.report.view import (
    STATUSES,
    IncidentView,
    beat_series,
    epoch_seconds,
    queue_order,
    time_text,
)

STYLE = """
:root { --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --bg: #f4f6f9; --card: #fff;
  --accent: #1d4ed8; --critical: #7f1d1d; --high: #dc2626; --medium: #f59e0b; --low: #3b82f6;
  --info: #94a3b8;
  --sans: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif;
  --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 var(--sans); }
.mono, td.host, td.beacon .key, .key-title, .chips li, .facts dd.mono { font-family: var(--mono); }
header.top { background: #0f172a; color: #e2e8f0; padding: 14px 28px; display: flex;
  align-items: baseline; gap: 18px; }
header.top h1 { margin: 0; font-size: 18px; font-weight: 600; color: #fff; }
header.top .brand { font-weight: 700; letter-spacing: .04em; color: #93c5fd; font-size: 13px;
  text-transform: uppercase; }
header.top .meta { margin-left: auto; font-size: 12.5px; color: #94a3b8; }
main { max-width: 1320px; margin: 0 auto; padding: 20px 28px 40px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px;
  box-shadow: 0 1px 2px rgba(15, 23, 42, .04); }
.summary { display: flex; gap: 10px; margin-bottom: 14px; flex-wrap: wrap; }
.summary .stat { padding: 10px 16px; min-width: 118px; border-left: 4px solid var(--info); }
.summary .stat b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
.summary .stat span { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: .05em; }
.filters { display: flex; gap: 16px; align-items: center; padding: 10px 16px;
  border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.filters label { font-size: 12px; color: var(--muted); text-transform: uppercase;
  letter-spacing: .05em; display: flex; align-items: center; gap: 6px; }
.filters select { font: inherit; font-size: 13px; text-transform: none; letter-spacing: 0;
  color: var(--ink); padding: 4px 8px; border: 1px solid #cbd5e1; border-radius: 6px;
  background: #fff; min-width: 130px; }
.filters .count { margin-left: auto; color: var(--muted); font-size: 13px; }
table.queue { width: 100%; border-collapse: collapse; font-size: 13px; }
table.queue th { text-align: left; font-size: 11px; text-transform: uppercase; color: var(--muted);
  letter-spacing: .05em; font-weight: 600; padding: 9px 10px; border-bottom: 1px solid var(--line);
  background: #f8fafc; white-space: nowrap; }
table.queue td { padding: 8px 10px; border-bottom: 1px solid #eef2f6; vertical-align: middle; }
table.queue tbody tr { cursor: pointer; }
table.queue tbody tr:hover { background: #f1f5fb; }
table.queue td:first-child, table.queue th:first-child { padding-left: 16px; }
table.queue tr.sev-critical td:first-child { box-shadow: inset 4px 0 var(--critical); }
table.queue tr.sev-high td:first-child { box-shadow: inset 4px 0 var(--high); }
table.queue tr.sev-medium td:first-child { box-shadow: inset 4px 0 var(--medium); }
table.queue tr.sev-low td:first-child { box-shadow: inset 4px 0 var(--low); }
table.queue tr.sev-info td:first-child { box-shadow: inset 4px 0 var(--info); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; color: #334155; }
td.period { white-space: nowrap; }
td.host .more { color: var(--muted); font-size: 12px; font-family: var(--sans); }
td.beacon { max-width: 420px; }
td.beacon a { color: var(--ink); text-decoration: none; }
td.beacon a:hover .key { text-decoration: underline; }
td.beacon .key, .key-title { overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px;
  font-weight: 600; line-height: 18px; white-space: nowrap; text-transform: capitalize; }
.sev-badge.critical { background: var(--critical); color: #fff; }
.sev-badge.high { background: var(--high); color: #fff; }
.sev-badge.medium { background: var(--medium); color: #3b2300; }
.sev-badge.low { background: #dbeafe; color: #1e40af; }
.sev-badge.info, .sev-badge.unknown { background: #e2e8f0; color: #334155; }
.status { border: 1px solid currentColor; font-weight: 500; background: #fff; }
.status.new { color: #1d4ed8; } .status.changed { color: #7c3aed; }
.status.open { color: #475569; } .status.benign { color: #047857; }
.status.malicious { color: #b91c1c; } .status.snoozed { color: #94a3b8; border-style: dashed; }
.status.unknown { color: #475569; }
.kind { display: inline-block; font-size: 10.5px; font-weight: 600; text-transform: uppercase;
  letter-spacing: .05em; color: #475569; background: #f1f5f9; border-radius: 4px;
  padding: 0 5px; margin-right: 6px; vertical-align: 1px; }
.stat.critical { border-left-color: var(--critical); }
.stat.high { border-left-color: var(--high); }
.stat.medium { border-left-color: var(--medium); } .stat.low { border-left-color: var(--low); }
.empty-row td { text-align: center; color: var(--muted); padding: 28px; cursor: default; }
.incident { display: none; scroll-margin-top: 120px; }
.incident:target { display: block; }
body:has(.incident:target) #queue { display: none; }
.incident nav { display: flex; gap: 14px; align-items: center; margin-bottom: 10px;
  font-size: 13px; }
.incident nav a { color: var(--accent); text-decoration: none; }
.incident nav a:hover { text-decoration: underline; }
.incident nav .pos { color: var(--muted); margin-left: auto; }
.incident .head { padding: 16px 22px; }
.incident .badges { display: flex; gap: 8px; align-items: center; margin-bottom: 8px; }
.key-title { font-size: 21px; font-weight: 600; margin: 0 0 4px; }
.subtitle { color: var(--muted); margin: 0 0 12px; }
.facts { display: grid; grid-template-columns: repeat(4, minmax(0, 1fr)); gap: 10px 24px;
  margin: 0; padding-top: 12px; border-top: 1px solid var(--line); }
.facts dt { font-size: 11px; text-transform: uppercase; letter-spacing: .05em;
  color: var(--muted); }
.facts dd { margin: 2px 0 0; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.reason { margin-top: 14px; padding: 10px 14px; background: #f8fafc; border: 1px solid var(--line);
  border-left: 3px solid var(--accent); border-radius: 6px; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.reason h3, .members h3, figure figcaption b { font-size: 11px; text-transform: uppercase;
  letter-spacing: .05em; color: var(--muted); margin: 0 0 4px; font-weight: 600; }
.members { margin-top: 12px; }
.chips { list-style: none; display: flex; flex-wrap: wrap; gap: 6px; margin: 0; padding: 0; }
.chips li { background: #f1f5f9; border: 1px solid var(--line); border-radius: 5px;
  padding: 1px 8px; font-size: 12.5px; overflow-wrap: anywhere; max-width: 100%; }
.charts { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; margin-top: 12px; }
.charts figure.wide { grid-column: 1 / -1; }
figure { margin: 0; padding: 10px 14px 6px; }
figure figcaption { font-size: 12.5px; color: var(--muted); margin-bottom: 4px; }
figure figcaption b { display: inline; color: var(--ink); font-size: 12px; margin-right: 6px; }
svg.chart { width: 100%; height: auto; display: block; font-size: 11px; }
svg .frame { fill: none; stroke: #cbd5e1; }
svg .lane { fill: #f8fafc; }
svg .grid { stroke: #e2e8f0; }
svg .grid.day { stroke: #94a3b8; }
svg .axis { stroke: #94a3b8; }
svg .tick { fill: #64748b; }
svg .title { fill: #475569; font-size: 11.5px; }
svg .label { fill: #1e293b; font-size: 11.5px; }
svg .label.count { fill: #64748b; font-variant-numeric: tabular-nums; }
svg .note, svg .legend { fill: #64748b; font-size: 11.5px; }
svg .empty { fill: #94a3b8; font-size: 13px; }
svg .bar { fill: #3b82f6; }
svg .band { fill: #fee2e2; opacity: .7; }
svg line.period { stroke: #dc2626; stroke-width: 2; stroke-dasharray: 5 3; }
svg text.period { fill: #b91c1c; font-weight: 600; }
svg line.multiple { stroke: #94a3b8; stroke-dasharray: 2 3; }
svg .multiple-label { fill: #94a3b8; }
svg .acf { fill: #93c5fd; }
svg .acf.hill { fill: #1d4ed8; }
footer { color: var(--muted); font-size: 12px; margin-top: 18px; }
"""

SCRIPT = """
(function () {
  var selects = Array.prototype.slice.call(document.querySelectorAll('#filters select'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('#queue-table tbody tr.row'));
  var count = document.getElementById('visible-count');
  var none = document.getElementById('no-match');
  function apply() {
    var shown = 0;
    rows.forEach(function (row) {
      var keep = selects.every(function (s) {
        return !s.value || row.getAttribute('data-' + s.name) === s.value;
      });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    count.textContent = shown + ' of ' + rows.length + ' incidents';
    if (none) { none.hidden = shown > 0; }
  }
  // ?tenant=...&severity=...&status=... preselects the filters (a link to a filtered queue)
  var wanted = new URLSearchParams(location.search);
  selects.forEach(function (s) {
    var value = wanted.get(s.name);
    if (value !== null && Array.prototype.some.call(s.options, function (o) {
      return o.value === value;
    })) { s.value = value; }
    s.addEventListener('change', apply);
  });
  rows.forEach(function (row) {
    row.addEventListener('click', function (event) {
      if (!event.target.closest('a')) { location.hash = row.getAttribute('data-target'); }
    });
  });
  apply();
})();
"""

#: The page's one script may run, its inline styles apply, nothing else loads.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    f"script-src 'sha256-{base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()}'"
)


def _class(value: str, allowed: Sequence[str]) -> str:
    """A CSS class for a known value; anything else is ``unknown`` (data never names a class)."""
    return value if value in allowed else "unknown"


def _severity_badge(severity: str) -> str:
    return f'<span class="badge sev-badge {_class(severity, SEVERITIES)}">{escape(severity)}</span>'


def _status_badge(status: str) -> str:
    return f'<span class="badge status {_class(status, STATUSES)}">{escape(status)}</span>'


def _anchor(incident: IncidentView) -> str:
    return f"incident-{incident.incident_id}"


def _select(name: str, label: str, values: Sequence[str]) -> str:
    options = "".join(f'<option value="{escape(v)}">{escape(v)}</option>' for v in values)
    return (
        f'<label>{label}<select name="{name}" id="filter-{name}">'
        f'<option value="">All</option>{options}</select></label>'
    )


def _queue(ordered: list[IncidentView]) -> str:
    tenants = sorted({i.tenant_id for i in ordered})
    present = {i.severity for i in ordered}
    severities = [s for s in reversed(SEVERITIES) if s in present]
    severities += sorted(present - set(SEVERITIES))
    statuses = [s for s in STATUSES if s in {i.status for i in ordered}]
    statuses += sorted({i.status for i in ordered} - set(STATUSES))
    stats = "".join(
        f'<div class="card stat {s}"><b>{sum(i.severity == s for i in ordered):,}</b>'
        f"<span>{s}</span></div>"
        for s in reversed(SEVERITIES)
    )
    rows = []
    for i in ordered:
        others = len(set(i.hosts) - {i.host_id})
        more = (
            f' <span class="more">+{others} host{"s" if others > 1 else ""}</span>'
            if others
            else ""
        )
        rows.append(
            f'<tr class="row sev-{_class(i.severity, SEVERITIES)}" '
            f'data-tenant="{escape(i.tenant_id)}" data-severity="{escape(i.severity)}" '
            f'data-status="{escape(i.status)}" data-target="{escape(_anchor(i))}">'
            f"<td>{_severity_badge(i.severity)}</td><td>{_status_badge(i.status)}</td>"
            f'<td>{escape(i.tenant_id)}</td><td class="host">{escape(i.host_id)}{more}</td>'
            f'<td class="beacon"><a href="#{escape(_anchor(i))}"><span class="kind">'
            f'{escape(i.beacon_kind)}</span><span class="key">{escape(i.beacon_key)}</span>'
            "</a></td>"
            f'<td class="period">{escape(period_text(i.period_seconds, i.jitter))}</td>'
            f'<td class="time">{time_text(i.first_seen)}</td>'
            f'<td class="time">{time_text(i.last_seen)}</td>'
            f'<td class="num">{i.score:.2f}</td></tr>'
        )
    none = (
        '<tr class="empty-row" id="no-match" hidden><td colspan="9">No incident matches the '
        "filters.</td></tr>"
        if ordered
        else '<tr class="empty-row"><td colspan="9">No incidents.</td></tr>'
    )
    return (
        f'<section id="queue"><div class="summary">{stats}</div><div class="card">'
        f'<div class="filters" id="filters">{_select("tenant", "Tenant", tenants)}'
        f"{_select('severity', 'Severity', severities)}{_select('status', 'Status', statuses)}"
        f'<span class="count" id="visible-count">{len(ordered)} incidents'
        f'</span></div><table class="queue" id="queue-table"><thead><tr><th>Severity</th>'
        f"<th>Status</th><th>Tenant</th><th>Host</th><th>Beacon</th><th>Period</th>"
        f'<th>First seen</th><th>Last seen</th><th class="num">Score</th></tr></thead>'
        f"<tbody>{''.join(rows)}{none}</tbody></table></div></section>"
    )


def _chips(title: str, items: Sequence[str]) -> str:
    chips = "".join(f"<li>{escape(x)}</li>" for x in items)
    return f'<div class="members"><h3>{escape(title)}</h3><ul class="chips">{chips}</ul></div>'


def _figure(title: str, caption: str, svg: str, cls: str) -> str:
    return (
        f'<figure class="card {cls}"><figcaption><b>{escape(title)}</b>{escape(caption)}'
        f"</figcaption>{svg}</figure>"
    )


def _incident(i: IncidentView, position: int, ordered: list[IncidentView]) -> str:
    beats, labels = beat_series(i)
    start, end = epoch_seconds(i.window_start), epoch_seconds(i.window_end)
    links = ['<a href="#queue">← Queue</a>']
    if position > 0:
        links.append(f'<a href="#{escape(_anchor(ordered[position - 1]))}">‹ Previous</a>')
    if position + 1 < len(ordered):
        links.append(f'<a href="#{escape(_anchor(ordered[position + 1]))}">Next ›</a>')
    facts = [
        ("Period", period_text(i.period_seconds, i.jitter), ""),
        ("Score", f"{i.score:.2f}", ""),
        ("Beats in window", f"{len(beats):,}", ""),
        ("ATT&CK", ", ".join(i.attack_techniques) or "none", "mono"),
        ("First seen", f"{time_text(i.first_seen)} UTC", ""),
        ("Last seen", f"{time_text(i.last_seen)} UTC", ""),
        ("Evidence window", f"{time_text(i.window_start)} – {time_text(i.window_end)}", ""),
        ("Incident", i.incident_id, "mono"),
    ]
    dl = "".join(
        f'<div><dt>{escape(k)}</dt><dd class="{c}">{escape(v)}</dd></div>' for k, v, c in facts
    )
    members = ""
    if i.beacon_kind == "rotation" or len(i.domains) > 1:
        members += _chips(f"Member domains ({len(i.domains)})", i.domains)
    if i.beacon_kind == "campaign" or len(i.hosts) > 1:
        what = "Campaign hosts" if i.beacon_kind == "campaign" else "Hosts"
        members += _chips(f"{what} in the tenant ({len(i.hosts)})", i.hosts)
    rows_note = "a row per member domain, " if labels is not None else ""
    charts = (
        _figure(
            "Beat timeline",
            f"{rows_note}each beat over the evidence window",
            timeline_svg(beats, labels, i.domains, start, end),
            "wide",
        )
        + _figure(
            "Intervals between beats",
            "the period, its jitter band and its multiples (beats missed)",
            interval_histogram_svg(beats, i.period_seconds, i.jitter),
            "",
        )
        + _figure(
            "Autocorrelation",
            "of the beats in bins of an eighth of the period: a beacon peaks at each period",
            autocorrelation_svg(beats, start, end, i.period_seconds),
            "",
        )
    )
    return (
        f'<section class="incident" id="{escape(_anchor(i))}"><nav>{" ".join(links)}'
        f'<span class="pos">{position + 1} of {len(ordered)}</span></nav>'
        f'<div class="card head"><div class="badges">{_severity_badge(i.severity)}'
        f'{_status_badge(i.status)}<span class="kind">{escape(i.beacon_kind)}</span></div>'
        f'<h2 class="key-title">{escape(i.beacon_key)}</h2><p class="subtitle">host '
        f'<span class="mono">{escape(i.host_id)}</span> · tenant {escape(i.tenant_id)}</p>'
        f'<dl class="facts">{dl}</dl><div class="reason"><h3>Reason</h3>{escape(i.reason)}</div>'
        f'{members}</div><div class="charts">{charts}</div></section>'
    )


def render_html(incidents: Sequence[IncidentView], *, title: str, generated_at: dt.datetime) -> str:
    """The whole report as one self-contained HTML page: the queue, most severe first, and a
    drill-down per incident that ``#incident-<id>`` opens."""
    ordered = queue_order(incidents)
    sections = "".join(_incident(i, n, ordered) for n, i in enumerate(ordered))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<header class="top"><span class="brand">beaconlake</span><h1>{escape(title)}</h1>'
        f'<span class="meta">{len(ordered):,} incidents · generated '
        f"{time_text(generated_at)} UTC</span></header><main>{_queue(ordered)}{sections}"
        "<footer>A self-contained file: no server, no network. Times are UTC. Click a row for "
        "its evidence.</footer></main>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )


def write_report(
    incidents: Sequence[IncidentView], path: Path, *, title: str, generated_at: dt.datetime
) -> Path:
    """Write the report to ``path`` at once: a reader sees the old file or the whole new one."""
    path = Path(path)
    text = render_html(incidents, title=title, generated_at=generated_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path
