"""The analyst's HTML report: its pieces, and the whole page in a real headless Chromium.

The browser test renders incidents made from a real run (simulator → dbt → confirmation) of a
small fleet with a planted classic beacon, a rotation over four domains and a campaign, plus a
hand-made incident whose names are hostile markup.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from beaconlake import warehouse
from beaconlake.cli import main
from beaconlake.confirm.periodicity import BINS_PER_PERIOD, acf_hill
from beaconlake.confirm.scoring import period_text
from beaconlake.pipeline import run_pipeline
from beaconlake.report import (
    IncidentView,
    charts,
    page,
    read_incident_views,
    render_html,
    write_report,
)
from beaconlake.report.view import queue_order
from beaconlake.simulate.generator import simulate
from beaconlake.simulate.scenario import BeaconSpec, Scenario
from beaconlake.simulate.timing import beat_times
from beaconlake.store import DuckDBWarehouse
from beaconlake.triage import decision, record
from chromium_support import colours, dump_dom, image_size, require_chromium, screenshot

GENERATED = dt.datetime(2026, 11, 5, 7, 30)
WINDOW = (dt.datetime(2026, 11, 2), dt.datetime(2026, 11, 5))
HOSTILE_KEY = "<script>alert(1)</script>.evil.com"
HOSTILE_HOST = '"><img src=x onerror=alert(2)>'
TITLE = "Beacons, 2026-11-02 to 2026-11-05"
#: A folder (``docs``) where the browser test also retakes the docs' two screenshots.
SCREENSHOTS_ENV = "BEACONLAKE_REPORT_SCREENSHOTS"


def _epoch(moment: dt.datetime) -> float:
    return (moment - dt.datetime(1970, 1, 1)).total_seconds()


def _incident(beats: np.ndarray, **fields: Any) -> IncidentView:
    """A hand-made incident over ``WINDOW``; ``fields`` override the defaults."""
    start, end = WINDOW
    values: dict[str, Any] = {
        "incident_id": "0123456789abcdef",
        "tenant_id": "tenant-a",
        "host_id": "ws-001",
        "beacon_kind": "domain",
        "beacon_key": "mediave.online",
        "domains": ("mediave.online",),
        "hosts": ("ws-001",),
        "severity": "high",
        "status": "new",
        "score": 0.86,
        "period_seconds": 3000.0,
        "jitter": 0.3,
        "first_seen": start,
        "last_seen": end,
        "window_start": start,
        "window_end": end,
        "reason": "every 50.0 min ± 30%, 85 beats over 3 days",
        "attack_techniques": ("T1071.004",),
        "beats": beats,
    }
    values.update(fields)
    return IncidentView(**values)


def _jittered(period: float, jitter: float, seed: int = 3) -> np.ndarray:
    start, end = WINDOW
    return beat_times(
        np.random.default_rng(seed), _epoch(start), _epoch(end), period, jitter, "uniform"
    )


def _hostile(beats: np.ndarray | None = None) -> IncidentView:
    return _incident(
        np.zeros(0) if beats is None else beats,
        incident_id="feedfacefeedface",
        tenant_id="tenant-<u>x</u>",
        host_id=HOSTILE_HOST,
        beacon_key=HOSTILE_KEY,
        domains=(HOSTILE_KEY,),
        hosts=(HOSTILE_HOST,),
        severity="critical",
        status="new",
        period_seconds=None,
        jitter=None,
        reason="known C2 </div><script>alert(3)</script> " + "long evidence, " * 400 + "END.",
    )


class _Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the page's text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _rows(tags: _Tags) -> list[dict[str, str | None]]:
    """The attributes of the queue's incident rows."""
    return [a for t, a in tags.tags if t == "tr" and "row" in (a.get("class") or "").split()]


def _unlabelled(svg: str) -> str:
    """A chart without its legend (whose marks repeat the chart's classes)."""
    return re.sub(r'<g class="legend">.*?</g>', "", svg)


def _moves(svg: str) -> list[int]:
    """How many strokes each path of a chart draws."""
    return [len(re.findall("[Mm]", d)) for d in re.findall(r'<path[^>]* d="([^"]*)"', svg)]


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


