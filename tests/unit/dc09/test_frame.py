"""Frame decoding: the spec frames, real-world tolerance, strict integrity."""

from datetime import UTC, datetime

import pytest

from vigie.protocols.dc09 import (
    Dc09Error,
    Dc09Key,
    ErrorKind,
    ExtendedData,
    crc16,
    decode_frame,
    encode_frame,
    format_timestamp,
    parse_timestamp,
    peek_header,
)
from vigie.protocols.dc09.encode import wrap

TS = datetime(2026, 11, 5, 12, 30, 45, tzinfo=UTC)
KEY = Dc09Key.from_hex("00112233445566778899AABBCCDDEEFF")

SPEC_SIA = b'\nCE110032"SIA-DCS"9876R579BDFL789ABC#12345A[#12345A|NFA129]\r'
SPEC_CID = b'\n87CD0037"ADM-CID"9876R579BDFL789ABC#12345A[#12345A|1110 00 129]\r'


def test_spec_sia_dcs_frame() -> None:
    f = decode_frame(SPEC_SIA)
    assert (f.token, f.encrypted, f.sequence) == ("SIA-DCS", False, "9876")
    assert (f.receiver, f.prefix, f.account) == ("579BDF", "789ABC", "12345A")
    assert f.data == "#12345A|NFA129"
    assert f.data_account == "12345A"
    assert f.extended == () and f.timestamp is None
    assert f.crc_form == "hex" and f.raw == SPEC_SIA


def test_spec_adm_cid_frame() -> None:
    f = decode_frame(SPEC_CID)
    assert f.token == "ADM-CID"
    assert f.data == "#12345A|1110 00 129"
    assert f.header.account == "12345A"


def test_lower_case_crc_and_length_accepted() -> None:
    body = b'"SIA-DCS"0001L0#ABC[#ABC|NBA1]'
    raw = b"\n" + f"{crc16(body):04x}{len(body):04x}".encode() + body + b"\r"
    assert any(c in b"abcdef" for c in raw[1:9])
    assert decode_frame(raw).account == "ABC"


def test_binary_crc_form() -> None:
    raw = encode_frame("SIA-DCS", sequence=1, account="1234", data="#1234|NBA1", crc="binary")
    assert raw[3:4] == b"0" and raw[7:8] == b'"'
    f = decode_frame(raw)
    assert f.crc_form == "binary" and f.data == "#1234|NBA1"


def test_binary_crc_with_lf_and_cr_bytes() -> None:
    seen: set[int] = set()
    for seq in range(10000):
        raw = encode_frame("NULL", sequence=seq, account="1234", crc="binary")
        if {raw[1], raw[2]} & {0x0A, 0x0D}:
            seen |= {raw[1], raw[2]} & {0x0A, 0x0D}
            assert decode_frame(raw).sequence == f"{seq:04d}"
        if seen == {0x0A, 0x0D}:
            break
    assert seen == {0x0A, 0x0D}


@pytest.mark.parametrize(
    "header,prefix,account",
    [
        (b'"SIA-DCS"0002L#1234[', "", "1234"),  # empty L before #
        (b'"SIA-DCS"0002L[', "", None),  # empty L, no header account
        (b'"SIA-DCS"0002L0[', "0", None),  # no header account
        (b'"SIA-DCS"0002#1234[', None, "1234"),  # L missing (my-dc09-spt default)
        (b'"SIA-DCS"0002L000000#foc7688[', "000000", "foc7688"),  # non-hex account
        (b'"SIA-DCS"0002L0#AAA[', "0", "AAA"),  # 3-char account
        (b'"SIA-DCS"0002L0#0123456789ABCDEF[', "0", "0123456789ABCDEF"),  # 16 chars
    ],
)
def test_tolerated_headers(header: bytes, prefix: str | None, account: str | None) -> None:
    f = decode_frame(wrap(header + b"#1234|Nri1BA3]"))
    assert f.prefix == prefix
    assert f.account == account
    assert f.data_account == "1234"
    assert f.effective_account == (account or "1234")


