"""Secret and duress words: stored as salted scrypt hashes, checked as spoken.

An operator types what the caller says: "Clé de sol", "cle-de-sol" and "CLE DE SOL" must
all match, so words are normalised (accents, case, spaces and punctuation dropped)
before hashing. The hash is never reversible and is compared in constant time. The cost
is written in the hash so that it can be raised later without breaking old hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import unicodedata

__all__ = ["DEFAULT_COST", "check_word", "hash_word", "is_word_hash", "normalise_word"]

DEFAULT_COST = 2**14  # scrypt N; with r=8 that is 16 MiB and ~70 ms per hash
_R, _P, _LEN, _SALT = 8, 1, 32, 16
_PREFIX = "scrypt"


def normalise_word(word: str) -> str:
    """Letters and digits only, without accents, case-folded: what was meant, not typed."""
    decomposed = unicodedata.normalize("NFKD", word)
    kept = "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))
    return kept.casefold()


def hash_word(word: str, *, cost: int = DEFAULT_COST, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64); raises ``ValueError`` for an empty word."""
    normal = normalise_word(word)
    if not normal:
        raise ValueError("a secret word needs at least one letter or digit")
    salt = salt if salt is not None else os.urandom(_SALT)
    digest = _scrypt(normal, salt, cost, _R, _P)
    return "$".join((_PREFIX, str(cost), str(_R), str(_P), _b64(salt), _b64(digest)))


def is_word_hash(value: str) -> bool:
    """Whether ``value`` is a hash this module can check (an import must not store junk)."""
    return _parse(value) is not None


def check_word(stored: str, spoken: str) -> bool:
    """Whether ``spoken`` is the word behind ``stored``; False for a malformed hash."""
    parsed = _parse(stored)
    normal = normalise_word(spoken)
    if parsed is None or not normal:
        return False
    cost, r, p, salt, expected = parsed
    return hmac.compare_digest(_scrypt(normal, salt, cost, r, p), expected)


def _scrypt(normal: str, salt: bytes, cost: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        normal.encode("utf-8"), salt=salt, n=cost, r=r, p=p, dklen=_LEN, maxmem=256 * 2**20
    )


def _parse(value: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = value.split("$")
    if len(parts) != 6 or parts[0] != _PREFIX:
        return None
    try:
        cost, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    power_of_two = cost > 1 and cost & (cost - 1) == 0
    if not (power_of_two and cost <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        return None
    if len(salt) < 8 or len(digest) != _LEN:
        return None
    return cost, r, p, salt, digest


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
