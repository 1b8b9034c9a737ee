"""The processor benchmark's workload: a register, a realistic journal, fresh databases.

* the register: ``examples/register.json`` (12 sites) plus synthetic sites copied from its
  sites in turn (new id, name and transmitter account), parsed by ``parse_register_json``
  with a cheap secret-word hasher (scrypt at N=16 instead of 2**14);
* the journal: real DC-09 frames (``encode_frame``, AES for the one keyed transmitter)
  decoded by the receiver's own ``Reception.decode``, so the records are exactly what a
  station stores. Mix per signal: 80% periodic tests and NULL polls, 10% openings and
  closings (alternating per site), 8% alarms on one of the site's zones, 2% restores
  (of a zone alarmed before when there is one);
* databases: a fresh SQLite file or a throw-away PostgreSQL database per run, migrated,
  with the register and the journal written before the clock starts.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import random
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, func, select

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.incident_tables import alarms, incidents
from vigie.adapters.db.journal import record_to_row
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.logbook_tables import logbook
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.processing_store import SqlProcessing
from vigie.adapters.db.register_repository import SqlRegister
from vigie.adapters.db.tables import signals
from vigie.domain.register import Procedure, Site
from vigie.domain.register_set import LinkedTransmitter, Register
from vigie.domain.signals import SignalRecord, StoredSignal, Transport
from vigie.protocols.dc09 import Dc09Key, encode_frame
from vigie.services.logbook import Logbook
from vigie.services.processor import Processor, ProcessorOptions
from vigie.services.reception import Reception, ReceptionOptions
from vigie.services.register_io import parse_register_json
from vigie.services.secret_words import hash_word
from vigie.services.transmitter_directory import TransmitterDirectory

__all__ = [
    "PG_ADMIN",
    "MemoryRegister",
    "Outcome",
    "build_register",
    "fresh_database",
    "make_signals",
    "outcome",
    "prepare",
    "processor_for",
    "synthetic_account",
]

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "register.json"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
cheap_hash = functools.partial(hash_word, cost=16)
_names = count(1)


def synthetic_account(i: int) -> str:
    return f"{0x20000 + i:X}"


def build_register(extra_sites: int) -> Register:
    """The example register plus ``extra_sites`` copies of its sites, each with its own
    transmitter (account ``synthetic_account(i)``)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    templates = list(data["sites"])
    for i in range(extra_sites):
        site = copy.deepcopy(templates[i % len(templates)])
        site["id"] = f"SYN-{i:05d}"
        site["name"] = f"{site['name']} (copie {i})"
        data["sites"].append(site)
        data["transmitters"].append(
            {"account": synthetic_account(i), "label": site["name"], "site_id": site["id"]}
        )
    return parse_register_json(json.dumps(data), hasher=cheap_hash)


class MemoryRegister:
    """The processor's ``RegisterReader`` over an in-memory register (engine-only runs)."""

    def __init__(self, register: Register) -> None:
        self._register = register

    def sites(self) -> list[Site]:
        return list(self._register.sites)

    def transmitters(self) -> list[LinkedTransmitter]:
        return list(self._register.transmitters)

    def procedures(self) -> list[Procedure]:
        return list(self._register.procedures)


class _SteppedClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at


class _NoJournal:
    async def append(self, record: SignalRecord) -> StoredSignal:  # decode() never calls it
        raise NotImplementedError


