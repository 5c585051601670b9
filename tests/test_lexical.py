"""Lexical features of names: local and internal names, DGA-likeness, look-alike siblings."""

from __future__ import annotations

import pytest

from beaconlake.confirm.lexical import dga_likeness, entropy, lexical, local_kind, shape_similarity


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("201.56.225.64.in-addr.arpa", "reverse lookup"),
        ("b.a.9.8.ip6.arpa", "reverse lookup"),
        ("_googlecast._tcp.local", "service discovery"),
        ("_ldap._tcp.dc._msdcs.corp.acme.internal", "service discovery"),
        ("printer.local", "internal name (.local)"),
        ("nas.home.arpa", "internal name (.home.arpa)"),
        ("fileserver", "single-label"),
        ("wpad", "single-label"),
        ("wpad.example.com", "auto-discovery"),
        ("dc01.corp.example.com", "internal zone"),
        ("router.lan", "internal name (.lan)"),
        ("srv.notarealtld", "unknown top-level domain"),
    ],
)
def test_local_and_internal_names_are_recognised(name: str, kind: str) -> None:
    found = local_kind(name)
    assert found is not None and kind in found


@pytest.mark.parametrize(
    "name", ["outlook.office365.com", "ad.doubleclick.net", "cdn.kolibrax.top", "x7k2.co.uk"]
)
def test_internet_names_are_not_local(name: str) -> None:
    assert local_kind(name) is None


def test_dga_likeness_separates_random_labels_from_words() -> None:
    for word in ("google", "saitama-fake-domain-one", "newsfeed-live", "kolibrax", "office365"):
        assert dga_likeness(word) < 0.35, word
    for random in ("x7k2m9q4zt1b", "5sl1my5su70u7es8", "qwxzvbnmkjhg", "9oaoxba2b5ymlr68ke"):
        assert dga_likeness(random) >= 0.5, random
    assert dga_likeness("xq7") == 0  # too short to say anything


def test_entropy_in_bits_per_character() -> None:
    assert entropy("aaaa") == 0
    assert entropy("abcd") == pytest.approx(2.0)
    assert entropy("") == 0


def test_lexical_features_of_a_name() -> None:
    lex = lexical("mjq4ztrgmfzgk43xmfsgk3tpn5xxe.kolibrax.top")
    assert lex.label == "kolibrax" and lex.tld == "top"
    assert lex.abused_tld and lex.random_subdomain and lex.local is None
    plain = lexical("presence.teams.microsoft.com")
    assert not plain.abused_tld and not plain.random_subdomain and plain.dga < 0.5
    assert plain.describe() == []


def test_look_alike_domains_are_similar_and_unrelated_ones_are_not() -> None:
    assert shape_similarity("saitama-fake-domain-one.com", "saitama-fake-domain-three.com") > 0.5
    assert shape_similarity("ipcheck-lux.su", "ipcheck-zorbo.top") > 0.5
    assert shape_similarity("x7k2m9q4zt1b.xyz", "q9z1b3m7k2c8.top") > 0.5  # one DGA family
    assert shape_similarity("google.com", "github.com") < 0.5
    assert shape_similarity("office365.com", "x7k2m9q4zt1b.xyz") < 0.5


def test_digits_scattered_in_a_long_label_look_random() -> None:
    assert lexical("api.u6yd972v2j.net").random_looking
    ordinary = (
        "ctl.backupvault-cloud.com",
        "outlook.office365.com",
        "repos-droplet.digitalocean.com",
        "my-app2-eu1.example.com",
    )
    for name in ordinary:
        assert not lexical(name).random_looking, name
