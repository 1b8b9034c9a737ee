"""Cross-references of a whole register, each error named by its path."""

from __future__ import annotations

from vigie.domain.register import (
    AlarmKind,
    Customer,
    PanelUser,
    Partition,
    Procedure,
    ProcedureStep,
    Site,
    StepKind,
    Zone,
)
from vigie.domain.register_set import LinkedTransmitter, Register
from vigie.domain.transmitters import Transmitter

STEP = (ProcedureStep(StepKind.CALL_SITE),)


def _site(site_id: str = "S1", **kw: object) -> Site:
    return Site(id=site_id, customer_id=str(kw.pop("customer_id", "C1")), name="Site", **kw)  # type: ignore[arg-type]


def test_valid_register_has_no_error() -> None:
    register = Register(
        customers=(Customer("C1", "Client"),),
        sites=(_site(partitions=(Partition("1"),), zones=(Zone("1", "Porte", partition="1"),)),),
        procedures=(Procedure("P1", "Intrusion", (AlarmKind.INTRUSION,), STEP, site_id="S1"),),
        transmitters=(LinkedTransmitter(Transmitter("1001"), "S1"),),
    )
    assert register.validate() == []


def test_every_cross_reference_error_is_named() -> None:
    register = Register(
        customers=(Customer("C1", "Client"),),
        sites=(
            _site("S1", customer_id="NOPE", provider_ids=("P9",)),
            _site(
                "S2",
                zones=(Zone("1", "Porte", partition="7"),),
                users=(PanelUser("1", "Jean", contact_id="X"),),
            ),
        ),
        procedures=(Procedure("P1", "x", (AlarmKind.FIRE,), STEP, site_id="GONE"),),
        transmitters=(
            LinkedTransmitter(Transmitter("1001"), "S1"),
            LinkedTransmitter(Transmitter("1001", receiver="2"), "S2"),
            LinkedTransmitter(Transmitter("1002"), "MISSING"),
        ),
    )
    paths = {e.path for e in register.validate()}
    assert paths == {
        "sites[0].customer_id",
        "sites[0].provider_ids[0]",
        "sites[1].zones[0].partition",
        "sites[1].users[0].contact_id",
        "procedures[0].site_id",
        "transmitters[0].site_id",
        "transmitters[1].site_id",
        "transmitters[2].site_id",
    }


def test_duplicates_are_errors() -> None:
    register = Register(
        customers=(Customer("C1", "a"), Customer("C1", "b")),
        transmitters=(
            LinkedTransmitter(Transmitter("1001")),
            LinkedTransmitter(Transmitter("1001")),
        ),
    )
    assert {e.path for e in register.validate()} == {"customers[1].id", "transmitters[1].account"}


def test_one_account_on_two_receivers_may_serve_two_sites() -> None:
    register = Register(
        customers=(Customer("C1", "Client"),),
        sites=(_site("S1"), _site("S2")),
        transmitters=(
            LinkedTransmitter(Transmitter("1001", receiver="1"), "S1"),
            LinkedTransmitter(Transmitter("1001", receiver="2"), "S2"),
        ),
    )
    assert register.validate() == []
