"""TCP re-framing and UDP datagrams."""

import pytest

from vigie.protocols.dc09 import StreamDecoder, datagram_frame, decode_frame, encode_frame


def frames(n: int, crc: str = "hex") -> list[bytes]:
    return [
        encode_frame("SIA-DCS", sequence=i + 1, account="1234", data=f"#1234|NBA{i}", crc=crc)  # type: ignore[arg-type]
        for i in range(n)
    ]


def test_several_frames_in_one_read() -> None:
    fs = frames(3)
    d = StreamDecoder()
    assert d.feed(b"".join(fs)) == fs
    assert d.pending == 0 and d.discarded_bytes == 0


def test_frame_split_byte_by_byte() -> None:
    fs = frames(2)
    d = StreamDecoder()
    out: list[bytes] = []
    for b in b"".join(fs):
        out += d.feed(bytes([b]))
    assert out == fs


def test_garbage_before_lf_is_dropped_and_counted() -> None:
    f = frames(1)[0]
    d = StreamDecoder()
    assert d.feed(b"junk" + f) == [f]
    assert d.discarded_bytes == 4


def test_trailing_nuls_not_counted() -> None:
    fs = frames(2)
    d = StreamDecoder()
    assert d.feed(fs[0] + b"\x00" * 10 + fs[1] + b"\x00\x00") == fs
    assert d.discarded_bytes == 0


def test_over_long_frame_dropped_and_resync() -> None:
    good = frames(2)
    d = StreamDecoder(max_frame=128)
    long_frame = b"\n" + b"A" * 300 + b"\r"
    out = d.feed(good[0] + long_frame[:100])
    out += d.feed(long_frame[100:] + good[1])
    assert out == good
    assert d.oversized_frames == 1
    assert d.pending == 0


def test_over_long_frame_with_cr_in_one_read() -> None:
    d = StreamDecoder(max_frame=64)
    good = frames(1)[0]
    assert d.feed(b"\n" + b"B" * 100 + b"\r" + good) == [good]
    assert d.oversized_frames == 1


def test_memory_is_bounded_without_lf_or_cr() -> None:
    d = StreamDecoder(max_frame=64)
    for _ in range(100):
        d.feed(b"\n" + b"x" * 50)
        assert d.pending <= 64 + 51


def test_truncated_frame_then_good_frame() -> None:
    a, b = frames(2)
    d = StreamDecoder()
    assert d.feed(a[:20] + b) == [b]
    assert d.discarded_bytes > 0


def test_binary_crc_frames_containing_lf_cr_bytes() -> None:
    special = []
    for seq in range(10000):
        raw = encode_frame("NULL", sequence=seq, account="1234", crc="binary")
        if {raw[1], raw[2]} & {0x0A, 0x0D}:
            special.append(raw)
        if len(special) >= 6:
            break
    stream = b"".join(special)
    for step in (1, 3, len(stream)):
        d = StreamDecoder()
        out: list[bytes] = []
        for i in range(0, len(stream), step):
            out += d.feed(stream[i : i + step])
        assert out == special
        assert [decode_frame(f).crc_form for f in out] == ["binary"] * len(special)


def test_max_frame_must_be_sane() -> None:
    with pytest.raises(ValueError):
        StreamDecoder(max_frame=4)


def test_datagram_frame_strips_padding() -> None:
    f = frames(1)[0]
    assert datagram_frame(f + b"\x00\x00\x00") == f
    assert datagram_frame(b"\x00 " + f + b"\n\x00 ") == f
