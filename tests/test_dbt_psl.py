"""The SQL registered-domain derivation (stg_dns__query_names) equals beaconlake.domains.

A few hundred names are built from the Public Suffix List itself (normal, wildcard, exception and
private-section rules, punycode, names that are a suffix, unknown TLDs, single labels), written as
raw events, run through ``dbt build --select +stg_dns__query_names`` and compared one by one.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from beaconlake import project, psl, warehouse
from beaconlake.domains import registered_domain


def _names(seed: int = 3, per_kind: int = 60) -> list[str]:
    rng = random.Random(seed)
    rules = psl.rules_from_package()
    ascii_rules = [r for r in rules if r[0].isascii()]
    names = ["printer.local", "wpad", "a.b.evil.azurewebsites.net", "www.bbc.co.uk", "co.uk", "com"]
    for kind in ("normal", "wildcard", "exception"):
        of_kind = [r for r in ascii_rules if r[1] == kind]
        for suffix, _, _ in rng.sample(of_kind, min(per_kind, len(of_kind))):
            names += [suffix, f"x.{suffix}", f"www.y.{suffix}"]
    names += [f"host{i}.corp-{i}.internal" for i in range(10)]
    names += [r[0] for r in rules if r[0].startswith("xn--")][:10]
    return sorted(set(names))


@pytest.fixture(scope="module")
def query_names(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str | None]:
    root = tmp_path_factory.mktemp("psl")
    names = _names()
    part = root / "events" / "event_date=2024-01-01"
    part.mkdir(parents=True)
    n = len(names)
    table = pa.table(
        {
            "event_time": pa.array([dt.datetime(2024, 1, 1, 12)] * n, pa.timestamp("us")),
            "host_id": ["h1"] * n,
            "query_name": names,
            "tenant_id": ["t1"] * n,
        }
    )
    pq.write_table(table, part / "part-0.parquet")
    db = root / "psl.duckdb"
    result = warehouse.run_dbt(
        ["build", "--select", "+stg_dns__query_names", "--indirect-selection", "cautious"],
        {"raw_dns_glob": warehouse.raw_glob(root)},
        db_path=db,
    )
    assert result.success
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select query_name, registered_domain from stg_dns__query_names "
            "where name_rejection_reason is null"
        ).fetchall()
    return dict(rows)


def test_sql_registered_domain_matches_python(query_names: dict[str, str | None]) -> None:
    assert len(query_names) > 300
    mismatches = {
        name: (sql, registered_domain(name))
        for name, sql in query_names.items()
        if sql != registered_domain(name)
    }
    assert not mismatches


def test_named_examples(query_names: dict[str, str | None]) -> None:
    assert query_names["printer.local"] == "printer.local"
    assert query_names["wpad"] == "wpad"
    assert query_names["a.b.evil.azurewebsites.net"] == "evil.azurewebsites.net"
    assert query_names["www.bbc.co.uk"] == "bbc.co.uk"


def test_committed_seed_is_the_pinned_package_list(tmp_path: Path) -> None:
    """The seed dbt reads is what ``python -m beaconlake.psl`` writes from the installed
    ``publicsuffixlist``: rerun it after upgrading the package."""
    psl.write_seed(tmp_path / "rules.csv")
    committed = project.project_dir() / psl.DEFAULT_SEED_PATH
    assert committed.read_bytes() == (tmp_path / "rules.csv").read_bytes(), (
        f"{committed} is stale: run python -m beaconlake.psl"
    )


def test_seed_has_both_sections(tmp_path: Path) -> None:
    count = psl.write_seed(tmp_path / "rules.csv")
    text = (tmp_path / "rules.csv").read_text(encoding="utf-8")
    assert count > 5000
    assert "\nco.uk,normal,2\n" in text  # ICANN section
    assert "\nazurewebsites.net,normal,2\n" in text  # PRIVATE section
    assert ",exception," in text and ",wildcard," in text
