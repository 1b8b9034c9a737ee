"""JSON import and export of the whole register (format ``vigie-register`` version 1).

An import is all or nothing: the file is checked completely (shape with pydantic, rules
with the domain, cross-references with ``Register.validate``) and every error comes back
with its path and line; nothing is built if any exists. Clear secret words are hashed
here. An export writes hashes only, but it does contain the transmitters' AES keys: it
must be protected like the database itself. See docs/register-format.md.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ValidationError

from vigie.domain.register_codec import (
    Problems,
    customer_from_dict,
    customer_to_dict,
    procedure_from_dict,
    procedure_to_dict,
    provider_from_dict,
    provider_to_dict,
    site_from_dict,
    site_to_dict,
)
from vigie.domain.register_set import LinkedTransmitter, Register, RegisterError, RegisterInvalid
from vigie.domain.transmitters import Transmitter
from vigie.services.camera_codec import cameras_from_data, check_sites
from vigie.services.json_lines import json_line_map, line_of
from vigie.services.register_schema import (
    FORMAT,
    VERSION,
    CustomerIn,
    Hasher,
    ProcedureIn,
    ProviderIn,
    RegisterFile,
    SiteIn,
    TransmitterIn,
    pydantic_errors,
    resolve_words,
    transmitter_from_model,
)
from vigie.services.secret_words import hash_word

__all__ = [
    "EXPORT_WARNING",
    "accounts_of",
    "parse_register_json",
    "register_from_data",
    "register_to_data",
    "register_to_json",
    "transmitter_to_dict",
]

EXPORT_WARNING = (
    "Contient les clés AES des transmetteurs et les empreintes des mots de passe : "
    "à protéger comme la base elle-même."
)

_LISTS: dict[str, type[BaseModel]] = {
    "customers": CustomerIn,
    "sites": SiteIn,
    "procedures": ProcedureIn,
    "providers": ProviderIn,
    "transmitters": TransmitterIn,
}


def parse_register_json(text: str, *, hasher: Hasher = hash_word) -> Register:
    """The register in ``text``, or ``RegisterInvalid`` naming every error with its line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegisterInvalid(
            [RegisterError("(file)", f"not JSON: {exc.msg}", exc.lineno)]
        ) from None
    try:
        return register_from_data(data, hasher=hasher)
    except RegisterInvalid as exc:
        lines = json_line_map(text)
        raise RegisterInvalid(
            RegisterError(e.path, e.message, e.line or line_of(lines, e.path)) for e in exc.errors
        ) from None


def register_from_data(data: Any, *, hasher: Hasher = hash_word) -> Register:
    """Build and check a register from decoded JSON; ``RegisterInvalid`` lists every error."""
    errors = _envelope_errors(data)
    if errors:
        raise RegisterInvalid(errors)
    items: dict[str, list[tuple[int, Any]]] = {}
    for name, model in _LISTS.items():
        items[name] = []
        for i, raw in enumerate(data.get(name, [])):
            try:
                items[name].append((i, model.model_validate(raw)))
            except ValidationError as exc:
                errors += pydantic_errors(exc, f"{name}[{i}]")
    cameras = []  # checked here; stored by the camera store (``vigie camera import``)
    try:
        cameras = cameras_from_data(data.get("cameras", []))
    except RegisterInvalid as exc:
        errors += exc.errors
    # Items that passed the schema are still built: their rule errors are reported too.
    register, problems = _build(items, hasher)
    if errors or problems:
        raise RegisterInvalid(errors + problems)
    assert register is not None
    cross = register.validate() + check_sites(cameras, [s.id for s in register.sites])
    if cross:
        raise RegisterInvalid(cross)
    return register


def _envelope_errors(data: Any) -> list[RegisterError]:
    if not isinstance(data, dict):
        return [RegisterError("(file)", "expected a JSON object")]
    envelope = {k: v for k, v in data.items() if k not in _LISTS and k != "cameras"}
    try:
        RegisterFile.model_validate(envelope)
    except ValidationError as exc:
        return pydantic_errors(exc)
    return [
        RegisterError(name, "expected a list")
        for name in _LISTS
        if not isinstance(data.get(name, []), list)
    ]


def _build(
    items: dict[str, list[Any]], hasher: Hasher
) -> tuple[Register | None, list[RegisterError]]:
    problems = Problems()
    transmitters: list[LinkedTransmitter] = []
    for i, model in items["transmitters"]:
        assert isinstance(model, TransmitterIn)
        made = transmitter_from_model(model, problems, f"transmitters[{i}]")
        if made is not None:
            transmitters.append(LinkedTransmitter(made, model.site_id))
    customers = [
        customer_from_dict(m.model_dump(mode="json"), problems, f"customers[{i}]")
        for i, m in items["customers"]
    ]
    sites = []
    for i, model in items["sites"]:
        data = model.model_dump(mode="json")
        for j, contact in enumerate(data["contacts"]):
            resolve_words(contact, problems, f"sites[{i}].contacts[{j}]", hasher)
        accounts = accounts_of(transmitters, data["id"])
        sites.append(site_from_dict(data, problems, f"sites[{i}]", accounts))
    procedures = [
        procedure_from_dict(m.model_dump(mode="json"), problems, f"procedures[{i}]")
        for i, m in items["procedures"]
    ]
    providers = [
        provider_from_dict(m.model_dump(mode="json"), problems, f"providers[{i}]")
        for i, m in items["providers"]
    ]
    if problems.errors:
        return None, problems.errors
    register = Register(
        customers=tuple(c for c in customers if c is not None),
        sites=tuple(s for s in sites if s is not None),
        procedures=tuple(p for p in procedures if p is not None),
        providers=tuple(p for p in providers if p is not None),
        transmitters=tuple(transmitters),
    )
    return register, []


def accounts_of(transmitters: list[LinkedTransmitter], site_id: str) -> tuple[str, ...]:
    """The accounts linked to a site, sorted and once each (``Site.transmitters``)."""
    return tuple(sorted({t.transmitter.account for t in transmitters if t.site_id == site_id}))


def transmitter_to_dict(linked: LinkedTransmitter) -> dict[str, Any]:
    t: Transmitter = linked.transmitter
    data: dict[str, Any] = {"account": t.account, "receiver": t.receiver, "prefix": t.prefix}
    if t.key is not None and t.key_notation == "text":
        data["key_text"] = t.key.decode("ascii")
    elif t.key is not None:
        data["key_hex"] = t.key.hex().upper()
    data.update(ignore_timestamp=t.ignore_timestamp, label=t.label, site_id=linked.site_id)
    return data


def register_to_data(register: Register) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "comment": EXPORT_WARNING,
        "customers": [customer_to_dict(c) for c in register.customers],
        "sites": [site_to_dict(s) for s in register.sites],
        "procedures": [procedure_to_dict(p) for p in register.procedures],
        "providers": [provider_to_dict(p) for p in register.providers],
        "transmitters": [transmitter_to_dict(t) for t in register.transmitters],
    }


def register_to_json(register: Register) -> str:
    return json.dumps(register_to_data(register), ensure_ascii=False, indent=2) + "\n"
