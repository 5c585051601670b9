"""Turn the Public Suffix List shipped by ``publicsuffixlist`` into a dbt seed.

The staging model ``stg_dns__query_names`` derives registered domains (eTLD+1) in SQL by joining
the suffixes of each distinct query name with these rules, so SQL and
``beaconlake.domains.registered_domain`` read the same list: ICANN and PRIVATE sections, every rule
also in its punycode (``xn--``) spelling, as the package does. The seed is committed, so a fresh
clone builds with plain ``dbt build``; after upgrading the pinned ``publicsuffixlist``,
``python -m beaconlake.psl`` rewrites it (``tests/test_dbt_psl.py`` fails while it is stale).

Columns of the CSV:

``rule_suffix``  the rule without its ``*.`` or ``!`` prefix, lowercase (``kawasaki.jp``)
``rule_kind``    ``normal`` (``co.uk``), ``wildcard`` (``*.kawasaki.jp``) or ``exception``
                 (``!city.kawasaki.jp``)
``rule_labels``  number of labels of ``rule_suffix``
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from publicsuffixlist import PSLFILE, encode_idn

#: Where dbt finds the seed, relative to the project root (committed).
DEFAULT_SEED_PATH = Path("seeds") / "public_suffix_rules.csv"

FIELDS = ("rule_suffix", "rule_kind", "rule_labels")


def parse_rules(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """Yield ``(rule_suffix, rule_kind)`` for every rule line of a PSL file, both sections."""
    for line in lines:
        text = line.strip().split(" ")[0].lower()
        if not text or text.startswith("//"):
            continue
        if text.startswith("!"):
            kind, suffix = "exception", text[1:]
        elif text.startswith("*."):
            kind, suffix = "wildcard", text[2:]
        else:
            kind, suffix = "normal", text
        yield suffix, kind
        encoded = encode_idn(suffix)
        if encoded != suffix:
            yield encoded, kind


def rules_from_package() -> list[tuple[str, str, int]]:
    """The distinct rules of the PSL copy bundled with ``publicsuffixlist``, sorted."""
    with open(PSLFILE, encoding="utf-8") as handle:
        rules = set(parse_rules(handle))
    return sorted((suffix, kind, suffix.count(".") + 1) for suffix, kind in rules)


def write_seed(path: str | os.PathLike[str] = DEFAULT_SEED_PATH) -> int:
    """Write the rules CSV to ``path`` (directories created); return the number of rules."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    rules = rules_from_package()
    tmp = target.with_suffix(".csv.tmp")
    with open(tmp, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(FIELDS)
        writer.writerows(rules)
    tmp.replace(target)
    return len(rules)


def main() -> None:
    """Entry point of ``python -m beaconlake.psl [PATH]``."""
    import sys

    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SEED_PATH
    count = write_seed(path)
    print(f"wrote {count} public suffix rules to {path}")


if __name__ == "__main__":
    main()