def make_signals(
    register: Register,
    n: int,
    start: datetime,
    span: timedelta,
    seed: int = 3,
    alarms_only: bool = False,
) -> list[SignalRecord]:
    """``n`` journal records spread evenly over ``span`` from ``start``.

    ``alarms_only``: every signal a burglary alarm, sites in turn, each on its next zone
    (a new alarm every time, as in ``bench.engine_latency``), instead of the mix."""
    rng = random.Random(seed)
    directory = TransmitterDirectory(_NoRepository())
    directory.replace(linked.transmitter for linked in register.transmitters)
    clock = _SteppedClock(start)
    reception = Reception(
        directory, _NoJournal(), clock, os.urandom, ReceptionOptions(listener="bench")
    )
    sites = {s.id: s for s in register.sites}
    paths = [(lt.transmitter, sites[lt.site_id]) for lt in register.transmitters if lt.site_id]
    sequences: dict[str, int] = {}
    armed: dict[str, bool] = {}
    alarmed: dict[str, list[str]] = {}
    step = span / max(n, 1)
    records: list[SignalRecord] = []
    for i in range(n):
        at = start + step * i
        clock.at = at
        if alarms_only:
            transmitter, site = paths[i % len(paths)]
            account = transmitter.account
            token, data = "SIA-DCS", f"#{account}|Nri1/BA{i // len(paths) + 1}"
        else:
            transmitter, site = paths[rng.randrange(len(paths))]
            account = transmitter.account
            token, data = _event(rng, site, account, armed, alarmed)
        seq = sequences.get(account, 0) % 9999 + 1
        sequences[account] = seq
        key = None
        if transmitter.key is not None:
            key = Dc09Key(transmitter.key, "text" if transmitter.key_notation == "text" else "hex")
        raw = encode_frame(token, sequence=seq, account=account, data=data, timestamp=at, key=key)
        record = reception.decode(raw, f"10.{i % 250}.0.1:4000", Transport.TCP)
        if not record.accepted:
            raise RuntimeError(f"workload frame refused: {record.error} {record.detail}")
        records.append(record)
    return records


def _event(
    rng: random.Random,
    site: Site,
    account: str,
    armed: dict[str, bool],
    alarmed: dict[str, list[str]],
) -> tuple[str, str]:
    r = rng.random()
    if r < 0.40:
        return "SIA-DCS", f"#{account}|NRP"
    if r < 0.80:
        return "NULL", ""
    if r < 0.90:  # alternate arming and disarming, by one of the site's users
        user = site.users[0].number if site.users else "1"
        now_armed = not armed.setdefault(site.id, rng.random() < 0.5)
        armed[site.id] = now_armed
        return "SIA-DCS", f"#{account}|Nri1/{'CL' if now_armed else 'OP'}{user}"
    zones = [z.number for z in site.zones] or ["1"]
    if r < 0.98:
        zone = rng.choice(zones)
        alarmed.setdefault(site.id, []).append(zone)
        return "SIA-DCS", f"#{account}|Nri1/BA{zone}"
    pending = alarmed.get(site.id)
    zone = pending.pop(0) if pending else rng.choice(zones)
    return "SIA-DCS", f"#{account}|Nri1/BR{zone}"


class _NoRepository:
    def all(self) -> list[Any]:
        return []


@contextmanager
def fresh_database(backend: str) -> Iterator[str]:
    """A new, empty database URL: a SQLite file in a temporary folder, or a PostgreSQL
    database created on the local server and dropped afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="vigie-bench-") as folder:
            yield f"sqlite:///{folder}/vigie.db"
        return
    name = f"vigie_bench_engine_{os.getpid()}_{next(_names)}_{int(time.time())}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, register: Register, records: Sequence[SignalRecord]) -> Engine:
    """Migrate, write the register, and fill the journal with ``records`` (unprocessed)."""
    engine = make_engine(url)
    upgrade(engine)
    SqlRegister(engine).replace_all(register, source="bench")
    rows = [record_to_row(r) | {"duplicate_of": None} for r in records]
    with engine.begin() as conn:
        for i in range(0, len(rows), 2000):
            conn.execute(signals.insert(), rows[i : i + 2000])
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return engine


class _Clock:
    def now(self) -> datetime:
        from datetime import UTC

        return datetime.now(UTC)


def processor_for(engine: Engine, batch: int) -> Processor:
    """Wired as ``bootstrap.build_station`` wires it."""
    clock = _Clock()
    logbook_store = SqlLogbook(engine)
    incidents_store = SqlIncidents(engine, logbook_store)
    return Processor(
        SqlProcessing(engine, incidents_store, logbook_store),
        SqlRegister(engine, now=clock.now),
        Logbook(logbook_store, clock),
        clock,
        options=ProcessorOptions(batch=batch),
    )


@dataclass(frozen=True)
class Outcome:
    alarms: int
    incidents: int
    entries: int
    unprocessed: int


def outcome(engine: Engine) -> Outcome:
    with engine.connect() as conn:

        def n(table: Any, *where: Any) -> int:
            return int(
                conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
            )

        return Outcome(
            alarms=n(alarms),
            incidents=n(incidents),
            entries=n(logbook),
            unprocessed=n(signals, signals.c.processed_at.is_(None)),
        )
