"""The SQL signal journal: group commit, retransmissions, failures — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.journal import GroupCommitJournal
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.signal_reader import SqlSignalReader
from vigie.domain.signals import SignalEvent, SignalRecord, Transport
from vigie.services.ports import SignalFilter

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _record(n: int, key: str | None = None, at: datetime = T0) -> SignalRecord:
    return SignalRecord(
        received_at=at,
        transport=Transport.TCP,
        peer="127.0.0.1:40000",
        raw=f'\nXXXX0000"SIA-DCS"{n:04d}L0#1234[#1234|NBA{n}]\r'.encode(),
        reply_kind="ACK",
        reply=b'\n0000"ACK"0001L0#1234[]\r',
        token="SIA-DCS",
        sequence=f"{n:04d}",
        prefix="0",
        account="1234",
        known_account=True,
        events=(
            SignalEvent(
                "SIA-DCS",
                "BA",
                "intrusion",
                "Alarme intrusion",
                "Burglary alarm",
                True,
                zone=str(n),
            ),
        ),
        extended=(("X", "002E20.1234"),),
        dedup_key=key if key is not None else f"key-{n}",
    )


@pytest.fixture
def engine(db_url: str) -> Engine:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _all(engine: Engine) -> list:
    return list(SqlSignalReader(engine).list(SignalFilter(limit=1000, newest_first=False)))


async def _append_all(journal: GroupCommitJournal, records: list[SignalRecord]) -> list:
    return await asyncio.gather(*(journal.append(r) for r in records))


def test_every_appended_record_is_stored_once_with_its_fields(engine: Engine) -> None:
    journal = GroupCommitJournal(engine, duplicate_window=600)
    try:
        stored = asyncio.run(_append_all(journal, [_record(n) for n in range(300)]))
    finally:
        journal.close()
    assert len({s.id for s in stored}) == 300
    rows = _all(engine)
    assert [r.sequence for _, r in rows] == [f"{n:04d}" for n in range(300)]
    first = rows[0][1]
    assert first.events[0].code == "BA" and first.events[0].zone == "0"
    assert first.extended == (("X", "002E20.1234"),)
    assert first.received_at == T0
    # Group commit: many frames share a transaction.
    assert journal.batches < 300


def test_a_retransmission_is_stored_and_points_at_the_first_copy(engine: Engine) -> None:
    journal = GroupCommitJournal(engine, duplicate_window=600)
    try:
        first = asyncio.run(journal.append(_record(1, key="same")))
        again = asyncio.run(journal.append(_record(1, key="same", at=T0 + timedelta(seconds=30))))
        later = asyncio.run(journal.append(_record(1, key="same", at=T0 + timedelta(hours=1))))
    finally:
        journal.close()
    assert first.duplicate_of is None
    assert again.duplicate_of == first.id
    assert later.duplicate_of is None, "outside the window it is a new signal"
    assert len(_all(engine)) == 3


def test_copies_within_one_commit_are_found_too(engine: Engine) -> None:
    journal = GroupCommitJournal(engine, duplicate_window=600)
    try:
        stored = asyncio.run(_append_all(journal, [_record(7, key="twice")] * 3))
    finally:
        journal.close()
    originals = [s for s in stored if s.duplicate_of is None]
    assert len(originals) == 1
    assert all(s.duplicate_of == originals[0].id for s in stored if s is not originals[0])
    assert sum(1 for s, _ in _all(engine) if s.duplicate) == 2


def test_rejected_frames_are_kept_without_dedup(engine: Engine) -> None:
    journal = GroupCommitJournal(engine)
    bad = replace(_record(1), reply_kind="NAK", error="bad_crc", dedup_key=None, events=())
    try:
        asyncio.run(_append_all(journal, [bad, bad]))
    finally:
        journal.close()
    rows = _all(engine)
    assert [(s.duplicate, r.error, r.reply_kind) for s, r in rows] == [
        (False, "bad_crc", "NAK"),
        (False, "bad_crc", "NAK"),
    ]


def test_a_failed_commit_reaches_the_waiter(db_url: str) -> None:
    engine = make_engine(db_url)  # no schema: every insert fails
    journal = GroupCommitJournal(engine)
    try:
        with pytest.raises(Exception, match="signals"):
            asyncio.run(journal.append(_record(1)))
    finally:
        journal.close()
        engine.dispose()


def test_reader_filters_by_account_and_time(engine: Engine) -> None:
    journal = GroupCommitJournal(engine)
    other = replace(_record(2), account="9999", received_at=T0 + timedelta(minutes=5))
    try:
        asyncio.run(_append_all(journal, [_record(1), other]))
    finally:
        journal.close()
    reader = SqlSignalReader(engine)
    assert [r.account for _, r in reader.list(SignalFilter(account="9999"))] == ["9999"]
    since = reader.list(SignalFilter(since=T0 + timedelta(minutes=1)))
    assert [r.sequence for _, r in since] == ["0002"]
