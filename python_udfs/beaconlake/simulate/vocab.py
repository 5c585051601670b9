"""Synthetic but realistic-looking domain names for the simulator.

Human browsing needs tens of thousands of distinct sites with a Zipf-like popularity; beacons need
names that look like the ones implants use. Names are built from syllables with a seeded generator,
so no real site's traffic is imitated and every dataset is reproducible. Suffixes include
multi-label public suffixes (``co.uk``) and private ones (``azurewebsites.net``) so the
registered-domain logic is exercised.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_SYLLABLES = np.array(
    "ba be bi bo bu ca ce ci co cu da de di do du fa fe fi fo ga ge go gu ha he hi ho ka ke ki ko "
    "la le li lo lu ma me mi mo mu na ne ni no nu pa pe pi po pu ra re ri ro ru sa se si so su ta "
    "te ti to tu va ve vi vo za ze zo bra bri cla cre dra fra gra pla pre pro stra tri tro ar er "
    "in on un al el il ol an en ex ix ox sky net web hub lab box bit app go max neo zen sol lux "
    "nova pix byte data soft tech cloud shop news blog mail play game media star live".split()
)

#: Suffix of a human-visited site and its weight.
_SITE_SUFFIXES = {
    "com": 50,
    "net": 8,
    "org": 7,
    "io": 4,
    "de": 4,
    "co.uk": 4,
    "fr": 2,
    "com.au": 2,
    "co.jp": 2,
    "ru": 2,
    "info": 1,
    "nl": 2,
    "es": 1,
    "com.br": 2,
    "it": 1,
    "edu": 1,
    "github.io": 1,
    "blogspot.com": 1,
    "azurewebsites.net": 1,
    "ca": 2,
    "in": 1,
    "co": 1,
}
_C2_SUFFIXES = ["com", "net", "xyz", "top", "info", "online", "site", "club", "io", "ru", "cc",
                "su", "pw", "biz", "live"]  # fmt: skip
#: Look-alike stems of C2 names that pass for IP-check, CDN or update services.
_LOOKALIKE_STEMS = ["ipcheck", "getip", "myip", "ip-lookup", "cdn", "static-cdn", "edge",
                    "update", "sync", "telemetry"]  # fmt: skip
_LOOKALIKE_PREFIXES = ["api", "www", "cdn", "check", "", ""]
#: Share of third-party names that are CDN edge names with a random-looking label.
CDN_HASH_SHARE = 0.08
_CDN_ZONES = np.array(["cloudfront.net", "azureedge.net", "akamaized.net"], dtype=object)
_SITE_SUBDOMAINS = np.array(
    ["www", "cdn", "static", "api", "img", "m", "assets", "login", "media", "images", "ws", "video"]
)
_THIRD_PARTY_PREFIXES = np.array(
    ["ads", "cdn", "analytics", "tags", "pixel", "stats", "fonts", "track", "sync", "beacon", "px"]
)
#: Record TTLs (seconds) as published by popular sites, and how common each is.
_TTLS_S = np.array([20.0, 60.0, 300.0, 600.0, 3600.0])
_TTL_P = np.array([0.15, 0.35, 0.3, 0.1, 0.1])
_C2_PREFIXES = ["api", "cdn", "update", "static", "img", "news", "mail", "", "", ""]


def _words(rng: np.random.Generator, n: int, lo: int = 2, hi: int = 4) -> np.ndarray:
    """``n`` distinct pseudo-words of ``lo``..``hi`` syllables."""
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        m = (n - len(out)) * 2 + 16
        counts = rng.integers(lo, hi + 1, m)
        picks = rng.integers(0, len(_SYLLABLES), (m, hi))
        for c, row in zip(counts, picks, strict=True):
            word = "".join(_SYLLABLES[row[:c]])
            if word not in seen:
                seen.add(word)
                out.append(word)
                if len(out) == n:
                    break
    return np.array(out, dtype=object)


@dataclass(frozen=True)
class Vocabulary:
    """Query names of benign traffic as one array of strings plus index structure.

    ``names`` holds every benign name; a site ``s`` owns ``names[site_first[s] : site_first[s] +
    site_count[s]]`` whose first entry is the name a browser resolves first. Third-party and server
    destinations are index ranges into ``names`` too.
    """

    names: np.ndarray
    site_first: np.ndarray
    site_count: np.ndarray
    site_cdf: np.ndarray
    third_party: np.ndarray
    third_party_cdf: np.ndarray
    server_dest: np.ndarray
    server_dest_cdf: np.ndarray
    ttl_s: np.ndarray  # per name: how long a client caches its answer, in seconds


def _zipf_cdf(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    cdf = np.cumsum(weights)
    return cdf / cdf[-1]


def build_vocabulary(
    rng: np.random.Generator,
    n_sites: int = 20_000,
    n_third_party: int = 3_000,
    n_server_dest: int = 600,
    zipf_exponent: float = 1.3,
) -> Vocabulary:
    """Draw the benign name space of one dataset."""
    suffixes = np.array(list(_SITE_SUFFIXES), dtype=object)
    weights = np.array(list(_SITE_SUFFIXES.values()), dtype=float)
    words = _words(rng, n_sites + n_third_party + n_server_dest)
    site_words = words[:n_sites]
    site_sfx = suffixes[rng.choice(len(suffixes), n_sites, p=weights / weights.sum())]
    apex = site_words + "." + site_sfx

    n_subs = rng.integers(1, 6, n_sites)
    names: list[str] = []
    site_first = np.empty(n_sites, dtype=np.int64)
    sub_pick = rng.random((n_sites, len(_SITE_SUBDOMAINS))).argsort(axis=1)
    bare_first = rng.random(n_sites) < 0.3
    for s in range(n_sites):
        site_first[s] = len(names)
        subs = _SITE_SUBDOMAINS[sub_pick[s, : n_subs[s]]]
        if bare_first[s]:
            names.append(apex[s])
        names.extend(f"{sub}.{apex[s]}" for sub in subs)
    site_count = np.diff(np.append(site_first, len(names)))

    tp_words = words[n_sites : n_sites + n_third_party]
    tp_prefix = _THIRD_PARTY_PREFIXES[rng.integers(0, len(_THIRD_PARTY_PREFIXES), n_third_party)]
    tp_sfx = rng.choice(np.array(["com", "net", "io"], dtype=object), n_third_party)
    third_party = np.arange(len(names), len(names) + n_third_party)
    names.extend(tp_prefix + "." + tp_words + "." + tp_sfx)

    sd_words = words[n_sites + n_third_party :]
    sd_prefix = rng.choice(
        np.array(["repo", "api", "mirror", "pkg", "s3", "db"], dtype=object), n_server_dest
    )
    server_dest = np.arange(len(names), len(names) + n_server_dest)
    names.extend(sd_prefix + "." + sd_words + ".com")

    # Random-looking but benign: CDN edge names such as d1x9k2...cloudfront.net (private suffixes,
    # so each is its own registered domain), drawn last to leave the other names unchanged.
    ttl_s = rng.choice(_TTLS_S, len(names), p=_TTL_P)
    is_cdn = rng.random(n_third_party) < CDN_HASH_SHARE
    cdn_labels = "d" + random_labels(rng, int(is_cdn.sum()), 12, 14, _ALNUM)
    for i, label in zip(np.flatnonzero(is_cdn), cdn_labels, strict=True):
        names[third_party[i]] = f"{label}.{_CDN_ZONES[i % len(_CDN_ZONES)]}"
    return Vocabulary(
        names=np.array(names, dtype=object),
        site_first=site_first,
        site_count=site_count,
        site_cdf=_zipf_cdf(n_sites, zipf_exponent),
        third_party=third_party,
        third_party_cdf=_zipf_cdf(n_third_party, 1.3),
        server_dest=server_dest,
        server_dest_cdf=_zipf_cdf(n_server_dest, 1.2),
        ttl_s=ttl_s,
    )


_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_HEX = "0123456789abcdef"


def dga_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` DGA-like labels: 10-20 random letters and digits."""
    return random_labels(rng, n, 10, 20, _ALNUM)


