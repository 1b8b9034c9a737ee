"""The processing pipeline without sockets: frames -> reception -> journal -> processor.

Built like ``bootstrap.build_station`` (same concrete classes, same wiring) but with a
``FakeClock``: a test sends raw DC-09 bytes through the real ``Reception`` and the real
group-commit journal, then drives ``Processor.run_once`` / ``tick`` and
``IncidentQueue.tick`` itself. Also: the example register, imported with a cheap hasher.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import count
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.journal import GroupCommitJournal
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.processing_store import SqlProcessing
from vigie.adapters.db.register_repository import SqlRegister
from vigie.adapters.db.signal_reader import SqlSignalReader
from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository
from vigie.adapters.db.user_store import SqlSessions, SqlUsers
from vigie.domain.signals import StoredSignal, Transport
from vigie.domain.users import User
from vigie.entrypoints.web.app import create_app
from vigie.protocols.dc09 import Dc09Key, encode_frame
from vigie.services.auth import Argon2Hasher, Authenticator
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Logbook
from vigie.services.ports import Clock
from vigie.services.processor import Processor
from vigie.services.reception import Reception, ReceptionOptions
from vigie.services.register_io import parse_register_json
from vigie.services.secret_words import hash_word
from vigie.services.transmitter_directory import TransmitterDirectory

__all__ = [
    "EXAMPLE_REGISTER",
    "Pipeline",
    "cheap_hasher",
    "example_keys",
    "import_example_register",
]

EXAMPLE_REGISTER = Path(__file__).parents[2] / "examples" / "register.json"


def cheap_hasher(word: str) -> str:
    """scrypt at a test cost (the register tests' hook): the real cost is ~70 ms a word."""
    return hash_word(word, cost=2**4)


def import_example_register(engine: Engine) -> SqlRegister:
    """Migrate and load ``examples/register.json`` (12 sites, accounts 1001-1012)."""
    upgrade(engine)
    register = SqlRegister(engine)
    register.replace_all(parse_register_json(EXAMPLE_REGISTER.read_text(), hasher=cheap_hasher))
    return register


def example_keys() -> dict[str, bytes]:
    """The AES keys of the example register by account, as raw bytes."""
    data = json.loads(EXAMPLE_REGISTER.read_text())
    keys: dict[str, bytes] = {}
    for transmitter in data["transmitters"]:
        if transmitter.get("key_hex"):
            keys[transmitter["account"]] = bytes.fromhex(transmitter["key_hex"])
        elif transmitter.get("key_text"):
            keys[transmitter["account"]] = transmitter["key_text"].encode("ascii")
    return keys


def _rng(n: int) -> bytes:
    return bytes(range(n))


@dataclass
class Pipeline:
    """One station's processing side on ``db_url``, timed by ``clock``."""

    db_url: str
    clock: Clock
    escalate_after: float = 120.0
    engine: Engine = field(init=False)
    register: SqlRegister = field(init=False)
    directory: TransmitterDirectory = field(init=False)
    journal: GroupCommitJournal = field(init=False)
    reception: Reception = field(init=False)
    logbook: Logbook = field(init=False)
    incidents: SqlIncidents = field(init=False)
    queue: IncidentQueue = field(init=False)
    processor: Processor = field(init=False)

    def __post_init__(self) -> None:
        self.engine = make_engine(self.db_url)
        upgrade(self.engine)
        self.register = SqlRegister(self.engine, now=self.clock.now)
        self.directory = TransmitterDirectory(SqlTransmitterRepository(self.engine))
        self.directory.refresh()
        self.journal = GroupCommitJournal(self.engine)
        self.reception = Reception(
            self.directory, self.journal, self.clock, _rng, ReceptionOptions(listener="test")
        )
        logbook_store = SqlLogbook(self.engine)
        self.logbook = Logbook(logbook_store, self.clock)
        self.incidents = SqlIncidents(self.engine, logbook_store)
        self.queue = IncidentQueue(
            self.incidents,
            self.logbook,
            self.clock,
            escalate_after=timedelta(seconds=self.escalate_after),
            register=self.register,
        )
        self.processor = self.new_processor()
        self._sequence = count(1)

    def new_processor(self) -> Processor:
        """A processor as a restarted station builds it: fresh memory, same database."""
        logbook_store = SqlLogbook(self.engine)
        processing = SqlProcessing(
            self.engine, SqlIncidents(self.engine, logbook_store), logbook_store
        )
        processor = Processor(processing, self.register, self.logbook, self.clock)
        processor.start()
        return processor

    # -- the panel's side -------------------------------------------------------------

    def frame(
        self,
        account: str,
        data: str = "",
        *,
        token: str = "SIA-DCS",
        key: bytes | None = None,
        age: float = 0.0,
        sequence: int | None = None,
    ) -> bytes:
        """A DC-09 frame as a panel sends it; ``age`` seconds makes its timestamp stale."""
        return encode_frame(
            token,
            sequence=sequence if sequence is not None else next(self._sequence) % 10000,
            account=account,
            prefix="0",
            data=data,
            timestamp=self.clock.now() - timedelta(seconds=age),
            key=Dc09Key(key) if key is not None else None,
        )

    def send(self, raw: bytes, transport: Transport = Transport.TCP) -> StoredSignal:
        """Decode with the real reception, store with the real journal (as ``receive``)."""
        record = self.reception.decode(raw, "127.0.0.1:40000", transport)
        return asyncio.run(self.journal.append(record))

    def process(self) -> int:
        """Process everything journaled so far."""
        total = 0
        while done := self.processor.run_once():
            total += done
        return total

    # -- the console's side ------------------------------------------------------------

    def app(self, **options: Any) -> Any:
        """The HTTP API; ``options`` go to ``create_app`` (``auth``, ``trust_identity_headers``)."""

        def health() -> dict[str, Any]:
            return {"status": "ok"}

        return create_app(
            SqlSignalReader(self.engine),
            health,
            logbook=self.logbook,
            register=self.register,
            queue=self.queue,
            arming=self.processor.arming,
            **options,
        )

    def close(self) -> None:
        self.journal.close()
        self.engine.dispose()


def register_pipeline(url: str, clock: Clock, **options: Any) -> Pipeline:
    """A pipeline on a database holding the example register."""
    engine = make_engine(url)
    import_example_register(engine)
    engine.dispose()
    return Pipeline(url, clock, **options)


def authenticator(pipe: Pipeline, users: Iterable[User] = (), password: str = "") -> Authenticator:
    """Sign-in over the pipeline's database (cheap hashes), with ``users`` added."""
    auth = Authenticator(
        SqlUsers(pipe.engine),
        SqlSessions(pipe.engine),
        pipe.clock,
        Argon2Hasher.cheap(),
        logbook=pipe.logbook,
    )
    for user in users:
        auth.add_user(user, password)
    return auth
