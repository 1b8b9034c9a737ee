"""The logbook on SQLite and PostgreSQL: one unbroken chain under concurrency, triggers,
filters, tampering found by ``verify`` and by the CLI, exports."""

from __future__ import annotations

import csv
import io
import multiprocessing
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, exc, insert, text
from typer.testing import CliRunner

from vigie.adapters.db.engine import make_engine, write_transaction
from vigie.adapters.db.logbook_store import SqlLogbook, entry_to_row
from vigie.adapters.db.logbook_tables import logbook as logbook_table
from vigie.adapters.db.migrate import upgrade
from vigie.domain.logbook import BreakKind, LogDraft, LogKind
from vigie.entrypoints.cli import app as cli
from vigie.services.logbook_export import CSV_COLUMNS, export_csv, export_pdf

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _draft(n: int, **overrides: object) -> LogDraft:
    fields: dict[str, object] = {
        "at": T0 + timedelta(minutes=n),
        "kind": LogKind.ALARM,
        "text": f"Alarme intrusion zone {n}",
        "author": "system",
        "site_id": f"S{n % 3}",
        "incident_id": n % 5 + 1,
        "data": {"n": n, "codes": ["BA"], "ratio": 0.5},
    }
    fields.update(overrides)
    return LogDraft(**fields)  # type: ignore[arg-type]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def store(engine: Engine) -> SqlLogbook:
    return SqlLogbook(engine, batch_size=7)


