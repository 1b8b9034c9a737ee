"""CRC-16/ARC as used by SIA DC-09 (and DC-07 Appendix B).

Poly 0x8005 reflected (0xA001), init 0, no final XOR. Table-driven because the
receiver computes one per frame on the hot path.
"""

from __future__ import annotations


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16(data: bytes) -> int:
    """Return the CRC-16/ARC of ``data`` (check value b"123456789" -> 0xBB3D)."""
    crc = 0
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
