"""The hash chain alone: building it and naming the first broken link of each tampering."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest

from vigie.domain.errors import InvalidValue
from vigie.domain.logbook import (
    GENESIS_HASH,
    BreakKind,
    LogDraft,
    LogEntry,
    LogKind,
    canonical_bytes,
    chain,
    compute_hash,
    verify_chain,
)

T0 = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)


def _drafts(n: int) -> list[LogDraft]:
    return [
        LogDraft(
            at=T0 + timedelta(seconds=i),
            kind=LogKind.ALARM if i % 2 else LogKind.MANUAL,
            text=f"Entrée n°{i} — intrusion zone {i}",
            author="jdupont" if i % 2 else "system",
            role="operator",
            card_number="CAR-075-2030-01-01-12345678",
            source="10.0.0.7",
            site_id="S-001",
            incident_id=i,
            data={"zone": i, "codes": ["BA", "BR"], "nested": {"b": 1.5, "a": None}},
        )
        for i in range(n)
    ]


@pytest.fixture
def entries() -> list[LogEntry]:
    return chain(_drafts(6), last_id=0, last_hash=GENESIS_HASH)


def test_a_fresh_chain_is_numbered_from_one_linked_and_valid(entries: list[LogEntry]) -> None:
    assert [e.id for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].prev_hash == GENESIS_HASH == "0" * 64
    for before, after in pairwise(entries):
        assert after.prev_hash == before.hash
    assert verify_chain(entries) is None
    assert verify_chain([]) is None


def test_the_hash_is_sha256_of_sorted_compact_json_without_the_hash_field(
    entries: list[LogEntry],
) -> None:
    entry = entries[1]
    document = json.loads(canonical_bytes(entry))
    assert "hash" not in document
    assert document["id"] == 2 and document["prev_hash"] == entries[0].hash
    assert document["at"] == "2026-11-28T12:00:01.123456Z"
    raw = canonical_bytes(entry).decode()
    assert raw == json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert entry.hash == hashlib.sha256(raw.encode()).hexdigest()


def test_the_hash_does_not_depend_on_key_order_or_the_time_zone_written() -> None:
    paris = timezone(timedelta(hours=1))
    one = LogDraft(at=T0, kind=LogKind.MANUAL, text="x", data={"a": 1, "b": (1, 2)})
    two = LogDraft(at=T0.astimezone(paris), kind="manual", text="x", data={"b": [1, 2], "a": 1})  # type: ignore[arg-type]
    [e1] = chain([one], last_id=0, last_hash=GENESIS_HASH)
    [e2] = chain([two], last_id=0, last_hash=GENESIS_HASH)
    assert e1.hash == e2.hash
    assert e2.at.tzinfo is UTC


def test_chain_continues_after_an_existing_head(entries: list[LogEntry]) -> None:
    more = chain(_drafts(2), last_id=entries[-1].id, last_hash=entries[-1].hash)
    assert [e.id for e in more] == [7, 8]
    assert verify_chain(entries + more) is None


def _rehash(entry: LogEntry) -> LogEntry:
    return replace(entry, hash=compute_hash(entry))


def test_tampered_text_is_a_hash_mismatch_at_that_entry(entries: list[LogEntry]) -> None:
    entries[2] = replace(entries[2], text="Rien à signaler")
    broken = verify_chain(entries)
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (3, BreakKind.HASH_MISMATCH)
    assert broken.at == entries[2].at
    assert "entry 3" in str(broken)


def test_tampered_data_is_a_hash_mismatch_at_that_entry(entries: list[LogEntry]) -> None:
    entries[4] = replace(entries[4], data={**entries[4].data, "zone": 99})
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (5, BreakKind.HASH_MISMATCH)


@pytest.mark.parametrize(
    "field,value",
    [
        ("author", "quelqu'un"),
        ("at", T0 + timedelta(days=1)),
        ("kind", LogKind.SYSTEM),
        ("card_number", ""),
        ("source", "1.2.3.4"),
        ("site_id", None),
        ("corrects", 1),
    ],
)
def test_every_field_is_covered_by_the_hash(
    entries: list[LogEntry], field: str, value: Any
) -> None:
    entries[1] = replace(entries[1], **{field: value})
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (2, BreakKind.HASH_MISMATCH)


def test_a_rehashed_tampering_breaks_the_next_link(entries: list[LogEntry]) -> None:
    entries[2] = _rehash(replace(entries[2], text="Rien à signaler"))
    broken = verify_chain(entries)
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (4, BreakKind.PREV_HASH_MISMATCH)


def test_a_deleted_entry_is_an_id_gap_at_the_entry_after_it(entries: list[LogEntry]) -> None:
    del entries[3]
    broken = verify_chain(entries)
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (5, BreakKind.ID_GAP)
    assert "entry 4 is missing" in broken.detail


def test_several_deleted_entries_are_named_as_a_range(entries: list[LogEntry]) -> None:
    del entries[1:4]
    broken = verify_chain(entries)
    assert broken is not None and broken.kind is BreakKind.ID_GAP
    assert broken.entry_id == 5 and "2 to 4" in broken.detail


def test_a_deleted_first_entry_is_found(entries: list[LogEntry]) -> None:
    broken = verify_chain(entries[1:])
    assert broken is not None and (broken.entry_id, broken.kind) == (2, BreakKind.ID_GAP)


def test_swapped_entries_are_reordered_at_the_first_one_out_of_place(
    entries: list[LogEntry],
) -> None:
    entries[2], entries[3] = entries[3], entries[2]
    broken = verify_chain(entries)
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (4, BreakKind.REORDERED)


def test_an_entry_moved_far_back_shows_first_as_a_gap(entries: list[LogEntry]) -> None:
    moved = entries.pop(1)
    entries.insert(4, moved)  # 1 3 4 5 2 6
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (3, BreakKind.ID_GAP)


def test_an_entry_repeated_later_is_reordered(entries: list[LogEntry]) -> None:
    broken = verify_chain([entries[0], entries[1], entries[0]])
    assert broken is not None and (broken.entry_id, broken.kind) == (1, BreakKind.REORDERED)
    assert "after entry 2" in broken.detail


def test_swapped_contents_under_kept_ids_is_a_hash_mismatch(entries: list[LogEntry]) -> None:
    third, fourth = entries[2], entries[3]
    entries[2] = replace(fourth, id=3)
    entries[3] = replace(third, id=4)
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (3, BreakKind.HASH_MISMATCH)


def test_a_forged_prev_hash_is_found(entries: list[LogEntry]) -> None:
    forged = replace(entries[3], prev_hash="f" * 64)
    entries[3] = forged
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (4, BreakKind.HASH_MISMATCH)
    entries[3] = _rehash(forged)
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (
        4,
        BreakKind.PREV_HASH_MISMATCH,
    )


def test_a_forged_genesis_is_found(entries: list[LogEntry]) -> None:
    entries[0] = _rehash(replace(entries[0], prev_hash="1" * 64))
    broken = verify_chain(entries)
    assert broken is not None and (broken.entry_id, broken.kind) == (
        1,
        BreakKind.PREV_HASH_MISMATCH,
    )


def test_verify_streams_from_an_iterator(entries: list[LogEntry]) -> None:
    assert verify_chain(iter(entries)) is None
    assert verify_chain(e for e in entries if e.id != 2) is not None


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"at": datetime(2026, 1, 1)}, "at"),
        ({"text": "   "}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"author": ""}, "author"),
        ({"kind": LogKind.CORRECTION}, "corrects"),
        ({"corrects": 3}, "corrects"),
        ({"data": {"t": datetime(2026, 1, 1)}}, "data.t"),
        ({"data": {"x": float("nan")}}, "data.x"),
        ({"data": {1: "a"}}, "data"),
    ],
)
def test_drafts_refuse_what_would_not_hash_the_same_twice(
    kwargs: dict[str, object], field: str
) -> None:
    base: dict[str, object] = {"at": T0, "kind": LogKind.MANUAL, "text": "ok"}
    with pytest.raises(InvalidValue) as caught:
        LogDraft(**{**base, **kwargs})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_correction_points_at_an_earlier_entry() -> None:
    draft = LogDraft(at=T0, kind=LogKind.CORRECTION, text="lire zone 4", corrects=2)
    assert draft.corrects == 2