# ------------------------------------------------------------------------------- pieces


def test_period_reads_like_the_reasons() -> None:
    assert period_text(3000.0, 0.3) == "every 50.0 min ± 30%"
    assert period_text(65.0, 0.04) == "every 65 s ± 4%"
    assert period_text(6.5 * 3600, None) == "every 6.5 h"
    assert period_text(None, 0.3) == "no period"
    assert period_text(float("nan"), None) == "no period"


def test_hostile_names_stay_text() -> None:
    html = render_html(
        [_hostile(np.array([_epoch(WINDOW[0]) + 60.0]))], title="<i>t</i>", generated_at=GENERATED
    )
    tags = _parse(html)
    assert [t for t, _ in tags.tags if t in {"img", "u", "i"}] == []
    assert sum(t == "script" for t, _ in tags.tags) == 1  # the page's own
    text = "".join(tags.text)
    assert HOSTILE_KEY in text and HOSTILE_HOST in text and "<u>x</u>" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.evil.com" in html
    # attributes too: the filter option and the row's data keep the tenant as a value
    options = [a.get("value") for t, a in tags.tags if t == "option"]
    rows = _rows(tags)
    assert "tenant-<u>x</u>" in options and rows[0]["data-tenant"] == "tenant-<u>x</u>"


def test_unknown_severity_and_status_name_no_class() -> None:
    odd = _incident(np.zeros(0), severity='x" onclick="alert(1)', status="<u>")
    tags = _parse(render_html([odd], title="t", generated_at=GENERATED))
    classes = " ".join(a.get("class") or "" for _, a in tags.tags)
    assert "onclick" not in classes and "<u>" not in classes and "unknown" in classes
    assert all("onclick" not in a for _, a in tags.tags)


