"""Junk and mangled frames against a LIVE receiver, and the listener's limits.

Hypothesis feeds random bytes and mutated valid frames, joined and split at random points,
over one TCP connection per example (and as UDP datagrams). Whatever comes in, the receiver
must not crash or hang, must answer only with well-formed ACK/NAK/DUH frames (or nothing,
for garbage), and the connection must still work: a valid frame sent after the junk is
acknowledged (after at most one NAK and a resend, as a panel would do when the junk left
half a frame in front of it).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.wire import HOST, TcpPeer, journal_rows, udp_exchange, wait_for
from tests.support.station import ThreadStation, declare, station_in_thread
from vigie.domain.transmitters import Transmitter
from vigie.protocols.dc09 import Dc09Key, Reply, encode_frame, parse_reply

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(120)]

KEY = Dc09Key(bytes(range(16)), "hex")
MARKER = "FEED"  # the account of the "is it still alive?" frame; never in the junk
FUZZ_SETTINGS = settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadStation]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'vigie.db'}"
    declare(url, Transmitter("1234"), Transmitter("5678", key=KEY.key, key_notation="hex"),
            Transmitter(MARKER))  # fmt: skip
    with station_in_thread(url, max_frame_size=512) as station:
        yield station


def _valid_frames() -> list[bytes]:
    now = datetime.now(UTC)
    return [
        encode_frame("SIA-DCS", sequence=1, account="1234", data="#1234|Nri1/BA3"),
        encode_frame("ADM-CID", sequence=2, account="1234", data="#1234|1130 01 003"),
        encode_frame("NULL", sequence=3, account="1234"),
        encode_frame(
            "SIA-DCS", sequence=4, account="5678", data="#5678|NFA1", key=KEY, timestamp=now
        ),
        encode_frame(
            "SIA-DCS", sequence=5, account="9999", data="#9999|NBA1", key=KEY, timestamp=now
        ),  # unknown account: DUH
    ]


# built at draw time: the encrypted frames' timestamps stay inside the window
valid = st.integers(0, len(_valid_frames()) - 1).map(lambda i: _valid_frames()[i])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    frame = bytearray(draw(valid))
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        at = draw(st.integers(0, max(len(frame) - 1, 0)))
        if kind == "flip" and frame:
            frame[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del frame[at:]
        elif kind == "insert":
            frame[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif frame:
            del frame[at]
    return bytes(frame)


pieces = st.lists(
    st.one_of(
        st.binary(max_size=64),
        valid,
        mutated(),
        st.sampled_from([b"\n", b"\r", b"\x00" * 8, b"\n" + b"A" * 700]),
    ),
    max_size=12,
)


def _check(reply: bytes) -> Reply:
    decoded = parse_reply(reply, key=KEY)
    assert decoded.kind in ("ACK", "NAK", "DUH"), reply
    return decoded


_marker_seq = iter(range(1, 10_000))


def _marker_frame() -> tuple[bytes, str]:
    seq = f"{next(_marker_seq):04d}"
    return encode_frame("SIA-DCS", sequence=seq, account=MARKER, data=f"#{MARKER}|NRP"), seq


def _still_alive_tcp(peer: TcpPeer, junk_frames: int) -> None:
    """Send the marker frame and read replies (all in order) until a marker is ACKed.

    Replies to the junk come first (at most one per CR sent). A NAK may also be the
    marker's own, if junk left half a frame in front of it: on a NAK a panel sends again,
    so a fresh marker goes out, at most three times.
    """
    sent: set[str] = set()

    def send_marker() -> None:
        frame, seq = _marker_frame()
        peer.send(frame)
        sent.add(seq)

    send_marker()
    for _ in range(junk_frames + 4):
        reply = _check(peer.reply())
        if reply.account == MARKER and reply.sequence in sent:
            assert reply.kind == "ACK", reply.raw
            return
        if reply.kind == "NAK" and len(sent) < 4:
            send_marker()
    raise AssertionError("the valid frame after the junk was never acknowledged")


@FUZZ_SETTINGS
@given(chunks=pieces, cuts=st.lists(st.integers(1, 200), max_size=8))
def test_tcp_junk_then_valid_frame(
    live: ThreadStation, chunks: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(chunks)
    with TcpPeer(live.port, timeout=5) as peer:
        at = 0
        for cut in cuts:  # split the stream at random points into separate writes
            peer.send(stream[at : at + cut])
            at += cut
        peer.send(stream[at:])
        _still_alive_tcp(peer, junk_frames=stream.count(b"\r"))
        assert live.station.receiver.connection_count >= 1


@FUZZ_SETTINGS
@given(datagram=st.one_of(st.binary(max_size=600), mutated(), valid))
def test_udp_junk_then_valid_datagram(live: ThreadStation, datagram: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(datagram, (HOST, live.port))
        frame, seq = _marker_frame()
        sock.sendto(frame, (HOST, live.port))
        while True:  # the junk's reply (if any) may come before or after the marker's
            reply = _check(sock.recvfrom(4096)[0])
            if reply.account == MARKER and reply.sequence == seq:
                assert reply.kind == "ACK"
                break


def test_receiver_survived_and_journaled_the_fuzz(live: ThreadStation) -> None:
    # after the hypothesis tests (same module-scoped receiver), it still answers on both
    # transports and every marker it ACKed is in the journal, acknowledged
    assert _check(udp_exchange(live.port, _marker_frame()[0])).kind == "ACK"
    with TcpPeer(live.port) as peer:
        _still_alive_tcp(peer, junk_frames=0)
    rows = journal_rows(live.station.settings.database_url, MARKER, 2)
    assert all(record.reply_kind == "ACK" for _, record in rows)


# -- limits ---------------------------------------------------------------------------


def _ack(peer: TcpPeer, seq: int, account: str = "1234") -> None:
    frame = encode_frame("SIA-DCS", sequence=seq, account=account, data=f"#{account}|NBA{seq}")
    assert parse_reply(peer.exchange(frame)).kind == "ACK"


def _refused(port: int) -> bool:
    """True if the receiver closes a new connection without reading a frame from it."""
    try:
        with TcpPeer(port, timeout=5) as peer:
            peer.send(encode_frame("NULL", sequence=1, account="1234"))
            peer.reply()
    except (ConnectionError, OSError):
        return True
    return False


def test_connection_limit(sqlite_url: str) -> None:
    declare(sqlite_url, Transmitter("1234"))
    with station_in_thread(sqlite_url, max_connections=2) as station:
        first, second = TcpPeer(station.port), TcpPeer(station.port)
        try:
            _ack(first, 1)
            _ack(second, 2)
            assert _refused(station.port), "a third connection was served"
            _ack(first, 3)  # the admitted ones still work
            second.close()
            # once a slot frees up, a new connection is served again
            wait_for(lambda: station.station.receiver.connection_count < 2, 5, "release")
            with TcpPeer(station.port) as third:
                _ack(third, 4)
        finally:
            first.close()
            second.close()


def test_idle_connection_is_closed(sqlite_url: str) -> None:
    declare(sqlite_url, Transmitter("1234"))
    with (
        station_in_thread(sqlite_url, idle_timeout=0.5) as station,
        TcpPeer(station.port, timeout=5) as busy,
        TcpPeer(station.port, timeout=5) as idle,
    ):
        started = time.monotonic()
        for seq in range(1, 6):  # a talking connection outlives the idle timeout
            _ack(busy, seq)
            time.sleep(0.2)  # paces the panel; nothing waits on it
        assert idle.sock.recv(16) == b"", "the idle connection was not closed"
        assert time.monotonic() - started < 4
        _ack(busy, 6)


def test_over_long_frame_is_dropped_and_the_next_answered(sqlite_url: str) -> None:
    declare(sqlite_url, Transmitter("1234"))
    with station_in_thread(sqlite_url, max_frame_size=256) as station:
        long_frame = encode_frame("SIA-DCS", sequence=1, account="1234",
                                  data="#1234|NBA1/" + "A" * 400)  # fmt: skip
        assert len(long_frame) > 256
        with TcpPeer(station.port) as peer:
            peer.send(long_frame)
            _ack(peer, 2)  # the first reply on the connection is the next frame's ACK
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(1)
            sock.sendto(long_frame, (HOST, station.port))
            assert parse_reply(udp_exchange(station.port, _valid_frames()[0])).kind == "ACK"
            with pytest.raises(TimeoutError):
                sock.recvfrom(4096)  # the over-long datagram got no answer
        rows = journal_rows(sqlite_url, "1234", 2)
        assert all(len(record.raw) <= 256 for _, record in rows)
