"""Secret words: normalised, salted, never reversible, checked in constant time."""

from __future__ import annotations

import pytest

from vigie.services.secret_words import check_word, hash_word, is_word_hash, normalise_word

CHEAP = 2**4


def test_spoken_variants_match() -> None:
    stored = hash_word("Clé de sol", cost=CHEAP)
    for spoken in ("cle de sol", "CLÉ DE SOL", " clé-de-sol ", "cledesol"):
        assert check_word(stored, spoken)
    assert not check_word(stored, "clé de fa")
    assert not check_word(stored, "")


def test_hash_is_salted_and_does_not_contain_the_word() -> None:
    first, second = hash_word("Tournesol", cost=CHEAP), hash_word("Tournesol", cost=CHEAP)
    assert first != second
    assert "tournesol" not in first.lower()
    assert is_word_hash(first)


def test_malformed_hashes_are_refused() -> None:
    for junk in ("", "tournesol", "scrypt$3$8$1$AAAA$BBBB", "md5$x"):
        assert not is_word_hash(junk)
        assert not check_word(junk, "tournesol")


def test_empty_word_is_refused() -> None:
    assert normalise_word(" - ' ") == ""
    with pytest.raises(ValueError):
        hash_word(" - ")


def test_default_cost_round_trip() -> None:
    stored = hash_word("Marmotte")
    assert stored.startswith("scrypt$16384$")
    assert check_word(stored, "marmotte")
