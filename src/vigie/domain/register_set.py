"""A whole register at once: what an import brings and an export writes.

Each object checks its own fields at construction; what only the whole set can check
(a site's customer exists, a zone's partition exists, one site per transmitter path...)
is ``Register.validate``, which names every problem instead of stopping at the first,
so that an import can be refused with the complete list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vigie.domain.errors import DomainError
from vigie.domain.register import Customer, Procedure, Provider, Site
from vigie.domain.transmitters import Transmitter

__all__ = [
    "InUse",
    "LinkedTransmitter",
    "Register",
    "RegisterError",
    "RegisterInvalid",
    "site_errors",
]


@dataclass(frozen=True, slots=True)
class RegisterError:
    """One problem: where (a path such as ``sites[3].zones[1].number``), what, which line."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line is not None else ""
        return f'{where}field "{self.path}": {self.message}'


class RegisterInvalid(DomainError):
    """Refused as a whole: carries every error found."""

    def __init__(self, errors: Iterable[RegisterError]) -> None:
        self.errors = list(errors)
        shown = "; ".join(str(e) for e in self.errors[:5])
        more = f" (and {len(self.errors) - 5} more)" if len(self.errors) > 5 else ""
        super().__init__(f"{len(self.errors)} error(s): {shown}{more}")


class InUse(RegisterInvalid):
    """A deletion refused because something still refers to the object."""


@dataclass(frozen=True, slots=True)
class LinkedTransmitter:
    """A transmitter and the site it reports for (``None``: declared, not yet linked)."""

    transmitter: Transmitter
    site_id: str | None = None


@dataclass(frozen=True, slots=True)
class Register:
    """Customers, sites, procedures, providers and transmitters of one station."""

    customers: tuple[Customer, ...] = ()
    sites: tuple[Site, ...] = ()
    procedures: tuple[Procedure, ...] = ()
    providers: tuple[Provider, ...] = ()
    transmitters: tuple[LinkedTransmitter, ...] = field(default=())

    def validate(self) -> list[RegisterError]:
        """Every cross-reference problem of the set, each with its path."""
        errors: list[RegisterError] = []
        errors += _duplicates("customers", [c.id for c in self.customers])
        errors += _duplicates("sites", [s.id for s in self.sites])
        errors += _duplicates("procedures", [p.id for p in self.procedures])
        errors += _duplicates("providers", [p.id for p in self.providers])
        customers = {c.id for c in self.customers}
        providers = {p.id for p in self.providers}
        sites = {s.id for s in self.sites}
        for i, site in enumerate(self.sites):
            errors += site_errors(site, customers, providers, f"sites[{i}]")
        for i, procedure in enumerate(self.procedures):
            if procedure.site_id is not None and procedure.site_id not in sites:
                errors.append(
                    RegisterError(
                        f"procedures[{i}].site_id", f"an existing site, got {procedure.site_id!r}"
                    )
                )
        errors += _transmitter_errors(self.transmitters, sites)
        return errors


def site_errors(
    site: Site, customers: set[str], providers: set[str], path: str = "site"
) -> list[RegisterError]:
    """What one site refers to that does not exist (used by single saves too)."""
    errors: list[RegisterError] = []
    if site.customer_id not in customers:
        errors.append(
            RegisterError(f"{path}.customer_id", f"an existing customer, got {site.customer_id!r}")
        )
    for j, provider in enumerate(site.provider_ids):
        if provider not in providers:
            errors.append(
                RegisterError(
                    f"{path}.provider_ids[{j}]", f"an existing provider, got {provider!r}"
                )
            )
    errors += _duplicates(f"{path}.partitions", [p.number for p in site.partitions], "number")
    partitions = {p.number for p in site.partitions}
    for j, zone in enumerate(site.zones):
        if zone.partition is not None and zone.partition not in partitions:
            errors.append(
                RegisterError(
                    f"{path}.zones[{j}].partition",
                    f"a partition of the site, got {zone.partition!r}",
                )
            )
    contacts = {c.id for c in site.contacts}
    for j, user in enumerate(site.users):
        if user.contact_id is not None and user.contact_id not in contacts:
            errors.append(
                RegisterError(
                    f"{path}.users[{j}].contact_id",
                    f"a contact of the site, got {user.contact_id!r}",
                )
            )
    return errors


def _transmitter_errors(
    transmitters: tuple[LinkedTransmitter, ...], sites: set[str]
) -> list[RegisterError]:
    errors: list[RegisterError] = []
    seen: dict[tuple[str, str | None, str | None], int] = {}
    linked: dict[str, list[LinkedTransmitter]] = {}
    for i, linked_tx in enumerate(transmitters):
        t = linked_tx.transmitter
        path = (t.account.upper(), t.receiver, t.prefix)
        if path in seen:
            errors.append(
                RegisterError(
                    f"transmitters[{i}].account",
                    f"one entry per account, receiver and prefix; "
                    f"same as transmitters[{seen[path]}]",
                )
            )
        seen.setdefault(path, i)
        if linked_tx.site_id is not None:
            if linked_tx.site_id not in sites:
                errors.append(
                    RegisterError(
                        f"transmitters[{i}].site_id", f"an existing site, got {linked_tx.site_id!r}"
                    )
                )
            linked.setdefault(t.account.upper(), []).append(linked_tx)
    for i, linked_tx in enumerate(transmitters):
        others = linked.get(linked_tx.transmitter.account.upper(), [])
        sites_of_account = {o.site_id for o in others if o.site_id is not None}
        broad = any(o.transmitter.specificity() == 0 for o in others)
        if len(sites_of_account) > 1 and broad and linked_tx.site_id is not None:
            errors.append(
                RegisterError(
                    f"transmitters[{i}].site_id",
                    f"account {linked_tx.transmitter.account} linked to one site only, "
                    f"or narrowed by receiver or prefix; linked to {sorted(sites_of_account)}",
                )
            )
    return errors


def _duplicates(path: str, ids: list[str], name: str = "id") -> list[RegisterError]:
    errors: list[RegisterError] = []
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            errors.append(RegisterError(f"{path}[{i}].{name}", f"a unique {name}, {value!r} twice"))
        seen.add(value)
    return errors
