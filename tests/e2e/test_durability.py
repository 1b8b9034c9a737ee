"""ACK after commit, across a SIGKILL: what was acknowledged survives, nothing is doubled.

Several panels stream frames over persistent TCP connections to a ``vigie serve`` process;
the process is killed mid-stream (SIGKILL: nothing flushed, nothing closed) and restarted
on the same database and port. The panels do what panels do: a frame without an ACK is
sent again, unchanged, until it is acknowledged. Then:

* every frame that got an ACK is in the journal as an original;
* no frame is stored twice as an original: a retransmission of a frame that was already
  committed (killed between commit and ACK, or ACK lost) is flagged ``duplicate_of``;
* the restarted server answers.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.wire import HOST, wait_for
from tests.support.station import IDENTITY, ProcessStation, journal, start_process
from vigie.protocols.dc09 import encode_frame, parse_reply

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

SENDERS = 4
FRAMES_PER_SENDER = 60
KILL_AFTER_ACKS = 80  # kill once this many frames are acknowledged in total


@dataclass(eq=False)
class Panel(threading.Thread):
    """A stop-and-wait panel: one frame at a time, resent until ACKed."""

    account: str
    port: int
    deadline: float
    acked: set[int] = field(default_factory=set)
    attempts: int = 0
    lost_acks: set[int] = field(default_factory=set)
    failures: int = 0
    error: BaseException | None = None

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, name=f"panel-{self.account}", daemon=True)
        stamp = datetime.now(UTC)
        # seq n reports zone n: each frame identifiable; the timestamp is fixed at creation
        # (a retransmission is the same frame, byte for byte, as a panel resends it).
        self.frames = {
            n: encode_frame("SIA-DCS", sequence=n, account=self.account,
                            data=f"#{self.account}|Nri1/BA{n}", timestamp=stamp)
            for n in range(1, FRAMES_PER_SENDER + 1)
        }  # fmt: skip

    def run(self) -> None:
        try:
            self._run()
        except BaseException as exc:  # reported by the test
            self.error = exc

    def _run(self) -> None:
        sock: socket.socket | None = None
        for n, frame in self.frames.items():
            if n % 10 == 5:
                self._send_and_lose_the_ack(frame)
                self.lost_acks.add(n)
            while n not in self.acked:
                if time.monotonic() > self.deadline:
                    raise TimeoutError(f"{self.account}: frame {n} never acknowledged")
                try:
                    if sock is None:
                        sock = socket.create_connection((HOST, self.port), timeout=2)
                    self.attempts += 1
                    sock.sendall(frame)
                    reply = b""
                    while not reply.endswith(b"\r"):
                        chunk = sock.recv(1024)
                        if not chunk:
                            raise ConnectionError("closed")
                        reply += chunk
                    answer = parse_reply(reply)
                    assert answer.kind == "ACK", reply
                    assert answer.sequence == f"{n:04d}" and answer.account == self.account
                    self.acked.add(n)
                except OSError:
                    self.failures += 1
                    if sock is not None:
                        sock.close()
                        sock = None
                    time.sleep(0.1)  # a panel's retry back-off, not a synchronisation
        if sock is not None:
            sock.close()

    def _send_and_lose_the_ack(self, frame: bytes) -> None:
        """Every tenth frame: sent, then the connection drops before the ACK is read, so
        the panel sends it again; the receiver must see a retransmission, not a new frame."""
        try:
            with socket.create_connection((HOST, self.port), timeout=2) as lossy:
                self.attempts += 1
                lossy.sendall(frame)
        except OSError:
            self.failures += 1


def _total_acked(panels: list[Panel]) -> int:
    return sum(len(p.acked) for p in panels)


def test_acked_frames_survive_sigkill_and_retransmissions_are_not_doubled(
    db_url: str, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    server: ProcessStation = start_process(db_url, log)
    panels: list[Panel] = []
    try:
        deadline = time.monotonic() + 60
        panels = [Panel(f"{7000 + i}", server.dc09_port, deadline) for i in range(SENDERS)]
        for panel in panels:
            panel.start()
        wait_for(lambda: _total_acked(panels) >= KILL_AFTER_ACKS, 20, "first ACKs")
        server.kill()
        acked_before_kill = {p.account: set(p.acked) for p in panels}
        assert sum(map(len, acked_before_kill.values())) < SENDERS * FRAMES_PER_SENDER, (
            "the kill came after the stream ended: nothing was tested"
        )
        server = start_process(db_url, log, dc09_port=server.dc09_port)
        for panel in panels:
            panel.join(timeout=70)
    finally:
        server.stop()

    for panel in panels:
        assert panel.error is None, f"{panel.account}: {panel.error!r}"
        assert panel.acked == set(panel.frames)
    assert sum(p.failures for p in panels) > 0, "no panel noticed the kill"

    rows = journal(db_url)
    by_id = {stored.id: record for stored, record in rows}
    for panel in panels:
        originals: dict[int, list[int]] = {}
        copies: dict[int, list[int]] = {}
        for stored, record in rows:
            if record.account != panel.account:
                continue
            assert record.reply_kind == "ACK", record.detail
            n = int(record.sequence or 0)
            assert record.raw == panel.frames[n]
            assert record.events[0].zone == str(n)
            if stored.duplicate_of is None:
                originals.setdefault(n, []).append(stored.id)
            else:
                copies.setdefault(n, []).append(stored.id)
                assert by_id[stored.duplicate_of].raw == record.raw
                assert stored.duplicate_of < stored.id
        # every ACKed frame is stored, once as an original
        assert set(originals) == set(panel.frames), panel.account
        doubled = {n: ids for n, ids in originals.items() if len(ids) > 1}
        assert not doubled, f"{panel.account}: stored twice as originals: {doubled}"
        assert acked_before_kill[panel.account] <= set(originals)
        for n, ids in copies.items():
            assert all(i > originals[n][0] for i in ids)

    # the frames whose ACK was lost came back as retransmissions and were recognised
    duplicates = sum(1 for stored, _ in rows if stored.duplicate)
    lost = sum(len(p.lost_acks) for p in panels)
    assert duplicates >= lost // 2, (duplicates, lost)
    # the journal holds only what was sent: no frame invented
    assert len(rows) <= sum(p.attempts for p in panels)


def test_restarted_server_answers(sqlite_url: str, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    first = start_process(sqlite_url, log)
    frame = encode_frame("SIA-DCS", sequence=1, account="7100", data="#7100|NBA1")
    with socket.create_connection((HOST, first.dc09_port), timeout=5) as sock:
        sock.sendall(frame)
        assert parse_reply(sock.recv(1024)).kind == "ACK"
    first.kill()
    second = start_process(sqlite_url, log, dc09_port=first.dc09_port, trust_identity_headers=True)
    try:
        assert httpx.get(f"{second.http}/healthz", timeout=5).status_code == 200
        again = encode_frame("SIA-DCS", sequence=2, account="7100", data="#7100|NBR1")
        with socket.create_connection((HOST, second.dc09_port), timeout=5) as sock:
            sock.sendall(again)
            assert parse_reply(sock.recv(1024)).kind == "ACK"
        signals = httpx.get(
            f"{second.http}/api/v1/signals", params={"account": "7100"}, headers=IDENTITY
        ).json()
        assert [s["sequence"] for s in signals] == ["0002", "0001"]
    finally:
        second.stop()
