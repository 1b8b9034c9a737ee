"""Rows of the register tables to and from domain objects (helpers of ``SqlRegister``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select, update

from vigie.adapters.db.register_tables import site_transmitters, sites
from vigie.adapters.db.tables import transmitters
from vigie.domain.register import Customer, Site
from vigie.domain.register_codec import Problems, site_from_dict
from vigie.domain.register_set import LinkedTransmitter
from vigie.domain.transmitters import Transmitter

__all__ = [
    "customer",
    "decode",
    "exists",
    "insert_all",
    "load_sites",
    "load_transmitters",
    "plain",
    "replace_transmitters",
    "transmitter",
    "transmitter_id",
    "upsert",
]


def plain(data: dict[str, Any]) -> dict[str, Any]:
    """What the logbook may keep: no datetimes objects, no secret-word hashes."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("document", "updated_at"):
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


def upsert(conn: Connection, table: Table, ident: str, row: dict[str, Any]) -> None:
    if exists(conn, table, ident):
        conn.execute(update(table).where(table.c.id == ident).values(**row))
    else:
        conn.execute(insert(table), row)


def exists(conn: Connection, table: Table, ident: str) -> bool:
    return conn.execute(select(table.c.id).where(table.c.id == ident)).first() is not None


def insert_all(conn: Connection, table: Table, rows: list[dict[str, Any]], now: datetime) -> None:
    if rows:
        conn.execute(insert(table), [row | {"updated_at": now} for row in rows])


def decode(decoder: Callable[[dict[str, Any], Problems], Any], document: dict[str, Any]) -> Any:
    """Stored documents were checked when written; a failure here is a corrupt row."""
    problems = Problems()
    made = decoder(document, problems)
    if made is None:
        raise RuntimeError(f"corrupt register row {document.get('id')!r}: {problems.errors}")
    return made


def load_sites(conn: Connection, where: Any = None) -> list[Site]:
    query = select(sites.c.id, sites.c.document).order_by(sites.c.id)
    if where is not None:
        query = query.where(where)
    rows = list(conn.execute(query))
    links = select(site_transmitters.c.site_id, transmitters.c.account).join(
        transmitters, transmitters.c.id == site_transmitters.c.transmitter_id
    )
    if where is not None:
        links = links.where(site_transmitters.c.site_id.in_([r[0] for r in rows]))
    accounts: dict[str, set[str]] = {}
    for site_id, account in conn.execute(links):
        accounts.setdefault(site_id, set()).add(account)
    found: list[Site] = []
    for site_id, document in rows:
        problems = Problems()
        site = site_from_dict(document, problems, "", tuple(sorted(accounts.get(site_id, ()))))
        if site is None:
            raise RuntimeError(f"corrupt site row {site_id!r}: {problems.errors}")
        found.append(site)
    return found


def customer(row: Any) -> Customer:
    return Customer(
        id=row["id"],
        name=row["name"],
        phone=row["phone"],
        email=row["email"],
        address=row["address"],
        notes=row["notes"],
    )


def transmitter(row: Any) -> Transmitter:
    return Transmitter(
        account=row["account"],
        receiver=row["receiver"],
        prefix=row["prefix"],
        key=bytes(row["key"]) if row["key"] is not None else None,
        key_notation=row["key_notation"],
        ignore_timestamp=row["ignore_timestamp"],
        label=row["label"],
    )


def load_transmitters(conn: Connection) -> list[LinkedTransmitter]:
    query = (
        select(transmitters, site_transmitters.c.site_id)
        .outerjoin(site_transmitters, site_transmitters.c.transmitter_id == transmitters.c.id)
        .order_by(transmitters.c.account, transmitters.c.id)
    )
    return [
        LinkedTransmitter(transmitter(r._mapping), r._mapping["site_id"])
        for r in conn.execute(query)
    ]


def transmitter_id(
    conn: Connection, account: str, receiver: str | None, prefix: str | None
) -> int | None:
    # NULL never equals NULL in SQL: compare the optional columns explicitly.
    conditions = [transmitters.c.account == account]
    for column, value in ((transmitters.c.receiver, receiver), (transmitters.c.prefix, prefix)):
        conditions.append(column.is_(None) if value is None else column == value)
    found = conn.execute(select(transmitters.c.id).where(and_(*conditions))).scalar()
    return int(found) if found is not None else None


def replace_transmitters(
    conn: Connection, wanted: Iterable[LinkedTransmitter], now: datetime
) -> None:
    """Upsert by path and drop the rest: rows keep their ids (other tables may point at them)."""
    keep: set[int] = set()
    for linked in wanted:
        t = linked.transmitter
        row = {
            "account": t.account,
            "receiver": t.receiver,
            "prefix": t.prefix,
            "key": t.key,
            "key_notation": t.key_notation,
            "ignore_timestamp": t.ignore_timestamp,
            "label": t.label,
        }
        tx_id = transmitter_id(conn, t.account, t.receiver, t.prefix)
        if tx_id is None:
            result = conn.execute(insert(transmitters), row | {"created_at": now})
            tx_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        else:
            conn.execute(update(transmitters).where(transmitters.c.id == tx_id).values(**row))
        keep.add(tx_id)
    conn.execute(delete(transmitters).where(transmitters.c.id.not_in(keep)))
