"""Transmitters stored in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository
from vigie.domain.errors import InvalidValue
from vigie.domain.transmitters import Transmitter
from vigie.protocols.dc09 import Dc09Key


@pytest.fixture
def repository(db_url: str) -> SqlTransmitterRepository:
    engine = make_engine(db_url)
    upgrade(engine)
    upgrade(engine)  # a second upgrade is a no-op
    yield SqlTransmitterRepository(engine)
    engine.dispose()


def test_transmitters_round_trip_with_key_notation(repository: SqlTransmitterRepository) -> None:
    hex_key = Dc09Key.from_hex("00112233445566778899aabbccddeeff")
    text_key = Dc09Key.from_text("0123456789abcdef0123456789abcdef")
    repository.add(Transmitter("1234", key=hex_key.key, key_notation="hex"))
    repository.add(
        Transmitter("ABCD", receiver="1", prefix="2", key=text_key.key, key_notation="text")
    )
    repository.add(Transmitter("5678", ignore_timestamp=True, label="shop"))
    found = {t.account: t for t in repository.all()}
    assert found["1234"].key == hex_key.key
    assert found["1234"].describe_key() == "AES-128 (hex)"
    assert found["ABCD"].describe_key() == "AES-256 (text)"
    assert found["5678"].describe_key() == "none"
    assert (found["ABCD"].receiver, found["ABCD"].prefix) == ("1", "2")
    assert found["5678"].ignore_timestamp and found["5678"].label == "shop"


def test_the_same_path_cannot_be_declared_twice(repository: SqlTransmitterRepository) -> None:
    repository.add(Transmitter("1234"))
    with pytest.raises(InvalidValue, match="1234"):
        repository.add(Transmitter("1234"))
    repository.add(Transmitter("1234", prefix="1"))  # another line is another transmitter
    assert len(repository.all()) == 2


def test_remove(repository: SqlTransmitterRepository) -> None:
    repository.add(Transmitter("1234"))
    assert repository.remove("1234", None, None)
    assert not repository.remove("1234", None, None)
    assert repository.all() == []