def test_only_the_pages_own_script_may_run() -> None:
    html = render_html([_incident(_jittered(3000, 0.3))], title="t", generated_at=GENERATED)
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    (csp,) = re.findall(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert f"script-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing loads from elsewhere


def test_queue_is_most_severe_first_with_three_filters() -> None:
    beats = _jittered(3000, 0.3)
    incidents = [
        _incident(beats, incident_id="a" * 16, severity="low", score=0.9, tenant_id="t1"),
        _incident(beats, incident_id="b" * 16, severity="critical", score=0.2, tenant_id="t2"),
        _incident(beats, incident_id="c" * 16, severity="high", score=0.5, status="open"),
        _incident(beats, incident_id="d" * 16, severity="high", score=0.7, status="benign"),
    ]
    tags = _parse(render_html(incidents, title="t", generated_at=GENERATED))
    rows = _rows(tags)
    assert [r["data-target"] for r in rows] == [f"incident-{c * 16}" for c in "bdca"]
    selects = {a["name"]: a for t, a in tags.tags if t == "select"}
    assert set(selects) == {"tenant", "severity", "status"}
    options = [a.get("value") for t, a in tags.tags if t == "option"]
    assert options[:4] == ["", "t1", "t2", "tenant-a"]  # tenants
    assert options[4:8] == ["", "critical", "high", "low"]  # severities, most severe first
    assert options[8:] == ["", "new", "open", "benign"]  # statuses, in workflow order
    sections = [
        a["id"] for t, a in tags.tags if t == "section" and "incident" in (a.get("class") or "")
    ]
    assert sections == [r["data-target"] for r in rows]
    assert queue_order(incidents)[0].incident_id == "b" * 16


def _section(html: str, incident_id: str) -> str:
    """The drill-down of one incident."""
    return html.split(f'id="incident-{incident_id}"')[1].split("</section>")[0]


def test_drill_down_holds_the_full_reason_members_hosts_and_techniques() -> None:
    rotation = _incident(
        np.sort(_jittered(600, 0.2)),
        beacon_kind="rotation",
        beacon_key="bani.cc + dosolfene.club + elpi.com",
        domains=("bani.cc", "dosolfene.club", "elpi.com"),
        attack_techniques=("T1071.004", "T1568"),
        reason="rotates over 3 domains; " + "x" * 5000 + " END",
    )
    campaign = _incident(
        np.sort(_jittered(900, 0.25)),
        incident_id="c" * 16,
        beacon_kind="campaign",
        hosts=("ws-001", "ws-007", "ws-012"),
    )
    html = render_html([rotation, campaign], title="t", generated_at=GENERATED)
    first = _section(html, rotation.incident_id)
    assert "x" * 5000 + " END" in first and "T1071.004, T1568" in first
    assert "Member domains (3)" in first and "<li>dosolfene.club</li>" in first
    assert "hosts in the tenant" not in first
    second = _section(html, campaign.incident_id)
    assert "Campaign hosts in the tenant (3)" in second and "<li>ws-012</li>" in second
    assert "Member domains" not in second
    assert "+2 hosts" in html.split('id="queue"')[1].split("</section>")[0]


def test_timeline_draws_a_tick_per_beat_and_bins_many() -> None:
    start, end = map(_epoch, WINDOW)
    empty = charts.timeline_svg(np.zeros(0), None, (), start, end)
    assert "no beats in the window" in empty and "<path" not in empty
    one = charts.timeline_svg(np.array([start + 3600.0]), None, (), start, end)
    assert _moves(one) == [1] and "1 beat, one tick each" in one
    few = charts.timeline_svg(np.array([start + 60.0, start + 7200.0]), None, (), start, end)
    assert _moves(few) == [2] and "2 beats, one tick each" in few
    many = np.sort(np.random.default_rng(1).uniform(start, end, 5000))
    binned = charts.timeline_svg(many, None, (), start, end)
    assert "5,000 beats, more than 2,000: beats per" in binned
    assert 0 < _moves(binned)[0] <= 1200 // 2  # one column per 2 pixels at most
    assert len(binned) < 40_000


def test_timeline_gives_each_rotation_member_a_row() -> None:
    start, end = map(_epoch, WINDOW)
    beats = np.sort(_jittered(600, 0.2))
    members = ("bani.cc", "dosolfene.club", "a-very-long-member-domain-name-indeed.example")
    labels = np.array([members[i % 3] for i in range(len(beats))], dtype=object)
    svg = charts.timeline_svg(beats, labels, members, start, end)
    assert svg.count("<path") == 3
    colours_used = re.findall(r'stroke="(#[0-9a-f]{6})"', svg)
    assert len(set(colours_used)) == 3
    assert f"<title>{members[2]}</title>{members[2][:23]}…" in svg
    counts = [
        int(c.replace(",", "")) for c in re.findall(r'class="label count"[^>]*>([\d,]+)<', svg)
    ]
    assert sum(counts) == len(beats)


def test_histogram_marks_the_period_and_counts_what_it_leaves_out() -> None:
    beats = np.sort(_jittered(3000, 0.3))
    beats = np.concatenate([beats, [beats[-1] + 40_000]])  # one long silence
    svg = charts.interval_histogram_svg(beats, 3000.0, 0.3)
    assert "period 50.0 min" in svg and 'class="band"' in svg
    assert f"{len(beats) - 1:,} intervals; 1 longer, up to 11.1 h" in svg
    assert "± 30% jitter" in svg
    (x,) = re.findall(r'<line class="period" x1="([\d.]+)"', _unlabelled(svg))
    frame = charts._Frame(charts.HISTOGRAM_PERIODS * 3000.0, 0, 1)
    assert float(x) == pytest.approx(frame.x(3000.0), abs=0.1)
    assert "No intervals" in charts.interval_histogram_svg(np.array([1.0]), 3000.0, 0.3)
    two = charts.interval_histogram_svg(np.array([0.0, 600.0]), None, None)
    assert _moves(two) == [1] and "period" not in two


def test_autocorrelation_peaks_at_the_period() -> None:
    start, end = map(_epoch, WINDOW)
    beats = np.sort(_jittered(600, 0.2))
    svg = charts.autocorrelation_svg(beats, start, end, 600.0)
    bars = sorted(
        (float(x), float(top), cls)
        for cls, d in re.findall(r'<path class="(acf(?: hill)?)" d="([^"]+)"', _unlabelled(svg))
        for x, top in re.findall(r"M([\d.]+) [\d.]+V([\d.]+)", d)
    )  # (left edge, top, class) of each bar, in lag order
    assert len(bars) == 6 * BINS_PER_PERIOD
    tallest = min(range(12), key=lambda lag: bars[lag][1])  # the lowest top is the highest bar
    assert bars[tallest][2] == "acf hill"  # lags 6-10 of 1-12: around one period
    hill, _ = acf_hill(beats, start, end, 600.0)
    assert hill > 0.3 and f"hill score {hill:.2f}" in svg
    for beats_, period, message in [
        (beats, None, "No period"),
        (beats[:3], 600.0, "Too few beats (3)"),
        (beats, 100_000.0, "shorter than three periods"),
    ]:
        assert message in charts.autocorrelation_svg(beats_, start, end, period)


def test_hundreds_of_incidents_stay_a_reasonable_file() -> None:
    rng = np.random.default_rng(5)
    start, end = map(_epoch, WINDOW)
    incidents = [
        _incident(
            np.sort(rng.uniform(start, end, 1900 if i % 10 else 9000)),
            incident_id=f"{i:016x}",
            score=float(rng.random()),
        )
        for i in range(300)
    ]
    html = render_html(incidents, title="t", generated_at=GENERATED)
    assert html.count('class="row ') == 300 and html.count('class="incident"') == 300
    assert len(html.encode()) < 6_500_000  # about 17 KB an incident of 1,900 beats


def test_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out" / "report.html"
    written = write_report(
        [_incident(_jittered(3000, 0.3))], target, title="first", generated_at=GENERATED
    )
    assert written == target
    assert "<title>first</title>" in target.read_text(encoding="utf-8")

    def broken(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(page.os, "fsync", broken)
    with pytest.raises(OSError, match="disk full"):
        write_report([], target, title="second", generated_at=GENERATED)
    assert "<title>first</title>" in target.read_text(encoding="utf-8")  # the old file whole
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]  # no partial left


# ------------------------------------------------------------------------------- browser

PLANTED = (
    BeaconSpec("uniform-50m", 3000, 0.3, "uniform", queries_per_beat=2),
    BeaconSpec(
        "rotation-10m", 600, 0.2, "uniform", shape="rotation", domains=4, name_style="unrelated"
    ),
    BeaconSpec(
        "campaign-15m", 900, 0.25, "uniform", shape="campaign", name_style="dga", spread_share=0.6
    ),
)
FLEET = Scenario(hosts=30, days=3, tenants=2, seed=5, events_per_host=400, beacons=PLANTED)


@pytest.fixture(scope="module")
def run_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fleet run end to end, then two analysts' verdicts applied by a findings build."""
    out = tmp_path_factory.mktemp("report-run")
    simulate(FLEET, out / "sim", workers=1)
    db = out / "run.duckdb"
    run_pipeline(str(out / "sim"), "duckdb", str(db), workers=1)
    warehouse._release_duckdb()
    queue = DuckDBWarehouse(str(db), read_only=True).query(
        "select * from main_findings.rpt_beacon_alerts where beacon_kind = 'domain' "
        "order by alert_rank"
    )
    until = dt.date.today() + dt.timedelta(days=7)
    verdicts = [
        decision(
            "benign",
            host=queue.host_id[0],
            domain=queue.beacon_key[0],
            by="analyst",
            note="reviewed: the vendor's updater",
        ),
        decision(
            "snoozed",
            host=queue.host_id[1],
            domain=queue.beacon_key[1],
            until=until,
            by="analyst",
            note="waiting for the owner",
        ),
    ]
    record(DuckDBWarehouse(str(db)), verdicts)
    assert warehouse.build(out / "sim", db_path=db, selector="findings").success
    warehouse._release_duckdb()
    return db


@pytest.fixture(scope="module")
def report(run_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    """The page ``beaconlake report`` writes for the run (low and above), and the same
    incidents plus a hand-made hostile one rendered as a second page."""
    folder = tmp_path_factory.mktemp("report")
    # left as written: each flag beside its value
    written = CliRunner().invoke(
        main, ["report", "--html", str(folder / "cli.html"), "--db", str(run_db),
               "--min-severity", "low", "--title", TITLE],
    )  # fmt: skip
    assert written.exit_code == 0, written.output
    incidents = read_incident_views(DuckDBWarehouse(str(run_db), read_only=True), "low")
    assert f"wrote {len(incidents):,} incidents" in written.output
    assert "<!doctype html>" in (folder / "cli.html").read_text(encoding="utf-8").lower()
    incidents.append(_hostile())
    path = folder / "report.html"
    write_report(incidents, path, title=TITLE, generated_at=GENERATED)
    return path, incidents


@pytest.mark.slow
def test_run_gives_the_report_every_kind(report: tuple[Path, list]) -> None:
    _, incidents = report
    kinds = {i.beacon_kind for i in incidents}
    assert kinds == {"rotation", "campaign", "domain", "slow"}
    assert {"new", "benign", "snoozed"} <= {i.status for i in incidents}  # the verdicts applied
    rotation = next(i for i in incidents if i.beacon_kind == "rotation")
    assert len(rotation.domains) == 4 and len(set(rotation.beat_domains or ())) == 4
    campaign = next(i for i in incidents if i.beacon_kind == "campaign")
    assert len(campaign.hosts) >= 4 and campaign.host_id in campaign.hosts


@pytest.mark.slow
def test_report_in_chromium(report: tuple[Path, list], tmp_path: Path) -> None:
    binary = require_chromium()
    path, incidents = report
    url = path.resolve().as_uri()
    dom = dump_dom(binary, url)
    tags = _parse(dom)
    rows = _rows(tags)
    assert len(rows) == len(incidents)
    assert {a["name"] for t, a in tags.tags if t == "select"} == {"tenant", "severity", "status"}
    # the count reads "N of M" only once the page's script ran (the CSP let it)
    assert f">{len(incidents)} of {len(incidents)} incidents<" in dom
    assert [t for t, _ in tags.tags if t == "img"] == [] and "alert(1)" not in str(tags.tags)
    assert HOSTILE_KEY in "".join(tags.text)
    rotation = next(i for i in incidents if i.beacon_kind == "rotation")
    section = _section(dom, rotation.incident_id)
    labels = re.findall(r'<svg class="chart"[^>]*aria-label="([^"]+)"', section)
    assert labels == ["beat timeline", "interval histogram", "autocorrelation"]
    assert rotation.reason in "".join(_parse(section).text)
    assert all(f"<li>{d}</li>" in section for d in rotation.domains)

    high = sum(i.severity == "high" for i in incidents)
    filtered = dump_dom(binary, url + "?severity=high")
    shown = {a["data-severity"] for a in _rows(_parse(filtered)) if "hidden" not in a}
    assert shown == {"high"}
    assert f">{high} of {len(incidents)} incidents<" in filtered

    queue = screenshot(binary, url, tmp_path / "queue.png")
    drill = screenshot(binary, f"{url}#incident-{rotation.incident_id}", tmp_path / "drill.png")
    for png in (queue, drill):
        assert image_size(png) == (1400, 1000) and png.stat().st_size > 30_000
        counted = colours(png)
        assert len(counted) > 200  # text, badges and charts, not a blank page
        assert counted.most_common(1)[0][1] < 0.9 * 1400 * 1000
    member_swatch = (0xEA, 0x58, 0x0C)  # the second member's colour, drawn in the timeline
    assert colours(drill)[member_swatch] > 20 and colours(queue)[member_swatch] == 0
    if os.environ.get(SCREENSHOTS_ENV):  # the docs' pictures: the run's incidents alone
        docs = Path(os.environ[SCREENSHOTS_ENV])
        run_only = [i for i in incidents if i.host_id != HOSTILE_HOST]
        plain = write_report(run_only, tmp_path / "plain.html", title=TITLE, generated_at=GENERATED)
        screenshot(binary, plain.resolve().as_uri(), docs / "report-queue.png")
        url = f"{plain.resolve().as_uri()}#incident-{rotation.incident_id}"
        screenshot(binary, url, docs / "report-incident.png")