def c2_domain(rng: np.random.Generator, style: str = "any") -> tuple[str, str]:
    """A C2 query name and its zone-style registered domain, e.g. ``cdn.kolibrax.top``.

    ``style``: ``dga`` (random letters and digits), ``plain`` (a pronounceable word), ``hyphen``
    (two words), ``lookalike`` (passes for an IP-check, CDN or update service) or ``any``.
    """
    if style == "any":
        style = ("dga", "plain", "hyphen")[int(rng.integers(0, 3))]
    if style == "dga":
        label = str(dga_labels(rng, 1)[0])
    elif style == "lookalike":
        stem = _LOOKALIKE_STEMS[int(rng.integers(0, len(_LOOKALIKE_STEMS)))]
        label = f"{stem}-{_words(rng, 1, 1, 2)[0]}"
    else:  # pronounceable, the common hand-registered kind
        label = str(_words(rng, 1, 2, 4)[0])
        if style == "hyphen":
            label += "-" + str(_words(rng, 1, 1, 2)[0])
        elif rng.random() < 0.3:
            label += str(int(rng.integers(1, 100)))
    domain = f"{label}.{_C2_SUFFIXES[int(rng.integers(0, len(_C2_SUFFIXES)))]}"
    prefixes = _LOOKALIKE_PREFIXES if style == "lookalike" else _C2_PREFIXES
    prefix = prefixes[int(rng.integers(0, len(prefixes)))]
    return (f"{prefix}.{domain}" if prefix else domain), domain


