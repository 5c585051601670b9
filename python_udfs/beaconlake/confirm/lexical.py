"""What a DNS name says by itself: a local or internal name, a machine-made (DGA-like) label,
a top-level domain favoured by abuse.

None of these separate C2 from benign traffic alone (CDN edge names look random, C2 names can be
plain words), so they only move a periodic candidate's score and are always spelled out in its
reason. Names are expected normalised (lowercase, no trailing dot).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from publicsuffixlist import PublicSuffixList

#: Reverse-lookup zones: a host resolving an address to a name, typically its own LAN's.
REVERSE_ZONES = ("in-addr.arpa", "ip6.arpa")
#: Suffixes reserved or conventionally used for names that never leave the site.
LOCAL_SUFFIXES = (
    "local",  # mDNS
    "home.arpa",
    "internal",
    "intranet",
    "lan",
    "home",
    "corp",
    "private",
    "localdomain",
    "localhost",
    "domain",
    "workgroup",
)
#: Labels that mark an internal zone under any suffix (``dc01.corp.example.com``).
INTERNAL_ZONE_LABELS = frozenset({"corp", "intranet", "internal", "localdomain"})
#: First labels of discovery lookups every LAN makes (proxy auto-discovery, IPv6 tunnelling).
DISCOVERY_LABELS = frozenset({"wpad", "isatap"})
#: Top-level domains over-represented among abused registrations (Spamhaus and Interisle
#: abuse reports): cheap or free to register, rarely used by enterprise vendors.
ABUSED_TLDS = frozenset(
    "top xyz su pw tk ml ga cf gq cc ws club online site icu buzz work rest fit bid loan win "
    "date racing download stream gdn men kim party review trade cyou monster sbs cfd click "
    "space website live shop store fun host press uno link surf best".split()
)
_VOWELS = frozenset("aeiouy")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{4,}")
_HEX = re.compile(r"^[0-9a-f]{12,}$")
_DIGIT_RUN = re.compile(r"[0-9]+")


#: Names whose features are kept: a window's candidates share a few thousand names among
#: a hundred thousand series.
LEXICAL_CACHE = 1 << 16


@lru_cache(maxsize=1)
def _strict_psl() -> PublicSuffixList:
    return PublicSuffixList(accept_unknown=False)


@lru_cache(maxsize=LEXICAL_CACHE)
def local_kind(name: str) -> str | None:
    """Why ``name`` is a local or internal name, or None when it is an ordinary internet name.

    Covers reverse lookups (in-addr.arpa / ip6.arpa), mDNS (.local), reserved and conventional
    internal suffixes (.internal, .lan, .home.arpa, .corp, ...), single-label (NetBIOS / LLMNR)
    names, DNS-SD / Active Directory service records (``_ldap._tcp...``), proxy auto-discovery
    (``wpad``), internal zones (``corp.`` labels) and top-level domains that do not exist.
    """
    name = name.strip(".").lower()
    labels = name.split(".")
    for zone in REVERSE_ZONES:
        if name == zone or name.endswith("." + zone):
            return f"reverse lookup (.{zone})"
    if len(labels) == 1:
        return "single-label name (NetBIOS / LLMNR)"
    if any(label.startswith("_") for label in labels):
        return "service discovery record (" + ".".join(lb for lb in labels if lb[:1] == "_") + ")"
    for suffix in LOCAL_SUFFIXES:
        if name.endswith("." + suffix):
            return f"internal name (.{suffix})"
    if labels[0] in DISCOVERY_LABELS:
        return f"proxy / network auto-discovery ({labels[0]})"
    internal = [label for label in labels[:-2] if label in INTERNAL_ZONE_LABELS]
    if internal:
        return f"internal zone ({internal[0]}.)"
    if _strict_psl().publicsuffix(name) is None:
        return f"unknown top-level domain (.{labels[-1]})"
    return None


def entropy(text: str) -> float:
    """Shannon entropy of the characters of ``text`` in bits per character (0 when empty)."""
    if not text:
        return 0.0
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in Counter(text).values())


@dataclass(frozen=True)
class Lexical:
    """Lexical features of one name. ``dga`` in [0, 1]: how machine-made its most telling
    label looks (1 = random letters and digits, 0 = a word)."""

    label: str  # the registered domain's own label (``kolibrax`` of ``cdn.kolibrax.top``)
    length: int
    entropy: float  # bits per character of ``label``
    digit_share: float
    vowel_share: float  # of the letters
    dga: float
    abused_tld: bool
    random_subdomain: bool  # the leftmost label looks like encoded data (hex, base32, long)
    #: the name looks random: machine-made (``dga`` >= 0.5), a random subdomain label, or a
    #: registered label of 8+ characters with digits scattered among its letters (``u6yd972v2j``)
    random_looking: bool
    local: str | None  # why the name is local or internal (see ``local_kind``), else None
    tld: str  # the public suffix

    def describe(self) -> list[str]:
        """Short phrases for a reason, only for features that say something."""
        out = []
        if self.dga >= 0.5:
            out.append(f"machine-made-looking name ({self.label}, DGA-likeness {self.dga:.2f})")
        if self.random_subdomain:
            out.append("random-looking subdomain label")
        if self.abused_tld:
            out.append(f"often-abused TLD .{self.tld}")
        return out


def _split(name: str) -> tuple[str, list[str], str]:
    """(registered label, labels under it, public suffix) of a name."""
    suffix = _strict_psl().publicsuffix(name) or name.rsplit(".", 1)[-1]
    head = name[: -len(suffix)].rstrip(".") if name != suffix else ""
    labels = head.split(".") if head else []
    return (labels[-1] if labels else suffix), labels[:-1], suffix


def dga_likeness(label: str) -> float:
    """How random ``label`` looks, in [0, 1], from its length, character entropy, digits mixed
    with letters, too few vowels and long consonant runs. Words and word-hyphen-word score low;
    10-20 random letters and digits score high."""
    text = label.replace("-", "")
    if len(text) < 6:
        return 0.0
    letters = [c for c in text if c.isalpha()]
    digits = sum(c.isdigit() for c in text)
    vowel_share = sum(c in _VOWELS for c in letters) / len(letters) if letters else 0.0
    # a word of n letters has fewer distinct characters than a random string of the same length
    max_h = math.log2(min(len(text), 36))
    parts = [
        min(1.0, max(0.0, (entropy(text) / max_h - 0.7) / 0.15)),  # near-uniform characters
        # digits scattered among letters (not a word with a number: office365, web3)
        1.0 if 0 < digits < len(text) and len(_DIGIT_RUN.findall(text)) >= 2 else 0.0,
        min(1.0, max(0.0, (0.32 - vowel_share) / 0.15)),  # words are ~40 % vowels
        1.0 if _CONSONANT_RUN.search(text) else 0.0,
    ]
    length = min(1.0, (len(text) - 5) / 7)  # short labels carry little evidence either way
    return float(length * (0.35 * parts[0] + 0.3 * parts[1] + 0.2 * parts[2] + 0.15 * parts[3]))


def _scattered_digits(label: str) -> bool:
    """Letters and two or more separate digit runs in 8+ characters without a hyphen: an
    identifier, not a word with a number (``office365``, ``web3``, ``my-app2-eu1``)."""
    return (
        len(label) >= 8
        and "-" not in label
        and any(c.isalpha() for c in label)
        and len(_DIGIT_RUN.findall(label)) >= 2
    )


def _random_label(label: str) -> bool:
    if _HEX.match(label) or len(label) >= 24:
        return True
    return len(label) >= 8 and dga_likeness(label) >= 0.6


@lru_cache(maxsize=LEXICAL_CACHE)
def lexical(name: str) -> Lexical:
    """Lexical features of a normalised query name or registered domain."""
    name = name.strip(".").lower()
    label, under, suffix = _split(name)
    letters = [c for c in label if c.isalpha()]
    dga = dga_likeness(label)
    random_subdomain = bool(under) and _random_label(under[0])
    return Lexical(
        label=label,
        length=len(name),
        entropy=entropy(label),
        digit_share=sum(c.isdigit() for c in label) / len(label) if label else 0.0,
        vowel_share=sum(c in _VOWELS for c in letters) / len(letters) if letters else 0.0,
        dga=dga,
        abused_tld=suffix.rsplit(".", 1)[-1] in ABUSED_TLDS,
        random_subdomain=random_subdomain,
        random_looking=dga >= 0.5 or random_subdomain or _scattered_digits(label),
        local=local_kind(name),
        tld=suffix,
    )


def shape_similarity(a: str, b: str) -> float:
    """How alike two registered domains look, in [0, 1]: a shared prefix or suffix of their
    labels (``saitama-fake-domain-one`` / ``-two``, ``ipcheck-lux`` / ``ipcheck-zorb``) or, for
    machine-made labels, the same length and character classes (one DGA family)."""
    la, lb = _split(a)[0], _split(b)[0]
    if not la or not lb:
        return 0.0
    common = len(_common_prefix(la, lb))
    common = max(common, len(_common_prefix(la[::-1], lb[::-1])))
    shorter = min(len(la), len(lb))
    affix = common / shorter if common >= 4 else 0.0
    family = 0.0
    if dga_likeness(la) >= 0.5 and dga_likeness(lb) >= 0.5:
        family = 1.0 - min(1.0, abs(len(la) - len(lb)) / 6)
    return float(max(affix, family))


def _common_prefix(a: str, b: str) -> str:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return a[:n]
