"""The register in SQL (SQLite and PostgreSQL): whole objects in, whole objects out.

Saves are upserts by the station's own ids and check what the object refers to (a
site's customer, providers and partitions); ``replace_all`` swaps the whole register in
one transaction, so an import is refused or applied as a whole. Every change calls
``on_change(kind, text, data)`` after its commit: the main courante hangs there.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select

from vigie.adapters.db.register_rows import (
    customer,
    decode,
    exists,
    insert_all,
    load_sites,
    load_transmitters,
    plain,
    replace_transmitters,
    transmitter,
    transmitter_id,
    upsert,
)
from vigie.adapters.db.register_tables import (
    customers,
    procedures,
    providers,
    site_transmitters,
    sites,
)
from vigie.adapters.db.tables import transmitters
from vigie.domain.errors import NotFound
from vigie.domain.register import (
    AlarmKind,
    Customer,
    Procedure,
    Provider,
    Site,
    choose_procedure,
)
from vigie.domain.register_codec import (
    customer_to_dict,
    procedure_from_dict,
    procedure_to_dict,
    provider_from_dict,
    provider_to_dict,
    site_to_dict,
)
from vigie.domain.register_set import (
    InUse,
    LinkedTransmitter,
    Register,
    RegisterError,
    RegisterInvalid,
    site_errors,
)

__all__ = ["InUse", "OnChange", "SqlRegister"]  # InUse re-exported for callers

OnChange = Callable[[str, str, dict[str, Any]], None]


class SqlRegister:
    def __init__(
        self,
        engine: Engine,
        on_change: OnChange | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self._engine = engine
        self.on_change = on_change
        self._now = now or (lambda: datetime.now(UTC))

    # --- customers ----------------------------------------------------------------

    def save_customer(self, customer: Customer) -> None:
        row = customer_to_dict(customer) | {"updated_at": self._now()}
        with self._engine.begin() as conn:
            upsert(conn, customers, customer.id, row)
        self._changed("register.customer.saved", f"Client {customer.id} enregistré", row)

    def delete_customer(self, customer_id: str) -> bool:
        with self._engine.begin() as conn:
            used = conn.execute(select(sites.c.id).where(sites.c.customer_id == customer_id))
            owned = [r[0] for r in used]
            if owned:
                raise InUse(
                    [RegisterError("customer_id", f"a customer without sites; has {owned}")]
                )
            gone = conn.execute(delete(customers).where(customers.c.id == customer_id)).rowcount
        return self._deleted(gone, "customer", "Client", customer_id)

    def customer(self, customer_id: str) -> Customer | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(customers).where(customers.c.id == customer_id)).first()
        return customer(row._mapping) if row else None

    def customers(self) -> list[Customer]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(customers).order_by(customers.c.id))
            return [customer(r._mapping) for r in rows]

    # --- sites --------------------------------------------------------------------

    def save_site(self, site: Site) -> None:
        """Upsert; the site's transmitters are linked with ``link_transmitter``, not here."""
        document = site_to_dict(site)
        row = {
            "id": site.id,
            "customer_id": site.customer_id,
            "name": site.name,
            "city": site.city,
            "document": document,
            "updated_at": self._now(),
        }
        with self._engine.begin() as conn:
            known = set(conn.execute(select(customers.c.id)).scalars())
            provided = set(conn.execute(select(providers.c.id)).scalars())
            errors = site_errors(site, known, provided)
            if errors:
                raise RegisterInvalid(errors)
            upsert(conn, sites, site.id, row)
        self._changed("register.site.saved", f"Site {site.id} ({site.name}) enregistré", row)

    def delete_site(self, site_id: str) -> bool:
        with self._engine.begin() as conn:
            conn.execute(delete(site_transmitters).where(site_transmitters.c.site_id == site_id))
            conn.execute(delete(procedures).where(procedures.c.site_id == site_id))
            gone = conn.execute(delete(sites).where(sites.c.id == site_id)).rowcount
        return self._deleted(gone, "site", "Site", site_id)

    def site(self, site_id: str) -> Site | None:
        with self._engine.connect() as conn:
            found = load_sites(conn, sites.c.id == site_id)
        return found[0] if found else None

    def sites(self) -> list[Site]:
        with self._engine.connect() as conn:
            return load_sites(conn)

    def site_for_account(
        self, account: str, receiver: str | None = None, prefix: str | None = None
    ) -> Site | None:
        """The site of the most specific transmitter entry matching this path."""
        query = select(transmitters, site_transmitters.c.site_id).outerjoin(
            site_transmitters, site_transmitters.c.transmitter_id == transmitters.c.id
        )
        query = query.where(func.upper(transmitters.c.account) == account.upper())
        with self._engine.connect() as conn:
            rows = [r._mapping for r in conn.execute(query)]
        matching = [
            (transmitter(r).specificity(), r["site_id"])
            for r in rows
            if transmitter(r).matches(account, receiver, prefix)
        ]
        if not matching:
            return None
        site_id = max(matching, key=lambda pair: pair[0])[1]
        return self.site(site_id) if site_id is not None else None

    # --- transmitters ---------------------------------------------------------------

    def transmitters(self) -> list[LinkedTransmitter]:
        with self._engine.connect() as conn:
            return load_transmitters(conn)

    def link_transmitter(
        self, site_id: str, account: str, receiver: str | None = None, prefix: str | None = None
    ) -> None:
        """Link a declared transmitter to a site (moving it if it was linked elsewhere)."""
        with self._engine.begin() as conn:
            if conn.execute(select(sites.c.id).where(sites.c.id == site_id)).first() is None:
                raise NotFound(f"no site {site_id!r}")
            tx_id = transmitter_id(conn, account, receiver, prefix)
            if tx_id is None:
                raise NotFound(f"no transmitter {account} with that receiver and prefix")
            conn.execute(
                delete(site_transmitters).where(site_transmitters.c.transmitter_id == tx_id)
            )
            conn.execute(insert(site_transmitters), {"transmitter_id": tx_id, "site_id": site_id})
        data = {"site_id": site_id, "account": account, "receiver": receiver, "prefix": prefix}
        self._changed(
            "register.transmitter.linked", f"Transmetteur {account} lié au site {site_id}", data
        )

    def unlink_transmitter(
        self, account: str, receiver: str | None = None, prefix: str | None = None
    ) -> bool:
        with self._engine.begin() as conn:
            tx_id = transmitter_id(conn, account, receiver, prefix)
            gone = 0
            if tx_id is not None:
                query = delete(site_transmitters).where(site_transmitters.c.transmitter_id == tx_id)
                gone = conn.execute(query).rowcount
        if gone:
            data = {"account": account, "receiver": receiver, "prefix": prefix}
            self._changed("register.transmitter.unlinked", f"Transmetteur {account} délié", data)
        return bool(gone)

    # --- procedures and providers ---------------------------------------------------

    def save_procedure(self, procedure: Procedure) -> None:
        document = procedure_to_dict(procedure)
        row = {"id": procedure.id, "site_id": procedure.site_id, "document": document}
        with self._engine.begin() as conn:
            if procedure.site_id is not None and not exists(conn, sites, procedure.site_id):
                error = RegisterError("site_id", f"an existing site, got {procedure.site_id!r}")
                raise RegisterInvalid([error])
            upsert(conn, procedures, procedure.id, row | {"updated_at": self._now()})
        self._changed("register.procedure.saved", f"Consigne {procedure.id} enregistrée", document)

    def delete_procedure(self, procedure_id: str) -> bool:
        with self._engine.begin() as conn:
            gone = conn.execute(delete(procedures).where(procedures.c.id == procedure_id)).rowcount
        return self._deleted(gone, "procedure", "Consigne", procedure_id)

    def procedure(self, procedure_id: str) -> Procedure | None:
        found = self._procedures(procedures.c.id == procedure_id)
        return found[0] if found else None

    def procedures(self) -> list[Procedure]:
        return self._procedures(None)

    def procedures_for(self, site_id: str, kind: AlarmKind) -> Procedure | None:
        """The site's own procedure for ``kind`` if any, else a shared template covering it."""
        candidates = self._procedures(
            (procedures.c.site_id == site_id) | procedures.c.site_id.is_(None)
        )
        return choose_procedure(candidates, site_id, kind)

    def save_provider(self, provider: Provider) -> None:
        document = provider_to_dict(provider)
        row = {"id": provider.id, "name": provider.name, "document": document}
        with self._engine.begin() as conn:
            upsert(conn, providers, provider.id, row | {"updated_at": self._now()})
        self._changed("register.provider.saved", f"Prestataire {provider.id} enregistré", document)

    def delete_provider(self, provider_id: str) -> bool:
        with self._engine.begin() as conn:
            users = [s.id for s in load_sites(conn) if provider_id in s.provider_ids]
            if users:
                error = RegisterError("provider_id", f"a provider no site uses; used by {users}")
                raise InUse([error])
            gone = conn.execute(delete(providers).where(providers.c.id == provider_id)).rowcount
        return self._deleted(gone, "provider", "Prestataire", provider_id)

    def provider(self, provider_id: str) -> Provider | None:
        return next((p for p in self.providers() if p.id == provider_id), None)

    def providers(self) -> list[Provider]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(providers.c.document).order_by(providers.c.id))
            return [decode(provider_from_dict, r[0]) for r in rows]

    # --- the whole register -------------------------------------------------------------

    def load_all(self) -> Register:
        """A consistent snapshot (one transaction) for export."""
        with self._engine.begin() as conn:
            rows = conn.execute(select(customers).order_by(customers.c.id))
            all_customers = tuple(customer(r._mapping) for r in rows)
            all_sites = tuple(load_sites(conn))
            procs = conn.execute(select(procedures.c.document).order_by(procedures.c.id))
            provs = conn.execute(select(providers.c.document).order_by(providers.c.id))
            return Register(
                customers=all_customers,
                sites=all_sites,
                procedures=tuple(decode(procedure_from_dict, r[0]) for r in procs),
                providers=tuple(decode(provider_from_dict, r[0]) for r in provs),
                transmitters=tuple(load_transmitters(conn)),
            )

    def replace_all(self, register: Register, source: str = "import") -> None:
        """Replace everything by ``register`` in one transaction, or refuse it whole."""
        errors = register.validate()
        if errors:
            raise RegisterInvalid(errors)
        now = self._now()
        with self._engine.begin() as conn:
            for table in (site_transmitters, procedures, sites, customers, providers):
                conn.execute(delete(table))
            replace_transmitters(conn, register.transmitters, now)
            insert_all(conn, customers, [customer_to_dict(c) for c in register.customers], now)
            insert_all(
                conn,
                providers,
                [
                    {"id": p.id, "name": p.name, "document": provider_to_dict(p)}
                    for p in register.providers
                ],
                now,
            )
            site_rows = [
                {
                    "id": s.id,
                    "customer_id": s.customer_id,
                    "name": s.name,
                    "city": s.city,
                    "document": site_to_dict(s),
                }
                for s in register.sites
            ]
            insert_all(conn, sites, site_rows, now)
            proc_rows = [
                {"id": p.id, "site_id": p.site_id, "document": procedure_to_dict(p)}
                for p in register.procedures
            ]
            insert_all(conn, procedures, proc_rows, now)
            for linked in register.transmitters:
                if linked.site_id is not None:
                    t = linked.transmitter
                    tx_id = transmitter_id(conn, t.account, t.receiver, t.prefix)
                    row = {"transmitter_id": tx_id, "site_id": linked.site_id}
                    conn.execute(insert(site_transmitters), row)
        counts = {
            "source": source,
            "customers": len(register.customers),
            "sites": len(register.sites),
            "procedures": len(register.procedures),
            "providers": len(register.providers),
            "transmitters": len(register.transmitters),
        }
        text = (
            f"Registre remplacé ({source}) : {counts['sites']} sites, "
            f"{counts['customers']} clients, {counts['transmitters']} transmetteurs"
        )
        self._changed("register.replaced", text, counts)

    # --- helpers ------------------------------------------------------------------------

    def _procedures(self, where: Any) -> list[Procedure]:
        query = select(procedures.c.document).order_by(procedures.c.id)
        if where is not None:
            query = query.where(where)
        with self._engine.connect() as conn:
            return [decode(procedure_from_dict, r[0]) for r in conn.execute(query)]

    def _changed(self, kind: str, text: str, data: dict[str, Any]) -> None:
        if self.on_change is not None:
            self.on_change(kind, text, plain(data))

    def _deleted(self, count: int, kind: str, label: str, ident: str) -> bool:
        if count:
            self._changed(f"register.{kind}.deleted", f"{label} {ident} supprimé", {"id": ident})
        return bool(count)