@pytest.mark.parametrize("account", [b"12", b"0123456789ABCDEF0"])
def test_account_length_outside_3_to_16_is_bad_frame(account: bytes) -> None:
    with pytest.raises(Dc09Error) as exc:
        decode_frame(wrap(b'"SIA-DCS"0002L0#' + account + b"[#1234|NBA1]"))
    assert exc.value.kind is ErrorKind.BAD_FRAME


def test_trailing_nuls_and_whitespace_tolerated() -> None:
    raw = encode_frame("SIA-DCS", sequence=3, account="1234", data="#1234|NBA1")
    assert decode_frame(raw + b"\x00" * 20).sequence == "0003"
    assert decode_frame(raw + b"\n\x00\x00 ").sequence == "0003"


def test_null_with_contact_id_body() -> None:
    raw = wrap(b'"NULL"0000R0L0#1234[#0000|0000 00 000]_12:30:45,11-05-2026')
    f = decode_frame(raw)
    assert f.token == "NULL" and f.data == "#0000|0000 00 000"
    assert f.data_account == "0000" and f.timestamp == TS


def test_xnm_is_supported() -> None:
    raw = encode_frame(
        "XNM", sequence=4, account="1234",
        extended=[ExtendedData("C", "DP"), ExtendedData("G", "2")], timestamp=TS,
    )  # fmt: skip
    f = decode_frame(raw)
    assert f.token == "XNM" and f.extended_value("C") == "DP" and f.extended_value("G") == "2"


def test_extended_data_all_letters_kept_in_order() -> None:
    blocks = (
        b"[X093W23.456][Y45N23.456][Vhttp://verify.com/34AC4DE3446][H13:59:58,12-31-2012]"
        b'[I2nd Floor West PIR][J{"a": 1}][E115000][$P12,34][B87][S123Main St.]'
    )
    raw = wrap(b'"SIA-DCS"0005L0#1234[#1234|Nri1BA3]' + blocks + b"_12:30:45,11-05-2026")
    f = decode_frame(raw)
    assert [x.letter for x in f.extended] == ["X", "Y", "V", "H", "I", "J", "E", "$", "B", "S"]
    assert f.extended_value("X") == "093W23.456"
    assert f.extended_value("Y") == "45N23.456"
    assert f.extended_value("V") == "http://verify.com/34AC4DE3446"
    assert f.extended_value("H") == "13:59:58,12-31-2012"
    assert f.extended_value("J") == '{"a": 1}'
    assert f.extended_value("$") == "P12,34"
    assert f.timestamp == TS


def test_cp1252_bytes_in_extended_data() -> None:
    raw = wrap(b'"SIA-DCS"0006L0#1234[#1234|NBA1][ICaf\xe9 \x80 \x81 \x9c]')
    f = decode_frame(raw)
    assert f.extended_value("I") == "Café € \x81 œ"
    assert f.extended[0].raw == b"Caf\xe9 \x80 \x81 \x9c"


def test_utf8_extended_data() -> None:
    raw = wrap(b'"SIA-DCS"0006L0#1234[#1234|NBA1][I' + "Entrée €".encode() + b"]")
    assert decode_frame(raw).extended_value("I") == "Entrée €"


def test_timestamp_is_utc_month_before_day() -> None:
    ts = parse_timestamp(b"_13:59:58,12-31-2012")
    assert ts == datetime(2012, 12, 31, 13, 59, 58, tzinfo=UTC)
    assert format_timestamp(ts) == "_13:59:58,12-31-2012"
    assert parse_timestamp(b"_13:59:58,31-12-2012") is None
    assert parse_timestamp(b"_1:59:58,12-31-2012") is None
    with pytest.raises(ValueError):
        format_timestamp(datetime(2012, 1, 1))  # naive


def _kind(raw: bytes, key: Dc09Key | None = None) -> ErrorKind:
    with pytest.raises(Dc09Error) as exc:
        decode_frame(raw, key)
    return exc.value.kind


def test_bad_crc() -> None:
    raw = bytearray(SPEC_SIA)
    raw[-3] = ord("8")  # NFA129 -> NFA189
    assert _kind(bytes(raw)) is ErrorKind.BAD_CRC
    assert _kind(SPEC_SIA.replace(b"CE11", b"CE12")) is ErrorKind.BAD_CRC


