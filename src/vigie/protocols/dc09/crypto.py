"""AES-CBC for DC-09: zero IV, random pad instead of an IV, keys with their notation.

The notation matters because the trade is split: some panels take the key as hex
digits, others as ASCII characters used as raw bytes (protocols.md §4.1). A
32-digit hex string is ambiguous, so we store the bytes together with how the
operator typed them.
"""

from __future__ import annotations

import os
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

KeyNotation = Literal["hex", "text"]
Rng = Callable[[int], bytes]

_ZERO_IV = bytes(16)
_KEY_SIZES = (16, 24, 32)

#: Pad alphabet: printable ASCII without the DC-09 delimiters ``[ ] |``.
#: No control characters and no NULs: Abus Secvest rejects NUL-padded ACKs.
PAD_ALPHABET: bytes = bytes(b for b in range(0x20, 0x7F) if b not in b"[]|")


@dataclass(frozen=True)
class Dc09Key:
    """AES key bytes plus the notation they were entered in (never printed)."""

    key: bytes = field(repr=False)
    notation: KeyNotation = "hex"

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes):
            raise TypeError("Dc09Key.key must be bytes")
        if len(self.key) not in _KEY_SIZES:
            raise ValueError(
                f"DC-09 AES key must be 16, 24 or 32 bytes (AES-128/192/256), got {len(self.key)}"
            )
        if self.notation not in ("hex", "text"):
            raise ValueError(f"key notation must be 'hex' or 'text', got {self.notation!r}")

    @classmethod
    def from_hex(cls, value: str) -> Dc09Key:
        """Key typed as 32, 48 or 64 hex digits (ioBroker, siadc09, Patriot, Hikvision)."""
        digits = "".join(value.split())
        if len(digits) not in (32, 48, 64):
            raise ValueError(
                f"hex AES key must be 32, 48 or 64 hex digits, got {len(digits)} characters"
            )
        if any(c not in string.hexdigits for c in digits):
            raise ValueError("hex AES key may contain only 0-9 and A-F")
        return cls(bytes.fromhex(digits), "hex")

    @classmethod
    def from_text(cls, value: str) -> Dc09Key:
        """Key typed as 16, 24 or 32 ASCII characters used as raw bytes (pysiaalarm/HA)."""
        try:
            raw = value.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("text AES key may contain only ASCII characters") from None
        if len(raw) not in _KEY_SIZES:
            raise ValueError(f"text AES key must be 16, 24 or 32 characters, got {len(raw)}")
        return cls(raw, "text")

    @property
    def bits(self) -> int:
        """AES key size in bits (128, 192 or 256)."""
        return len(self.key) * 8

    def as_notation(self) -> str:
        """The key written back in the notation it was entered in (for storage)."""
        return self.key.hex().upper() if self.notation == "hex" else self.key.decode("ascii")


def default_rng(n: int) -> bytes:
    """Randomness for pads; injected everywhere so tests stay deterministic."""
    return os.urandom(n)


def make_pad(length: int, rng: Rng = default_rng) -> bytes:
    """``length`` pad bytes from ``rng`` mapped onto :data:`PAD_ALPHABET`.

    Mapping (not rejection sampling) so a broken rng can never make us loop.
    """
    if length < 0:
        raise ValueError("pad length must be >= 0")
    raw = rng(length)
    if len(raw) < length:
        raise ValueError("rng returned fewer bytes than requested")
    n = len(PAD_ALPHABET)
    return bytes(PAD_ALPHABET[b % n] for b in raw[:length])


def pad_length(body_len: int) -> int:
    """Pad size for a cleartext tail of ``body_len`` bytes: 16–31, total a multiple of 16.

    DC-09-2026 (siadc09) asks for 16–31 bytes; older decoders only look for the
    first ``|``/``]`` so they accept it too.
    """
    return 16 + (-body_len) % 16


def encrypt(key: Dc09Key, cleartext: bytes) -> bytes:
    """AES-CBC with a zero IV; ``cleartext`` must already be a multiple of 16 bytes."""
    if len(cleartext) % 16:
        raise ValueError("cleartext length must be a multiple of 16")
    enc = Cipher(algorithms.AES(key.key), modes.CBC(_ZERO_IV)).encryptor()
    return enc.update(cleartext) + enc.finalize()


def decrypt(key: Dc09Key, ciphertext: bytes) -> bytes:
    """AES-CBC decrypt with a zero IV (no padding scheme: DC-09 pads in cleartext)."""
    if not ciphertext or len(ciphertext) % 16:
        raise ValueError("ciphertext length must be a non-zero multiple of 16")
    dec = Cipher(algorithms.AES(key.key), modes.CBC(_ZERO_IV)).decryptor()
    return dec.update(ciphertext) + dec.finalize()
