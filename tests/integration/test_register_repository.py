"""The register in SQL on SQLite and PostgreSQL: import, export, lookups, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vigie.adapters.db.engine import make_engine
from vigie.adapters.db.migrate import upgrade
from vigie.adapters.db.register_repository import SqlRegister
from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository
from vigie.domain.errors import NotFound
from vigie.domain.register import AlarmKind, Customer, Provider, Zone
from vigie.domain.register_set import InUse, RegisterInvalid
from vigie.domain.transmitters import Transmitter
from vigie.services.register_io import parse_register_json, register_to_json
from vigie.services.secret_words import hash_word

EXAMPLE = Path(__file__).parents[2] / "examples" / "register.json"


def cheap(word: str) -> str:
    return hash_word(word, cost=2**4)


@pytest.fixture
def changes() -> list[tuple[str, str, dict[str, Any]]]:
    return []


@pytest.fixture
def store(db_url: str, changes: list[tuple[str, str, dict[str, Any]]]) -> Iterator[SqlRegister]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield SqlRegister(engine, on_change=lambda *change: changes.append(change))
    engine.dispose()


@pytest.fixture
def loaded(store: SqlRegister) -> SqlRegister:
    store.replace_all(parse_register_json(EXAMPLE.read_text(), hasher=cheap))
    return store


def test_import_export_import_is_equal(loaded: SqlRegister) -> None:
    first = loaded.load_all()
    assert len(first.sites) == 12 and len(first.procedures) == 11
    loaded.replace_all(parse_register_json(register_to_json(first)))
    assert loaded.load_all() == first


def test_site_for_account_and_keys(loaded: SqlRegister) -> None:
    site = loaded.site_for_account("1003")
    assert site is not None and site.kind == "agence bancaire"
    assert site.transmitters == ("1003",)
    assert loaded.site_for_account("9999") is None
    keys = {t.transmitter.account: t.transmitter.describe_key() for t in loaded.transmitters()}
    assert keys["1003"] == "AES-128 (hex)" and keys["1004"] == "AES-256 (text)"


def test_site_for_account_narrowed_by_receiver(loaded: SqlRegister) -> None:
    directory = SqlTransmitterRepository(loaded._engine)
    directory.add(Transmitter("1001", receiver="2"))
    loaded.link_transmitter("CRECHE-GERLAND", "1001", receiver="2")
    assert loaded.site_for_account("1001", receiver="2").id == "CRECHE-GERLAND"  # type: ignore[union-attr]
    assert loaded.site_for_account("1001", receiver="1").id == "BOUL-MARTIN"  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        loaded.link_transmitter("CRECHE-GERLAND", "7777")


def test_procedure_resolution(loaded: SqlRegister) -> None:
    own = loaded.procedures_for("BIJOU-BELLECOUR", AlarmKind.INTRUSION)
    assert own is not None and own.id == "BIJOU-BELLECOUR-INTRUSION"
    shared = loaded.procedures_for("BIJOU-BELLECOUR", AlarmKind.HOLDUP)
    assert shared is not None and shared.id == "TPL-HOLDUP"
    template = loaded.procedures_for("BOUL-MARTIN", AlarmKind.TAMPER)
    assert template is not None and template.id == "TPL-INTRUSION"


def test_a_bad_import_stores_nothing(loaded: SqlRegister) -> None:
    before = loaded.load_all()
    broken = parse_register_json(EXAMPLE.read_text(), hasher=cheap)
    bad_sites = tuple(
        s if s.id != "GARAGE-OULLINS" else type(s)(**{**_fields(s), "customer_id": "NOPE"})
        for s in broken.sites
    )
    with pytest.raises(RegisterInvalid) as caught:
        loaded.replace_all(type(broken)(broken.customers, bad_sites, (), (), ()))
    assert any(e.path.endswith("customer_id") for e in caught.value.errors)
    assert loaded.load_all() == before


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}


def test_saves_check_references_and_log(
    loaded: SqlRegister, changes: list[tuple[str, str, dict[str, Any]]]
) -> None:
    site = loaded.site("PHARMA-CENTRE")
    assert site is not None
    changes.clear()
    moved = type(site)(**{**_fields(site), "zones": (*site.zones, Zone("99", "x", partition="9"))})
    with pytest.raises(RegisterInvalid) as caught:
        loaded.save_site(moved)
    assert [e.path for e in caught.value.errors] == ["site.zones[7].partition"]
    loaded.save_customer(Customer("CLI-NEW", "Nouveau client"))
    loaded.save_provider(Provider("PRESTA-NEW", "Nouveau", "guard", ("+33 4",)))
    with pytest.raises(InUse):
        loaded.delete_customer("CLI-PHARMA-CENTRE")
    with pytest.raises(InUse):
        loaded.delete_provider("PRESTA-RHONE-SECU")
    assert loaded.delete_site("PHARMA-CENTRE")
    assert loaded.site("PHARMA-CENTRE") is None and not loaded.delete_site("PHARMA-CENTRE")
    assert loaded.delete_customer("CLI-PHARMA-CENTRE")
    assert [kind for kind, _, _ in changes] == [
        "register.customer.saved",
        "register.provider.saved",
        "register.site.deleted",
        "register.customer.deleted",
    ]
    assert all("hash" not in str(data) for _, _, data in changes)