def _disable_triggers(engine: Engine) -> None:
    """Deliberately bypass the append-only guard, as an attacker with DB rights would."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE logbook DISABLE TRIGGER logbook_no_update_delete"))
        else:
            conn.execute(text("DROP TRIGGER logbook_no_update"))
            conn.execute(text("DROP TRIGGER logbook_no_delete"))


def test_entries_come_back_exactly_as_appended(store: SqlLogbook) -> None:
    one = store.append(_draft(1, text="Évacuation « totale » — 100 %", card_number="CAR-1"))
    more = store.append_many([_draft(n) for n in range(2, 12)])
    assert [e.id for e in [one, *more]] == list(range(1, 12))
    back = list(store.entries())
    assert back == [one, *more]
    assert back[0].at == T0 + timedelta(minutes=1) and back[0].at.tzinfo is not None
    assert store.get(1) == one and store.get(99) is None
    assert store.last() == more[-1] and store.count() == 11
    assert store.verify() is None
    assert store.append_many([]) == []


def test_entries_stream_in_batches_from_an_id_and_within_a_period(store: SqlLogbook) -> None:
    store.append_many([_draft(n) for n in range(30)])
    assert [e.id for e in store.entries(from_id=25)] == [25, 26, 27, 28, 29, 30]
    window = list(store.entries(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20)))
    assert [e.data["n"] for e in window] == list(range(10, 20))


def _hammer(url: str, worker: int, count: int, start: Any) -> None:
    engine = make_engine(url)
    store = SqlLogbook(engine)
    start.wait(timeout=60)  # every process begins together, after its slow spawn
    threads = [
        threading.Thread(
            target=lambda t=t: [
                store.append_many([_draft(i, author=f"p{worker}t{t}")] * (1 + i % 3))
                for i in range(count)
            ]
        )
        for t in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()


def test_concurrent_threads_and_processes_make_one_unbroken_chain(
    store: SqlLogbook, db_url: str
) -> None:
    count = 15
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    processes = [context.Process(target=_hammer, args=(db_url, w, count, start)) for w in (1, 2)]
    for process in processes:
        process.start()
    _hammer(db_url, 0, count, start)
    for process in processes:
        process.join(timeout=90)
        assert process.exitcode == 0
    per_thread = sum(1 + i % 3 for i in range(count))
    entries = list(store.entries())
    assert len(entries) == 3 * 3 * per_thread
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    assert {e.author for e in entries} == {f"p{w}t{t}" for w in range(3) for t in range(3)}
    assert store.verify() is None


def test_append_in_joins_the_callers_transaction(store: SqlLogbook, engine: Engine) -> None:
    with pytest.raises(RuntimeError), write_transaction(engine) as conn:
        store.append_in(conn, [_draft(1), _draft(2)])
        raise RuntimeError("the caller's other write failed")
    assert store.count() == 0
    with write_transaction(engine) as conn:
        first = store.append_in(conn, [_draft(1)])
        second = store.append_in(conn, [_draft(2)])
    assert [e.id for e in first + second] == [1, 2]
    assert store.verify() is None


def test_a_fork_cannot_be_written(store: SqlLogbook, engine: Engine) -> None:
    [first] = store.append_many([_draft(1)])
    [second] = store.append_many([_draft(2)])
    rogue = entry_to_row(second) | {"id": 3, "text": "fork"}
    with pytest.raises(exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert(logbook_table), rogue)
    assert first.hash == second.prev_hash


@pytest.mark.parametrize(
    "statement",
    ["UPDATE logbook SET text = 'rien' WHERE id = 1", "DELETE FROM logbook WHERE id = 1"],
)
def test_triggers_refuse_updates_and_deletes(
    store: SqlLogbook, engine: Engine, statement: str
) -> None:
    store.append_many([_draft(1), _draft(2)])
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert store.count() == 2 and store.verify() is None


def test_truncate_is_refused_on_postgresql(store: SqlLogbook, engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE")
    store.append(_draft(1))
    with pytest.raises(exc.DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE logbook"))


def test_search_filters(store: SqlLogbook) -> None:
    store.append_many([_draft(n) for n in range(15)])
    store.append(_draft(15, text="ÉVACUATION du bâtiment, 100% des personnes", author="jdupont"))
    store.append(_draft(16, kind=LogKind.MANUAL, text="Ronde_1 effectuée", author="amartin"))

    def ids(**kwargs: object) -> list[int]:
        return [e.id for e in store.search(**kwargs)]  # type: ignore[arg-type]

    assert ids(site_id="S1") == [e for e in range(1, 18) if (e - 1) % 3 == 1]
    assert ids(incident_id=2) == [2, 7, 12, 17]
    assert ids(author="jdupont") == [16]
    assert ids(text="évacuation") == [16]
    assert ids(text="BÂTIMENT") == [16]
    assert ids(text="100%") == [16] and ids(text="0%") == [16]
    assert ids(text="_1 ") == [17] and ids(text="ronde%") == []
    assert ids(kind=LogKind.MANUAL) == [17]
    assert ids(since=T0 + timedelta(minutes=14), until=T0 + timedelta(minutes=16)) == [15, 16]
    paris = datetime(2026, 11, 28, 13, 14, tzinfo=timezone(timedelta(hours=1)))  # 12:14 UTC
    assert ids(since=paris, limit=2) == [15, 16]
    assert ids(after_id=14) == [15, 16, 17]
    assert ids(limit=3, newest_first=True) == [17, 16, 15]
    assert ids(site_id="S1", incident_id=2, author="system") == [2]


def _tamper(engine: Engine, statement: str) -> None:
    _disable_triggers(engine)
    with engine.begin() as conn:
        conn.execute(text(statement))


def test_a_tampered_row_is_found_by_verify_and_by_the_cli(
    store: SqlLogbook, engine: Engine, db_url: str
) -> None:
    store.append_many([_draft(n) for n in range(20)])
    runner = CliRunner()
    ok = runner.invoke(cli, ["logbook", "verify", "--db", db_url])
    assert ok.exit_code == 0, ok.output
    assert "chaîne intègre: 20 entrées" in ok.output

    _tamper(engine, "UPDATE logbook SET text = 'RAS' WHERE id = 13")
    broken = store.verify()
    assert broken is not None and (broken.entry_id, broken.kind) == (13, BreakKind.HASH_MISMATCH)
    result = runner.invoke(cli, ["logbook", "verify", "--db", db_url])
    assert result.exit_code == 1
    assert "entrée 13" in result.output and "hash mismatch" in result.output


def test_a_deleted_row_is_found_as_a_gap(store: SqlLogbook, engine: Engine) -> None:
    store.append_many([_draft(n) for n in range(10)])
    _tamper(engine, "DELETE FROM logbook WHERE id = 4")
    broken = store.verify()
    assert broken is not None and (broken.entry_id, broken.kind) == (5, BreakKind.ID_GAP)


def test_tampered_data_is_found(store: SqlLogbook, engine: Engine) -> None:
    store.append_many([_draft(n) for n in range(5)])
    _tamper(engine, """UPDATE logbook SET data = '{"n": 99}' WHERE id = 2""")
    broken = store.verify()
    assert broken is not None and (broken.entry_id, broken.kind) == (2, BreakKind.HASH_MISMATCH)


def test_export_csv_keeps_every_field_and_the_hash(store: SqlLogbook) -> None:
    entries = store.append_many(
        [_draft(1, text='=HYPERLINK("x")'), _draft(2, text="Évacuation; « sortie »")]
    )
    stream = io.StringIO(newline="")
    assert export_csv(store.entries(), stream) == 2
    content = stream.getvalue()
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    first, second = (dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:])
    assert first["text"].startswith("'=")  # a spreadsheet must not run it
    assert second["text"] == "Évacuation; « sortie »"
    assert second["date_heure_paris"] == "28/11/2026 13:02:00"
    assert second["at_utc"] == "2026-11-28T12:02:00.000000Z"
    assert second["hash"] == entries[1].hash and second["prev_hash"] == entries[0].hash
    assert second["site_id"] == "S2" and second["incident_id"] == "3"


def test_export_pdf_is_a_real_pdf_with_the_hashes(store: SqlLogbook, tmp_path: Path) -> None:
    entries = store.append_many(
        [_draft(n, text=f"Entrée n°{n} : vérifiée à l'écran, œil ouvert — €") for n in range(80)]
    )
    target = tmp_path / "mc.pdf"
    report = export_pdf(
        store.entries(),
        target,
        "Main courante",
        "du 28/11/2026 au 29/11/2026",
        station="Station Lyon",
        generated_at=T0,
    )
    raw = target.read_bytes()
    assert raw.startswith(b"%PDF-") and raw.rstrip().endswith(b"%%EOF")
    assert report.entries == 80 and report.pages >= 2
    assert (report.first_hash, report.last_hash) == (entries[0].hash, entries[-1].hash)
    empty = io.BytesIO()
    assert export_pdf([], empty, "Main courante", "vide").pages == 1
    assert empty.getvalue().startswith(b"%PDF-")


def test_cli_add_search_and_export(store: SqlLogbook, db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    added = runner.invoke(
        cli,
        [
            "logbook",
            "add",
            "Ronde effectuée, RAS",
            "--site",
            "S9",
            "--author",
            "jdupont",
            "--card",
            "CAR-9",
            "--db",
            db_url,
        ],
    )
    assert added.exit_code == 0, added.output
    assert "entrée 1 ajoutée" in added.output
    entry = store.get(1)
    assert entry is not None and (entry.author, entry.card_number) == ("jdupont", "CAR-9")
    assert entry.source.startswith("cli@")
    found = runner.invoke(cli, ["logbook", "search", "--text", "ronde", "--db", db_url])
    assert found.exit_code == 0 and "Ronde effectuée" in found.output
    none = runner.invoke(cli, ["logbook", "search", "--site", "S1", "--db", db_url])
    assert "Ronde" not in none.output
    day = entry.at.astimezone().date().isoformat()
    out = tmp_path / "mc.csv"
    exported = runner.invoke(
        cli,
        [
            "logbook",
            "export",
            "--from",
            day,
            "--to",
            day,
            "--format",
            "csv",
            "-o",
            str(out),
            "--db",
            db_url,
        ],
    )
    assert exported.exit_code == 0, exported.output
    assert "Ronde effectuée" in out.read_text(encoding="utf-8-sig")
    pdf = tmp_path / "mc.pdf"
    exported = runner.invoke(
        cli, ["logbook", "export", "--format", "pdf", "-o", str(pdf), "--db", db_url]
    )
    assert exported.exit_code == 0, exported.output
    assert pdf.read_bytes().startswith(b"%PDF-")
    bad = runner.invoke(cli, ["logbook", "export", "--from", "28/11/2026", "--db", db_url])
    assert bad.exit_code == 2 and "YYYY-MM-DD" in bad.output
