"""CRC-16/ARC check value, keys with notation, AES round trip, pads."""

import pytest

from vigie.protocols.dc09 import PAD_ALPHABET, Dc09Key, crc16
from vigie.protocols.dc09.crypto import decrypt, encrypt, make_pad, pad_length


def test_crc16_arc_check_value() -> None:
    assert crc16(b"123456789") == 0xBB3D
    assert crc16(b"") == 0


def test_crc_of_spec_frame() -> None:
    body = b'"SIA-DCS"9876R579BDFL789ABC#12345A[#12345A|NFA129]'
    assert crc16(body) == 0xCE11
    assert len(body) == 0x32


@pytest.mark.parametrize("digits,bits", [(32, 128), (48, 192), (64, 256)])
def test_key_from_hex(digits: int, bits: int) -> None:
    text = ("0123456789abcdef" * 4)[:digits]
    key = Dc09Key.from_hex(text)
    assert key.bits == bits
    assert key.notation == "hex"
    assert key.key == bytes.fromhex(text)
    assert key.as_notation() == text.upper()
    assert Dc09Key.from_hex(text.upper()) == key


@pytest.mark.parametrize("n", [16, 24, 32])
def test_key_from_text(n: int) -> None:
    key = Dc09Key.from_text("A" * n)
    assert key.key == b"A" * n
    assert key.notation == "text"
    assert key.as_notation() == "A" * n


def test_same_32_chars_mean_different_keys_by_notation() -> None:
    text = "0123456789ABCDEF0123456789ABCDEF"
    assert Dc09Key.from_hex(text).bits == 128
    assert Dc09Key.from_text(text).bits == 256


@pytest.mark.parametrize(
    "factory,value,message",
    [
        (Dc09Key.from_hex, "0123", "32, 48 or 64 hex digits"),
        (Dc09Key.from_hex, "Z" * 32, "only 0-9 and A-F"),
        (Dc09Key.from_text, "short", "16, 24 or 32 characters"),
        (Dc09Key.from_text, "é" * 16, "only ASCII"),
    ],
)
def test_bad_keys_have_clear_messages(factory, value: str, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        factory(value)


def test_key_bytes_validated_and_not_in_repr() -> None:
    with pytest.raises(ValueError, match="16, 24 or 32 bytes"):
        Dc09Key(b"x" * 15, "text")
    key = Dc09Key(b"S3cretS3cretS3cr", "text")
    assert "S3cret" not in repr(key)


def test_aes_roundtrip_zero_iv() -> None:
    key = Dc09Key(bytes(range(24)), "hex")
    clear = b"x" * 32
    ct = encrypt(key, clear)
    assert len(ct) == 32 and ct != clear
    assert decrypt(key, ct) == clear
    with pytest.raises(ValueError):
        encrypt(key, b"x" * 5)
    with pytest.raises(ValueError):
        decrypt(key, b"")


def test_pad_excludes_delimiters_and_control_chars() -> None:
    pad = make_pad(4096, lambda n: bytes(i % 256 for i in range(n)))
    assert len(pad) == 4096
    assert not set(pad) & set(b"[]|")
    assert all(0x20 <= b < 0x7F for b in pad)
    assert set(pad) <= set(PAD_ALPHABET)
    # a degenerate rng cannot make it loop
    assert make_pad(20, lambda n: b"\x00" * n) == bytes([PAD_ALPHABET[0]]) * 20


def test_pad_length_gives_16_to_31_and_block_multiple() -> None:
    for body in range(0, 80):
        n = pad_length(body)
        assert 16 <= n <= 31
        assert (n + body) % 16 == 0
