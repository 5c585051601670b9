"""Tests for the evaluation harness: matching rules, metric arithmetic, buckets and the CLI.

The main fixture is small enough to score by hand; the expected numbers are derived in comments
next to each assertion.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from beaconlake.cli import main
from beaconlake.errors import InputError
from beaconlake.evaluate import (
    JITTER_BUCKETS,
    KIND_BENIGN,
    KIND_C2,
    KIND_UNMATCHED,
    PERIOD_BUCKETS,
    average_precision,
    bucket_labels,
    evaluate,
    load_findings,
    load_truth,
    match,
    plot_recall_vs_jitter,
    prepare_findings,
    prepare_truth,
    render_table,
    score,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def truth_row(tenant: str, host: str, label: str, query: str, reg: str, **over: object) -> dict:
    """One ground-truth row with harmless defaults for the bucket columns."""
    row: dict[str, object] = {
        "tenant_id": tenant,
        "host_id": host,
        "label": label,
        "category": "c2" if label == "c2" else "prevalent_service",
        "channel": "x",
        "query_name": query,
        "registered_domain": reg,
        "subdomain_per_beat": False,
        "period_seconds": 60.0,
        "jitter": 0.0,
        "jitter_model": "none",
        "drop_prob": 0.0,
        "offline_at_night": False,
        "queries_per_beat": 1,
        "scheduled_beats": 100,
        "n_beats": 100,
        "n_events": 100,
        "missing_share": 0.0,
        "first_seen_at": "2025-01-01T00:00:00Z",
        "last_seen_at": "2025-01-02T00:00:00Z",
    }
    row.update(over)
    row.setdefault("query_type", "A")
    return row


def truth_frame() -> pd.DataFrame:
    """Four C2 channels (rows 0-3) and three benign periodic ones (rows 4-6)."""
    return pd.DataFrame(
        [
            truth_row("t1", "h1", "c2", "api.evil.top", "evil.top", period_seconds=30, n_beats=150),
            truth_row(
                "t1",
                "h2",
                "c2",
                "beacon.bad.xyz",
                "bad.xyz",
                jitter=0.2,
                jitter_model="uniform",
                period_seconds=300,
                n_beats=50,
                missing_share=0.05,
            ),
            truth_row(
                "t1",
                "h3",
                "c2",
                "t.tunnel.io",
                "tunnel.io",
                jitter=0.5,
                jitter_model="sleep_reduction",
                period_seconds=3600,
                n_beats=10,
                missing_share=0.3,
                subdomain_per_beat=True,
            ),
            truth_row(
                "t2",
                "h1",
                "c2",
                "api.evil.top",
                "evil.top",
                jitter=0.9,
                jitter_model="gaussian",
                period_seconds=30000,
                n_beats=25,
                missing_share=0.6,
            ),
            truth_row("t1", "h1", "benign_periodic", "telemetry.vendor.com", "vendor.com"),
            truth_row(
                "t1",
                "h2",
                "benign_periodic",
                "update.rare.net",
                "rare.net",
                category="rare_service",
            ),
            # Same host and registered domain as C2 row 0: a finding on evil.top hits both.
            truth_row("t1", "h1", "benign_periodic", "cdn.evil.top", "evil.top"),
        ]
    )


def findings_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("t1", "h3", "t.tunnel.io", 0.95),  # TP row 2
            ("t1", "h1", "EVIL.TOP.", 0.90),  # TP row 0 (registered domain); also hits row 6
            ("t1", "h1", "telemetry.vendor.com", 0.85),  # benign flag row 4
            ("t1", "h2", "beacon.bad.xyz", 0.80),  # TP row 1
            ("t1", "h9", "www.news.com", 0.70),  # human FP
            ("t9", "h2", "beacon.bad.xyz", 0.60),  # tenant mismatch: human FP
            ("t1", "h1", "api.evil.top", 0.50),  # duplicate of row 0
            ("t1", "h9", "www.news.com", 0.20),  # same human group as 0.70
        ],
        columns=["tenant_id", "host_id", "domain", "score"],
    )


@pytest.fixture
def truth() -> pd.DataFrame:
    return prepare_truth(truth_frame())


@pytest.fixture
def findings() -> pd.DataFrame:
    return prepare_findings(findings_frame(), name="det")


def write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    truth_path, findings_path = tmp_path / "ground_truth.csv", tmp_path / "det.csv"
    truth_frame().to_csv(truth_path, index=False)
    findings_frame().to_csv(findings_path, index=False)
    return truth_path, findings_path


def run_cli(*args: object) -> Result:
    return CliRunner().invoke(main, ["evaluate", *(str(a) for a in args)])


# ---------------------------------------------------------------------------- average precision


def test_average_precision_by_hand() -> None:
    # Ranks T, F, T with 3 positives: precision@1 = 1, precision@3 = 2/3; the third adds 0.
    ap = average_precision([0.9, 0.8, 0.7], [True, False, True], 3)
    assert ap == pytest.approx((1 / 1 + 2 / 3) / 3)


def test_average_precision_orders_by_score_not_input_order() -> None:
    ap = average_precision([0.7, 0.8, 0.9], [True, False, True], 2)
    # Ranking by score is T(0.9), F(0.8), T(0.7): (1 + 2/3) / 2.
    assert ap == pytest.approx((1 + 2 / 3) / 2)


def test_average_precision_ties_form_one_threshold() -> None:
    # T and F tied first: precision 1/2 at that threshold, then 2/3.
    ap = average_precision([0.9, 0.9, 0.5], [True, False, True], 2)
    assert ap == pytest.approx((1 / 2 + 2 / 3) / 2)


def test_average_precision_without_positives_is_undefined() -> None:
    assert average_precision([0.5], [False], 0) is None


# ----------------------------------------------------------------------------------- matching


def test_registered_domain_finding_matches_subdomain_channel(truth: pd.DataFrame) -> None:
    found = prepare_findings(
        pd.DataFrame(
            [("t1", "h1", "evil.top", 1.0)], columns=["tenant_id", "host_id", "domain", "score"]
        )
    )
    matched = match(truth, found)
    assert matched["truth_id"].tolist() == [0]
    assert matched["matched_on"].tolist() == ["registered_domain"]


def test_c2_wins_over_benign_on_the_same_registered_domain(truth, findings) -> None:
    matched = match(truth, findings)
    evil = matched[matched["domain"] == "evil.top"]
    # Row 6 (benign cdn.evil.top) also matches, but the finding counts as C2 only.
    assert evil["kind"].tolist() == [KIND_C2]
    assert evil["truth_id"].tolist() == [0]


def test_case_and_trailing_dot_are_normalised(truth: pd.DataFrame) -> None:
    found = prepare_findings(
        pd.DataFrame(
            [("t1", "h2", "Beacon.BAD.xyz.", 1.0)],
            columns=["tenant_id", "host_id", "domain", "score"],
        )
    )
    matched = match(truth, found)
    assert matched["truth_id"].tolist() == [1]
    assert matched["matched_on"].tolist() == ["query_name"]


def test_tenant_mismatch_is_not_a_match(truth: pd.DataFrame) -> None:
    found = prepare_findings(
        pd.DataFrame(
            [("t9", "h2", "beacon.bad.xyz", 1.0), ("t1", "h9", "beacon.bad.xyz", 1.0)],
            columns=["tenant_id", "host_id", "domain", "score"],
        )
    )
    matched = match(truth, found)
    assert matched["kind"].tolist() == [KIND_UNMATCHED, KIND_UNMATCHED]
    assert matched["truth_id"].isna().all()


def test_benign_match_is_labelled_benign(truth, findings) -> None:
    matched = match(truth, findings)
    vendor = matched[matched["domain"] == "telemetry.vendor.com"]
    assert vendor["kind"].tolist() == [KIND_BENIGN]
    assert vendor["truth_id"].tolist() == [4]


def test_numeric_ids_match_text_ids() -> None:
    raw = truth_frame().assign(tenant_id=[1, 1, 1, 2, 1, 1, 1], host_id=7)
    found = prepare_findings(
        pd.DataFrame({"tenant_id": [1.0], "host_id": ["7"], "domain": ["bad.xyz"], "score": [1]})
    )
    assert match(prepare_truth(raw), found)["truth_id"].tolist() == [1]


# ------------------------------------------------------------------------------------ scoring


def test_overall_counts_and_rates(truth, findings) -> None:
    report = score(match(truth, findings), truth)
    assert report.detector == "det"
    assert report.findings == 8
    assert report.positives == 4
    assert report.true_positives == 3  # rows 0, 1, 2
    assert report.false_negatives == 1  # row 3 (tenant t2)
    assert report.duplicates == 1  # api.evil.top after evil.top
    assert report.benign_flags == 1  # row 4; row 6 is not flagged: that finding counts as C2
    assert report.benign_channels == 3
    assert report.benign_flag_rate == pytest.approx(1 / 3)
    assert report.human_false_positives == 2  # news (two findings, one group) and tenant t9
    assert report.finding_groups == 6
    assert report.precision == pytest.approx(3 / 6)
    assert report.precision_vs_human == pytest.approx(3 / 5)
    assert report.recall == pytest.approx(3 / 4)
    assert report.f1 == pytest.approx(2 * 0.5 * 0.75 / 1.25)
    # Groups by max score: T .95, T .90, F .85, T .80, F .70, F .60; 4 positives.
    assert report.average_precision == pytest.approx((1 + 1 + 3 / 4) / 4)
    assert report.out_of_scope_positives == 0


def test_duplicates_are_not_false_positives(truth: pd.DataFrame) -> None:
    found = prepare_findings(
        pd.DataFrame(
            [("t1", "h1", "api.evil.top", s) for s in (0.9, 0.8, 0.7)],
            columns=["tenant_id", "host_id", "domain", "score"],
        )
    )
    report = score(match(truth, found), truth)
    assert (report.true_positives, report.duplicates) == (1, 2)
    assert report.precision == 1.0
    assert report.human_false_positives == report.benign_flags == 0


def test_min_beats_puts_short_channels_out_of_scope(truth, findings) -> None:
    report = score(match(truth, findings), truth, min_beats=20)
    # Row 2 (10 beats) leaves the positives; its finding is neither TP nor FP.
    assert report.positives == 3
    assert report.true_positives == 2
    assert report.out_of_scope_positives == 1
    assert report.out_of_scope_flagged == 1
    assert report.precision == pytest.approx(2 / 5)
    assert report.recall == pytest.approx(2 / 3)
    # Ranking T, F, T, F, F with 3 positives.
    assert report.average_precision == pytest.approx((1 / 1 + 2 / 3) / 3)


def test_benign_flags_by_category(truth, findings) -> None:
    report = score(match(truth, findings), truth)
    by_cat = {k: (v.flagged, v.total) for k, v in report.benign_by_category.items()}
    assert by_cat == {"prevalent_service": (1, 2), "rare_service": (0, 1)}


def test_no_findings_means_zero_recall_and_undefined_precision(truth: pd.DataFrame) -> None:
    empty = prepare_findings(pd.DataFrame(columns=["tenant_id", "host_id", "domain", "score"]))
    report = evaluate(truth, empty, detectors=["quiet"])["quiet"]
    assert report.true_positives == 0
    assert report.recall == 0.0
    assert report.precision is None
    assert report.average_precision == 0.0


def test_several_detectors_in_one_frame_are_scored_apart(truth: pd.DataFrame) -> None:
    raw = pd.DataFrame(
        {
            "tenant_id": ["t1", "t1"],
            "host_id": ["h1", "h9"],
            "domain": ["evil.top", "a.com"],
            "score": [1.0, 1.0],
            "detector": ["good", "bad"],
        }
    )
    reports = evaluate(truth, prepare_findings(raw))
    assert set(reports) == {"good", "bad"}
    assert (reports["good"].true_positives, reports["good"].human_false_positives) == (1, 0)
    assert (reports["bad"].true_positives, reports["bad"].human_false_positives) == (0, 1)


# ------------------------------------------------------------------------------------ buckets


def bucket_dict(report, dimension: str) -> dict[str, tuple[int, int]]:
    return {b.bucket: (b.positives, b.detected) for b in report.recall_by[dimension]}


def test_recall_buckets(truth, findings) -> None:
    report = score(match(truth, findings), truth)
    assert bucket_dict(report, "jitter") == {
        "0": (1, 1),
        "≤10%": (0, 0),
        "≤25%": (1, 1),
        "≤50%": (1, 1),
        "≤80%": (0, 0),
        ">80%": (1, 0),
    }
    assert bucket_dict(report, "period") == {
        "<1 min": (1, 1),
        "1–10 min": (1, 1),
        "10–60 min": (0, 0),
        "1–6 h": (1, 1),
        "≥6 h": (1, 0),
    }
    assert bucket_dict(report, "jitter_model") == {
        "none": (1, 1),
        "uniform": (1, 1),
        "sleep_reduction": (1, 1),
        "gaussian": (1, 0),
    }
    assert bucket_dict(report, "missing_share") == {
        "0": (1, 1),
        "≤10%": (1, 1),
        "≤25%": (0, 0),
        "≤50%": (1, 1),
        ">50%": (1, 0),
    }
    assert bucket_dict(report, "beats") == {"<20": (1, 1), "20–99": (2, 1), "≥100": (1, 1)}
    assert bucket_dict(report, "subdomain_per_beat") == {"false": (3, 2), "true": (1, 1)}
    gaussian = next(b for b in report.recall_by["jitter"] if b.bucket == ">80%")
    empty = next(b for b in report.recall_by["jitter"] if b.bucket == "≤10%")
    assert (gaussian.recall, empty.recall) == (0.0, None)


def test_bucket_edges_are_inclusive_where_labelled() -> None:
    jitter = JITTER_BUCKETS.assign(pd.Series([0.0, 1e-9, 0.10, 0.25, 0.5, 0.8, 0.81, None]))
    assert jitter.tolist() == ["0", "≤10%", "≤10%", "≤25%", "≤50%", "≤80%", ">80%", "unknown"]
    period = PERIOD_BUCKETS.assign(pd.Series([59.9, 60, 600, 3600, 21600, 1e9]))
    assert period.tolist() == ["<1 min", "1–10 min", "10–60 min", "1–6 h", "≥6 h", "≥6 h"]


def test_model_none_counts_as_zero_jitter() -> None:
    truth = prepare_truth(
        pd.DataFrame(
            [truth_row("t", "h", "c2", "a.b.com", "b.com", jitter=0.3, jitter_model="none")]
        )
    )
    assert bucket_labels(truth)["jitter"].tolist() == ["0"]


def test_render_table_states_precision_is_overall(truth, findings) -> None:
    text = render_table(score(match(truth, findings), truth, min_beats=20))
    assert "Precision is defined overall only" in text
    assert "out of scope" in text
    assert "≤25%" in text


# ------------------------------------------------------------------------------------ loading


def test_load_truth_accepts_the_simulator_directory(tmp_path: Path) -> None:
    write_inputs(tmp_path)
    truth = load_truth(tmp_path)
    assert len(truth) == 7
    assert truth["is_c2"].sum() == 4


def test_load_truth_rejects_empty_and_incomplete_files(tmp_path: Path) -> None:
    path = tmp_path / "ground_truth.csv"
    truth_frame().iloc[:0].to_csv(path, index=False)
    with pytest.raises(InputError, match="no rows"):
        load_truth(path)
    truth_frame().drop(columns="jitter").to_csv(path, index=False)
    with pytest.raises(InputError, match="jitter"):
        load_truth(path)


def test_load_findings_from_parquet_and_duckdb(tmp_path: Path) -> None:
    parquet = tmp_path / "fft.parquet"
    findings_frame().to_parquet(parquet)
    assert load_findings(parquet)["detector"].unique().tolist() == ["fft"]
    db = tmp_path / "findings.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table hits as select * from read_parquet(?)", [str(parquet)])
    loaded = load_findings(db, table="hits")
    assert len(loaded) == 8
    assert loaded["detector"].unique().tolist() == ["hits"]


def test_explicit_name_prefixes_a_multi_detector_file() -> None:
    raw = findings_frame().assign(detector=["a", "b"] * 4)
    assert set(prepare_findings(raw, name="v2")["detector"]) == {"v2/a", "v2/b"}
    single = findings_frame().assign(detector="a")
    assert set(prepare_findings(single, name="v2")["detector"]) == {"v2"}


# ---------------------------------------------------------------------------------------- CLI


def test_cli_writes_json_and_png(tmp_path: Path) -> None:
    truth_path, findings_path = write_inputs(tmp_path)
    out_json, out_png = tmp_path / "report.json", tmp_path / "recall.png"
    result = run_cli(
        "--ground-truth",
        truth_path,
        "--findings",
        findings_path,
        "--json",
        out_json,
        "--plot",
        out_png,
        "--min-beats",
        20,
    )
    assert result.exit_code == 0, result.output
    assert "Detector: det" in result.stdout
    doc = json.loads(out_json.read_text(encoding="utf-8"))
    det = doc["detectors"]["det"]
    assert (det["true_positives"], det["positives"], det["out_of_scope_positives"]) == (2, 3, 1)
    assert det["precision"] == pytest.approx(0.4)
    assert det["recall_by"]["jitter"][0] == {
        "bucket": "0",
        "positives": 1,
        "detected": 1,
        "recall": 1.0,
    }
    assert "overall only" in doc["precision_note"]
    png = out_png.read_bytes()
    assert png.startswith(PNG_MAGIC)
    assert len(png) > 1000


def test_cli_json_to_stdout_stays_parseable(tmp_path: Path) -> None:
    truth_path, findings_path = write_inputs(tmp_path)
    result = run_cli(
        "--ground-truth",
        truth_path,
        "--findings",
        f"a={findings_path}",
        "--findings",
        f"b={findings_path}",
        "--json",
        "-",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc["detectors"]) == {"a", "b"}
    assert doc["detectors"]["b"]["average_precision"] == pytest.approx(0.6875)
    assert "Detector: a" in result.stderr


def test_cli_reads_duckdb_table(tmp_path: Path) -> None:
    truth_path, findings_path = write_inputs(tmp_path)
    db = tmp_path / "f.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table hits as select * from read_csv(?)", [str(findings_path)])
    result = run_cli(
        "--ground-truth", truth_path, "--findings-db", db, "--findings-table", "hits", "--json", "-"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["detectors"]["hits"]["true_positives"] == 3


def assert_one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in lines[0]


def test_cli_missing_findings_file(tmp_path: Path) -> None:
    truth_path, _ = write_inputs(tmp_path)
    result = run_cli("--ground-truth", truth_path, "--findings", tmp_path / "nope.csv")
    assert_one_line_error(result, "not found", "nope.csv")


def test_cli_missing_truth_file(tmp_path: Path) -> None:
    _, findings_path = write_inputs(tmp_path)
    result = run_cli("--ground-truth", tmp_path / "gt.csv", "--findings", findings_path)
    assert_one_line_error(result, "ground truth not found", "gt.csv")


def test_cli_missing_column(tmp_path: Path) -> None:
    truth_path, findings_path = write_inputs(tmp_path)
    findings_frame().drop(columns="score").to_csv(findings_path, index=False)
    result = run_cli("--ground-truth", truth_path, "--findings", findings_path)
    assert_one_line_error(result, "score")


def test_cli_empty_ground_truth(tmp_path: Path) -> None:
    truth_path, findings_path = write_inputs(tmp_path)
    truth_frame().iloc[:0].to_csv(truth_path, index=False)
    result = run_cli("--ground-truth", truth_path, "--findings", findings_path)
    assert_one_line_error(result, "no rows")


def test_cli_missing_duckdb_table(tmp_path: Path) -> None:
    truth_path, _ = write_inputs(tmp_path)
    db = tmp_path / "f.duckdb"
    duckdb.connect(str(db)).close()
    result = run_cli("--ground-truth", truth_path, "--findings-db", db, "--findings-table", "x")
    assert_one_line_error(result, "cannot read table x")


def test_plot_has_one_line_per_detector(tmp_path: Path, truth, findings) -> None:
    matched = match(truth, findings)
    reports = {"a": score(matched, truth, detector="det"), "b": score(matched.iloc[:0], truth)}
    path = tmp_path / "p.png"
    fig = plot_recall_vs_jitter(reports, path)
    assert path.read_bytes()[:8] == PNG_MAGIC
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["a", "b"]
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == ">80%\nn=1"


# ------------------------------------------------------------ shapes, alert load and severity


def shaped_truth() -> pd.DataFrame:
    """Three C2 channels of different shapes and two benign periodic channels."""
    # left as written: items in rows, not one per line
    return pd.DataFrame(
        [
            truth_row("t1", "h1", "c2", "api.ipcheck-nova.top", "ipcheck-nova.top",
                      shape="rotation", other_names="api.ipcheck-lux.su;api.ipcheck-zen.xyz"),
            truth_row("t1", "h2", "c2", "t.zumbaxo.xyz", "zumbaxo.xyz", shape="strobe",
                      query_type="NULL", period_seconds=1.5),
            truth_row("t1", "h3", "c2", "kolibrax.top", "kolibrax.top", shape="slow",
                      period_seconds=14400, n_beats=12),
            truth_row("t1", "h1", "benign_periodic", "teams.example.com", "example.com",
                      category="ttl_app", shape=""),
            truth_row("t1", "h4", "benign_periodic", "wpad", "wpad", category="local_discovery",
                      shape=""),
        ]
    )  # fmt: skip


def shaped_findings() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("t1", "h1", "ipcheck-zen.xyz", 0.9, "high"),  # TP rotation via another name
            ("t1", "h2", "zumbaxo.xyz", 0.8, "medium"),  # TP strobe
            ("t1", "h1", "teams.example.com", 0.7, "medium"),  # ttl_app flag
            ("t1", "h4", "wpad", 0.3, "low"),  # local_discovery flag, low severity
            ("t1", "h9", "news.example.org", 0.35, "low"),  # human FP, low severity
            ("t1", "h8", "shop.example.net", 0.5, "medium"),  # human FP
        ],
        columns=["tenant_id", "host_id", "domain", "score", "severity"],
    )


def test_rotation_matches_any_of_its_names() -> None:
    truth = prepare_truth(shaped_truth())
    matched = match(truth, prepare_findings(shaped_findings().iloc[:1]))
    assert matched["truth_id"].tolist() == [0]
    assert matched["kind"].tolist() == [KIND_C2]
    assert matched["matched_on"].tolist() == ["other_registered_domain"]


def test_recall_per_shape_and_alert_load_by_hand() -> None:
    truth = prepare_truth(shaped_truth())
    report = score(match(truth, prepare_findings(shaped_findings())), truth, host_days=400)
    # rotation and strobe found, slow missed.
    assert bucket_dict(report, "shape") == {"rotation": (1, 1), "strobe": (1, 1), "slow": (1, 0)}
    assert (report.true_positives, report.benign_flags, report.human_false_positives) == (2, 2, 2)
    # Non-C2 findings: 2 benign flags + 2 human FPs = 4 over 400 host-days = 1 per 100.
    assert report.non_c2_alerts == 4
    assert report.alert_load_per_100_host_days == pytest.approx(1.0)
    by_cat = {k: (v.flagged, v.total) for k, v in report.benign_by_category.items()}
    assert by_cat == {"local_discovery": (1, 1), "ttl_app": (1, 1)}
    # Ranking T .9, T .8, F .7, F .5, F .35, F .3; three positives: (1 + 1) / 3.
    assert report.average_precision == pytest.approx(2 / 3)
    assert (
        score(match(truth, prepare_findings(shaped_findings())), truth).to_dict()[
            "alert_load_per_100_host_days"
        ]
        is None
    )  # no host-days, no load


def test_severity_threshold_drops_lower_findings() -> None:
    truth = prepare_truth(shaped_truth())
    findings = prepare_findings(shaped_findings(), name="det")
    report = evaluate(truth, findings, host_days=400, min_severity="Medium")["det"]
    # The two low findings (wpad, news) go: 2 TP, 1 benign flag, 1 human FP.
    assert (report.true_positives, report.benign_flags, report.human_false_positives) == (2, 1, 1)
    assert report.alert_load_per_100_host_days == pytest.approx(0.5)
    assert report.min_severity == "medium"
    high = evaluate(truth, findings, min_severity="high")["det"]
    assert (high.true_positives, high.benign_flags, high.human_false_positives) == (1, 0, 0)
    with pytest.raises(InputError, match="severity column"):
        evaluate(truth, prepare_findings(findings_frame()), min_severity="low")
    with pytest.raises(InputError, match="one of"):
        evaluate(truth, findings, min_severity="urgent")


def test_truth_without_shape_column_is_classic(truth: pd.DataFrame, findings) -> None:
    report = score(match(truth, findings), truth)
    assert bucket_dict(report, "shape") == {"classic": (4, 3)}


def test_cli_alert_load_from_manifest_and_severity(tmp_path: Path) -> None:
    shaped_truth().to_csv(tmp_path / "ground_truth.csv", index=False)
    shaped_findings().to_csv(tmp_path / "det.csv", index=False)
    (tmp_path / "manifest.json").write_text(json.dumps({"summary": {"host_days": 200}}))
    # left as written: each flag beside its value
    result = run_cli("--ground-truth", tmp_path, "--findings", tmp_path / "det.csv",
                     "--severity", "medium", "--json", "-")  # fmt: skip
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    det = doc["detectors"]["det"]
    assert det["host_days"] == 200
    assert det["alert_load_per_100_host_days"] == pytest.approx(1.0)  # 2 non-C2 / 200 × 100
    assert {b["bucket"] for b in det["recall_by"]["shape"]} == {"rotation", "strobe", "slow"}
    # earlier keys stay
    for key in ("precision", "precision_vs_human", "recall", "benign_by_category", "recall_by"):
        assert key in det
    assert "alert load" in result.stderr
    # left as written: each flag beside its value
    override = run_cli("--ground-truth", tmp_path, "--findings", tmp_path / "det.csv",
                       "--host-days", 50, "--json", "-")  # fmt: skip
    det = json.loads(override.stdout)["detectors"]["det"]
    assert det["alert_load_per_100_host_days"] == pytest.approx(100 * 4 / 50)
    # left as written: each flag beside its value
    bad = run_cli("--ground-truth", tmp_path, "--findings", tmp_path / "det.csv",
                  "--severity", "urgent")  # fmt: skip
    assert_one_line_error(bad, "severity must be one of")


def test_null_query_type_survives_the_csv(tmp_path: Path) -> None:
    shaped_truth().to_csv(tmp_path / "ground_truth.csv", index=False)
    truth = load_truth(tmp_path)
    assert truth.loc[1, "query_type"] == "NULL"
    assert truth.loc[0, "other_names"].endswith("ipcheck-zen.xyz")


def test_one_finding_on_a_shared_domain_is_one_alert() -> None:
    # Two directory channels of one host share the registered domain corp.internal.
    # left as written: one record per line
    truth = prepare_truth(
        pd.DataFrame(
            [
                truth_row("t1", "h1", "c2", "evil.top", "evil.top"),
                truth_row("t1", "h5", "benign_periodic", "_ldap._tcp.dc.corp.internal",
                          "corp.internal", category="directory"),
                truth_row("t1", "h5", "benign_periodic", "dc01.corp.internal", "corp.internal",
                          category="directory"),
            ]
        )
    )  # fmt: skip
    found = prepare_findings(
        pd.DataFrame(
            [("t1", "h5", "corp.internal", 0.6), ("t1", "h6", "x.example.com", 0.5)],
            columns=["tenant_id", "host_id", "domain", "score"],
        )
    )
    report = score(match(truth, found), truth, host_days=50)
    assert (report.benign_flags, report.human_false_positives) == (2, 1)  # channels flagged
    assert report.non_c2_alerts == 2  # what the analyst sees: two findings
    assert report.alert_load_per_100_host_days == pytest.approx(4.0)