def rotation_domains(rng: np.random.Generator, k: int) -> list[tuple[str, str]]:
    """``k`` look-alike C2 names under different registered domains, one naming pattern."""
    stem = _LOOKALIKE_STEMS[int(rng.integers(0, len(_LOOKALIKE_STEMS)))]
    prefix = _LOOKALIKE_PREFIXES[int(rng.integers(0, len(_LOOKALIKE_PREFIXES)))]
    words = _words(rng, k, 1, 2)
    out = []
    for word in words:
        domain = f"{stem}-{word}.{_C2_SUFFIXES[int(rng.integers(0, len(_C2_SUFFIXES)))]}"
        out.append(((f"{prefix}.{domain}" if prefix else domain), domain))
    return out


#: Top-level domains of unrelated rotation names: the C2 ones plus those of RogueRobin's
#: vendor look-alikes.
_ROTATION_TLDS = [*_C2_SUFFIXES, "stream", "download", "science", "bid", "win"]
_UNRELATED_PREFIXES = ["api", "www", "cdn", "update", "check", "", "", ""]
#: Two registered labels share a stem when they have this many characters in a row in common.
STEM_CHARS = 4


def shares_stem(a: str, b: str, n: int = STEM_CHARS) -> bool:
    """Whether ``a`` and ``b`` have ``n`` or more characters in a row in common."""
    return any(a[i : i + n] in b for i in range(len(a) - n + 1))


def unrelated_domains(rng: np.random.Generator, k: int) -> list[tuple[str, str]]:
    """``k`` unrelated C2 names, as an implant rotating over independent services uses: a
    different word under a different top-level domain each, no two sharing a stem
    (``STEM_CHARS`` characters in a row), e.g. ``api.lunoka.stream`` and ``grevotri.win``."""
    if k > len(_ROTATION_TLDS):
        raise ValueError(f"at most {len(_ROTATION_TLDS)} unrelated names")
    tlds = rng.choice(len(_ROTATION_TLDS), k, replace=False)
    labels: list[str] = []
    while len(labels) < k:
        words = _words(rng, 4 * k, 2, 3)
        compound = rng.random(len(words)) < 0.3  # vendor-like compounds, e.g. "cloudnetsky"
        tails = _words(rng, len(words), 1, 2)
        for word, two, tail in zip(words, compound, tails, strict=True):
            label = f"{word}{tail}" if two else str(word)
            if not any(shares_stem(label, other) for other in labels):
                labels.append(label)
                if len(labels) == k:
                    break
    out = []
    for label, tld in zip(labels, tlds, strict=True):
        domain = f"{label}.{_ROTATION_TLDS[int(tld)]}"
        prefix = _UNRELATED_PREFIXES[int(rng.integers(0, len(_UNRELATED_PREFIXES)))]
        out.append(((f"{prefix}.{domain}" if prefix else domain), domain))
    return out


def niche_app_names(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct names of small vendors' application back-ends, e.g. ``sync.lunopix.io``."""
    prefixes = np.array(["api", "sync", "push", "ws", "live", "notify", "rt", "events", "app"])
    suffixes = np.array(["com", "io", "app", "net", "cloud", "dev", "co"])
    words = _words(rng, n, 2, 3)
    pre = prefixes[rng.integers(0, len(prefixes), n)]
    suf = suffixes[rng.integers(0, len(suffixes), n)]
    return np.array([f"{p}.{w}.{s}" for p, w, s in zip(pre, words, suf, strict=True)], dtype=object)


def random_labels(
    rng: np.random.Generator, n: int, lo: int = 12, hi: int = 30, alphabet: str = _BASE32
) -> np.ndarray:
    """``n`` fresh random DNS labels of ``lo``-``hi`` characters (base32 by default, as a DNS
    tunnel sends; hex for telemetry hashes)."""
    lengths = rng.integers(lo, hi + 1, n)
    chars = np.array(list(alphabet))[rng.integers(0, len(alphabet), (n, hi))]
    return np.array(["".join(row[:k]) for row, k in zip(chars, lengths, strict=True)], dtype=object)


def hash_labels(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` hex labels of 32 characters, as reputation and telemetry lookups send."""
    return random_labels(rng, n, 32, 32, _HEX)


def tunnel_names(rng: np.random.Generator, n: int, zone: str) -> np.ndarray:
    """``n`` tunnel query names under ``zone``: one or two base32 labels of 20-60 characters."""
    first = random_labels(rng, n, 20, 60)
    second = random_labels(rng, n, 8, 40)
    two = rng.random(n) < 0.5
    return np.where(two, first + "." + second, first) + "." + zone