def test_bad_length() -> None:
    body = SPEC_SIA[9:-1]
    raw = b"\n" + f"{crc16(body):04X}0033".encode() + body + b"\r"
    assert _kind(raw) is ErrorKind.BAD_LENGTH


def test_bad_timestamp_syntax() -> None:
    raw = wrap(b'"SIA-DCS"0001L0#1234[#1234|NBA1]_25:00:00,01-01-2026')
    assert _kind(raw) is ErrorKind.BAD_TIMESTAMP


def test_junk_after_data_is_bad_frame() -> None:
    assert _kind(wrap(b'"SIA-DCS"0001L0#1234[#1234|NBA1]junk')) is ErrorKind.BAD_FRAME
    assert _kind(wrap(b'"SIA-DCS"0001L0#1234[#1234|NBA1')) is ErrorKind.BAD_FRAME
    assert _kind(wrap(b'"SIA-DCS"01L0#1234[#1234|NBA1]')) is ErrorKind.BAD_FRAME
    assert _kind(b"\nhello\r") is ErrorKind.BAD_FRAME
    assert _kind(b"no framing") is ErrorKind.NOT_A_FRAME


@pytest.mark.parametrize("token", [b"SIA-PUL", b"ADM-41E", b"ACK", b"FOO", b"*SK-FSK1"])
def test_unsupported_tokens_carry_the_header(token: bytes) -> None:
    with pytest.raises(Dc09Error) as exc:
        decode_frame(wrap(b'"' + token + b'"0042R1L2#1234[1234]'))
    assert exc.value.kind is ErrorKind.UNSUPPORTED_TOKEN
    header = exc.value.header
    assert header is not None
    assert (header.sequence, header.receiver, header.prefix, header.account) == (
        "0042", "1", "2", "1234",
    )  # fmt: skip


def test_encrypted_needs_key_and_the_right_one() -> None:
    raw = encode_frame("SIA-DCS", sequence=1, account="1234", data="#1234|NBA1",
                       key=KEY, timestamp=TS)  # fmt: skip
    assert _kind(raw) is ErrorKind.UNKNOWN_KEY
    assert _kind(raw, Dc09Key.from_hex("FF" * 16)) is ErrorKind.DECRYPT_FAILED
    f = decode_frame(raw, KEY)
    assert f.encrypted and f.data == "#1234|NBA1" and f.timestamp == TS


def test_encrypted_lower_case_ciphertext() -> None:
    raw = encode_frame("ADM-CID", sequence=1, account="1234", data="#1234|1130 01 003",
                       key=KEY, timestamp=TS, hex_case="lower")  # fmt: skip
    assert raw[raw.index(b"[") + 1 :][:-1].islower()
    assert decode_frame(raw, KEY).data == "#1234|1130 01 003"


def test_encrypted_empty_data_has_no_bar() -> None:
    raw = encode_frame("NULL", sequence=9, account="1234", key=KEY, timestamp=TS)
    f = decode_frame(raw, KEY)
    assert f.data == "" and f.timestamp == TS


@pytest.mark.parametrize("pad", [b"v V", b"p" * 11, b"\x14\x7d" * 8])
def test_encrypted_pad_variants(pad: bytes) -> None:
    # 2013-style short pads (Ajax), Hikvision repeated chars, my-dc09-spt control chars
    data = "#1234|NBA1"
    tail_len = 1 + len(data) + 1 + 20
    pad = (pad * 16)[: (-tail_len) % 16 or 16]
    raw = encode_frame("SIA-DCS", sequence=1, account="1234", data=data, key=KEY,
                       timestamp=TS, pad=pad)  # fmt: skip
    assert decode_frame(raw, KEY).data == data


def test_non_hex_ciphertext() -> None:
    raw = wrap(b'"*SIA-DCS"0001L0#1234[' + b"ZZ" * 16)
    assert _kind(raw, KEY) is ErrorKind.DECRYPT_FAILED


def test_peek_header_reads_header_without_integrity() -> None:
    bad = SPEC_SIA.replace(b"CE11", b"0000")
    h = peek_header(bad)
    assert h is not None and h.account == "12345A" and h.sequence == "9876"
    assert peek_header(b"garbage") is None
