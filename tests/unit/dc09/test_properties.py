"""Property and fuzz tests: never raise, never hang, recover frames, round-trip fields."""

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigie.protocols.dc09 import (
    AccountPolicy,
    Dc09Key,
    ExtendedData,
    FrameHeader,
    ReplyKind,
    StreamDecoder,
    encode_frame,
    handle_frame,
    parse_reply,
)

NOW = datetime(2026, 11, 5, 12, 0, 0, tzinfo=UTC)
KEYS = {n: Dc09Key(bytes(range(7, 7 + n)), "hex") for n in (16, 24, 32)}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

hexs = st.text("0123456789ABCDEF", min_size=1, max_size=6)
accounts = st.text("0123456789ABCDEFabcdefXYZ", min_size=3, max_size=16)
text_chars = st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="[]")
x_letters = st.sampled_from(list("XYVHIJKLMPSTZE$B"))
extended = st.lists(
    st.builds(ExtendedData, x_letters, st.text(text_chars, max_size=20)), max_size=3
).map(tuple)


@st.composite
def frame_specs(draw):  # type: ignore[no-untyped-def]
    key_size = draw(st.sampled_from([None, 16, 24, 32]))
    account = draw(st.one_of(st.none(), accounts))
    data_account = draw(accounts)
    spec = {
        "token": draw(st.sampled_from(["SIA-DCS", "ADM-CID", "NULL", "XNM"])),
        "sequence": draw(st.integers(0, 9999)),
        "account": account,
        "prefix": draw(st.one_of(st.none(), st.just(""), hexs)),
        "receiver": draw(st.one_of(st.none(), hexs)),
        "data": draw(
            st.sampled_from(["", f"#{data_account}|Nri1BA3", f"#{data_account}|1130 01 003"])
        ),
        "extended": draw(extended),
        "timestamp": NOW + timedelta(seconds=draw(st.integers(-40, 20))),
        "key": KEYS[key_size] if key_size else None,
        "crc": draw(st.sampled_from(["hex", "binary"])),
        "hex_case": draw(st.sampled_from(["upper", "lower"])),
    }
    if spec["key"] is None and draw(st.booleans()):
        spec["timestamp"] = None
    return spec


def _lookup_for(spec):  # type: ignore[no-untyped-def]
    def lookup(header: FrameHeader) -> AccountPolicy | None:
        return AccountPolicy(key=spec["key"])

    return lookup


@FAST
@given(frame_specs(), st.binary(min_size=16, max_size=64))
def test_round_trip_encode_handle(spec, pad_seed: bytes) -> None:  # type: ignore[no-untyped-def]
    rng = lambda n: (pad_seed * n)[:n]  # noqa: E731
    token = spec.pop("token")
    raw = encode_frame(token, rng=rng, **spec)
    h = handle_frame(raw, now=NOW, lookup=_lookup_for(spec), rng=rng)
    assert h.error is None, h.detail
    assert h.reply_kind is ReplyKind.ACK
    f = h.frame
    assert f is not None
    assert (f.token, f.encrypted, int(f.sequence)) == (
        token,
        spec["key"] is not None,
        spec["sequence"],
    )
    assert (f.account, f.prefix, f.receiver) == (spec["account"], spec["prefix"], spec["receiver"])
    assert f.data == spec["data"] and f.extended == spec["extended"]
    assert f.timestamp == spec["timestamp"] and f.crc_form == spec["crc"]
    reply = parse_reply(h.reply, key=spec["key"])
    assert reply.kind is ReplyKind.ACK and reply.sequence == f.sequence
    assert (reply.account, reply.prefix, reply.receiver) == (f.account, f.prefix, f.receiver)
    assert reply.encrypted == f.encrypted
    if f.encrypted:
        assert reply.timestamp == NOW


def _policy(header: FrameHeader) -> AccountPolicy | None:
    return AccountPolicy(key=KEYS[16]) if header.account == "1234" else None


@FAST
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data: bytes) -> None:
    h = handle_frame(data, now=NOW, lookup=_policy)
    assert h.reply_kind in (None, ReplyKind.NAK, ReplyKind.DUH, ReplyKind.ACK)
    if h.reply_kind is not None:
        assert parse_reply(h.reply, key=KEYS[16]).kind is h.reply_kind
    d = StreamDecoder(max_frame=128)
    for f in d.feed(data):
        assert f[:1] == b"\n" and f[-1:] == b"\r" and len(f) <= 128
    assert d.pending <= len(data)


def _valid_frames(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        key = KEYS[16] if i % 2 else None
        out.append(encode_frame("SIA-DCS", sequence=i, account="1234", data=f"#1234|NBA{i}",
                                timestamp=NOW, key=key, crc="binary" if i % 3 == 0 else "hex",
                                rng=lambda k: b"p" * k))  # fmt: skip
    return out


@FAST
@given(st.integers(1, 8), st.lists(st.integers(0, 2000), max_size=12), st.data())
def test_clean_stream_recovers_all_frames_in_order(n: int, cuts: list[int], data) -> None:  # type: ignore[no-untyped-def]
    frames = _valid_frames(n)
    fillers = [data.draw(st.sampled_from([b"", b"\x00", b"\x00\x00\x00", b"\r\n"])) for _ in frames]
    stream = b"".join(f + pad for f, pad in zip(frames, fillers, strict=True))
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    d = StreamDecoder()
    out: list[bytes] = []
    for chunk in chunks:
        out += d.feed(chunk)
    assert out == frames
    assert d.discarded_bytes == 0
    for raw in out:
        h = handle_frame(raw, now=NOW, lookup=_policy)
        assert h.reply_kind is ReplyKind.ACK, h.detail


@st.composite
def mutated_stream(draw):  # type: ignore[no-untyped-def]
    frames = _valid_frames(draw(st.integers(1, 5)))
    stream = bytearray(b"".join(frames))
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        pos = draw(st.integers(0, max(0, len(stream) - 1)))
        if op == "flip" and stream:
            stream[pos] ^= draw(st.integers(1, 255))
        elif op == "insert":
            stream[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif stream:
            del stream[pos : pos + draw(st.integers(1, 8))]
    return bytes(stream)


@FAST
@given(mutated_stream(), st.lists(st.integers(0, 2000), max_size=10))
def test_mutated_streams_never_raise_and_every_frame_is_answered(
    stream: bytes, cuts: list[int]
) -> None:
    points = sorted({c % (len(stream) + 1) for c in cuts})
    d = StreamDecoder(max_frame=256)
    out: list[bytes] = []
    for a, b in zip([0, *points], [*points, len(stream)], strict=True):
        out += d.feed(stream[a:b])
    for raw in out:
        assert raw[:1] == b"\n" and raw[-1:] == b"\r"
        h = handle_frame(raw, now=NOW, lookup=_policy)
        assert h.reply_kind in (ReplyKind.ACK, ReplyKind.NAK, ReplyKind.DUH), h.detail
        assert h.reply.startswith(b"\n") and h.reply.endswith(b"\r")
        if h.reply_kind is ReplyKind.ACK:
            assert h.frame is not None and h.error is None
        else:
            assert h.error is not None
