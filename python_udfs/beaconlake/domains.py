"""Domain-name helpers shared by the simulator, the evaluator and the confirmation step.

The registered domain (eTLD+1) is derived from the Public Suffix List shipped by the
``publicsuffixlist`` package, ICANN and private sections both: a C2 hosted on
``evil.azurewebsites.net`` is keyed on that name, not on ``azurewebsites.net``.
"""

from __future__ import annotations

from functools import lru_cache

from publicsuffixlist import PublicSuffixList


@lru_cache(maxsize=1)
def _psl() -> PublicSuffixList:
    return PublicSuffixList()


def normalize_name(name: str) -> str:
    """Lowercase a query name and strip one trailing dot (the DNS root)."""
    name = name.strip().lower()
    return name[:-1] if name.endswith(".") else name


#: Names whose registered domain is kept: a window's hundred thousand candidate series share a
#: few thousand names.
REGISTERED_DOMAIN_CACHE = 1 << 16


@lru_cache(maxsize=REGISTERED_DOMAIN_CACHE)
def registered_domain(name: str) -> str:
    """The registered domain (eTLD+1) of a query name.

    Names that are themselves a public suffix, single labels (``wpad``) and names under an
    unknown top-level label (``printer.local``) fall back to the normalised name's last two
    labels, or the name itself, so every name has a key.
    """
    name = normalize_name(name)
    found = _psl().privatesuffix(name)
    if found:
        return found
    labels = name.split(".")
    return ".".join(labels[-2:]) if len(labels) >= 2 else name
