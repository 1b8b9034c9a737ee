"""SIA DC-03 and Contact ID (DC-05) code tables, kept as CSV data in this package.

``sia_codes.csv``: every DC-03 event code (from the standard's table as shipped by
siadc09) plus the Ajax extensions documented by pysiaalarm. ``cid_codes.csv``: every
DC-05 event code. Each row carries its address type, ``Category``, French and English
descriptions, and how to read restorals / openings / closings.
"""

from vigie.protocols.codes.tables import (
    CidAddress,
    CidCode,
    CidQualifiers,
    SiaAddress,
    SiaCode,
    SiaKind,
    cid_code,
    cid_codes,
    parse_cid_table,
    parse_sia_table,
    sia_code,
    sia_codes,
)

__all__ = [
    "CidAddress",
    "CidCode",
    "CidQualifiers",
    "SiaAddress",
    "SiaCode",
    "SiaKind",
    "cid_code",
    "cid_codes",
    "parse_cid_table",
    "parse_sia_table",
    "sia_code",
    "sia_codes",
]
