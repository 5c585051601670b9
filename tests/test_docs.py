"""Every relative link of the README and the docs pages reaches a file, and every `#anchor` a
heading of that file, by GitHub's rule for heading ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The pages a reader follows links through: the README, docs/ and the folders' own READMEs.
PAGES = sorted(
    [
        ROOT / "README.md",
        ROOT / "airflow" / "README.md",
        ROOT / "trino" / "README.md",
        *(ROOT / "docs").glob("*.md"),
    ]
)

_FENCE = re.compile(r"^(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def prose_lines(text: str) -> list[str]:
    """The lines of a markdown text outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


def github_anchor(heading: str) -> str:
    """The id GitHub gives a heading: its text lower-cased, punctuation dropped, each space a
    hyphen ("Plain `dbt build`" → plain-dbt-build); a link in it counts by its text."""
    text = _CODE_SPAN.sub(lambda m: m.group(2), heading)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """The ids of a page's headings, a repeated heading numbered as GitHub does (`-1`, `-2`)."""
    seen: dict[str, int] = {}
    ids = set()
    for line in prose_lines(page.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        base = github_anchor(match.group(2))
        n = seen.get(base, 0)
        seen[base] = n + 1
        ids.add(base if n == 0 else f"{base}-{n}")
    return ids


def links(page: Path) -> list[str]:
    """The link and image targets of a page, outside code blocks and code spans."""
    found = []
    for line in prose_lines(page.read_text(encoding="utf-8")):
        found += [m.group(2) for m in _LINK.finditer(_CODE_SPAN.sub("", line))]
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of a page whose file or heading does not exist, with the reason."""
    broken = []
    for target in links(page):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
            continue  # http:, https:, mailto: ...: not checked offline
        path, _, anchor = target.partition("#")
        dest = (page.parent / path).resolve() if path else page
        if not dest.exists():
            broken.append(f"{target}: no file {dest.relative_to(ROOT)}")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    return broken


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_docs_pages_open_with_a_title_and_what_they_cover() -> None:
    for page in (ROOT / "docs").glob("*.md"):
        lines = page.read_text(encoding="utf-8").splitlines()
        assert lines[0].startswith("# "), page.name
        assert lines[1] == "" and lines[2].strip(), f"{page.name}: no first paragraph"


def test_github_anchor_rule() -> None:
    assert github_anchor("One writer at a time; BI tools read an export") == (
        "one-writer-at-a-time-bi-tools-read-an-export"
    )
    assert github_anchor("Getting real logs in: `beaconlake ingest`") == (
        "getting-real-logs-in-beaconlake-ingest"
    )
    assert github_anchor("Plain `dbt build`") == "plain-dbt-build"


def test_a_broken_link_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "other.md").write_text("# Other\n\n## A section\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#a-section) [ok](#page) [gone](missing.md) "
        "[no heading](other.md#b-section) `[code](nowhere.md)`\n\n```\n[x](fenced.md)\n```\n"
    )
    assert broken_links(page) == [
        "missing.md: no file missing.md",
        "other.md#b-section: no heading #b-section in other.md",
    ]
