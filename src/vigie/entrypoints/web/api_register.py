"""REST CRUD of the register under ``/api/v1``: customers, sites, procedures, providers.

Writes are ``PUT`` by the station's own id (create or replace). Secret and duress words
are write-only: sent in clear (``secret_word``), hashed at once, never returned (a
contact shows ``has_secret_word``); a contact sent without them keeps its stored ones.
Refusals name the field: 422 ``{"detail": [{"field", "message"}]}``, 404 and 409 say why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import JSONResponse

from vigie.domain.errors import NotFound
from vigie.domain.register import AlarmKind, Contact, Site
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
from vigie.domain.register_set import InUse, RegisterError, RegisterInvalid
from vigie.services.register_schema import (
    ContactIn,
    CustomerIn,
    Hasher,
    ProcedureIn,
    ProviderIn,
    SiteIn,
    ZoneIn,
    resolve_words,
)
from vigie.services.secret_words import hash_word

if TYPE_CHECKING:  # the concrete store is wired by create_app's caller
    from vigie.adapters.db.register_repository import SqlRegister

__all__ = ["router", "site_json"]

router = APIRouter(prefix="/api/v1", tags=["registre"])
_WORDS = ("secret_word", "duress_word")


def _register(request: Request) -> SqlRegister:
    register: SqlRegister = request.app.state.register
    return register


def _hasher(request: Request) -> Hasher:
    hasher: Hasher = getattr(request.app.state, "word_hasher", hash_word)
    return hasher


def _refused(errors: list[RegisterError]) -> HTTPException:
    detail = [{"field": e.path, "message": e.message} for e in errors]
    return HTTPException(status_code=422, detail=detail)


def _missing(what: str, ident: str) -> HTTPException:
    return HTTPException(status_code=404, detail=f"{what} {ident!r} introuvable (not found)")


def _same_id(path_id: str, body_id: str) -> None:
    if path_id != body_id:
        raise _refused([RegisterError("id", f"expected the id of the URL {path_id!r}")])


def _built(value: Any, problems: Problems) -> Any:
    if problems.errors or value is None:
        raise _refused(problems.errors)
    return value


def _save(action: Any, *args: Any) -> None:
    try:
        action(*args)
    except RegisterInvalid as exc:
        raise _refused(exc.errors) from None


def site_json(site: Site) -> dict[str, Any]:
    """A site for the outside: no word and no hash, only whether one is set."""
    data = site_to_dict(site)
    data["contacts"] = [
        _contact_json(c, d) for c, d in zip(site.contacts, data["contacts"], strict=True)
    ]
    data["transmitters"] = list(site.transmitters)
    return data


def _contact_json(contact: Contact, data: dict[str, Any]) -> dict[str, Any]:
    data.pop("secret_word_hash")
    data.pop("duress_word_hash")
    data["has_secret_word"] = contact.secret_word_hash is not None
    data["has_duress_word"] = contact.duress_word_hash is not None
    return data


def _site_from_body(body: SiteIn, current: Site | None, hasher: Hasher) -> Site:
    data = body.model_dump(mode="json")
    known = {c.id: c for c in current.contacts} if current else {}
    problems = Problems()
    for i, (model, contact) in enumerate(zip(body.contacts, data["contacts"], strict=True)):
        _contact_words(model, contact, known.get(model.id), problems, f"contacts[{i}]", hasher)
    accounts = current.transmitters if current else ()
    return _built(site_from_dict(data, problems, "", accounts), problems)  # type: ignore[no-any-return]


def _contact_words(
    model: ContactIn,
    data: dict[str, Any],
    stored: Contact | None,
    problems: Problems,
    path: str,
    hasher: Hasher,
) -> None:
    """Words are write-only: omitted keeps the stored hash, ``null`` clears it."""
    for word in _WORDS:
        if f"{word}_hash" in model.model_fields_set:
            problems.add(
                f"{path}.{word}_hash", f"expected {word} in clear (hashes are not accepted)"
            )
        data.pop(f"{word}_hash", None)
        if word not in model.model_fields_set and stored is not None:
            data[f"{word}_hash"] = getattr(stored, f"{word}_hash")
            data.pop(word, None)
    resolve_words(data, problems, path, hasher)


# --- customers ---------------------------------------------------------------------------


@router.get("/customers", summary="Liste des clients")
def list_customers(request: Request) -> list[dict[str, Any]]:
    return [customer_to_dict(c) for c in _register(request).customers()]


@router.get("/customers/{customer_id}", summary="Un client")
def get_customer(request: Request, customer_id: str) -> dict[str, Any]:
    found = _register(request).customer(customer_id)
    if found is None:
        raise _missing("client", customer_id)
    return customer_to_dict(found)


@router.put("/customers/{customer_id}", summary="Créer ou remplacer un client")
def put_customer(request: Request, customer_id: str, body: CustomerIn) -> dict[str, Any]:
    _same_id(customer_id, body.id)
    problems = Problems()
    customer = _built(customer_from_dict(body.model_dump(), problems), problems)
    _save(_register(request).save_customer, customer)
    return customer_to_dict(customer)


@router.delete("/customers/{customer_id}", status_code=204, summary="Supprimer un client")
def delete_customer(request: Request, customer_id: str) -> Response:
    return _delete(request, _register(request).delete_customer, "client", customer_id)


def _delete(request: Request, action: Any, what: str, ident: str) -> Response:
    try:
        gone = action(ident)
    except InUse as exc:
        detail = [{"field": e.path, "message": e.message} for e in exc.errors]
        return JSONResponse({"detail": detail}, status_code=409)
    if not gone:
        raise _missing(what, ident)
    return Response(status_code=204)


# --- sites -------------------------------------------------------------------------------


@router.get("/sites", summary="Liste des sites")
def list_sites(request: Request) -> list[dict[str, Any]]:
    return [site_json(s) for s in _register(request).sites()]


@router.get("/sites/{site_id}", summary="Un site : horaires, zones, contacts, supervision")
def get_site(request: Request, site_id: str) -> dict[str, Any]:
    return site_json(_site(request, site_id))


def _site(request: Request, site_id: str) -> Site:
    found = _register(request).site(site_id)
    if found is None:
        raise _missing("site", site_id)
    return found


@router.put(
    "/sites/{site_id}", summary="Créer ou remplacer un site (mots de passe en écriture seule)"
)
def put_site(request: Request, site_id: str, body: SiteIn) -> dict[str, Any]:
    _same_id(site_id, body.id)
    register = _register(request)
    site = _site_from_body(body, register.site(site_id), _hasher(request))
    _save(register.save_site, site)
    return site_json(site)


@router.delete("/sites/{site_id}", status_code=204, summary="Supprimer un site et ses consignes")
def delete_site(request: Request, site_id: str) -> Response:
    return _delete(request, _register(request).delete_site, "site", site_id)


@router.put("/sites/{site_id}/zones", summary="Remplacer les zones d'un site")
def put_zones(request: Request, site_id: str, body: list[ZoneIn]) -> dict[str, Any]:
    current = _site(request, site_id)
    data = site_to_dict(current)
    data["zones"] = [z.model_dump(mode="json") for z in body]
    problems = Problems()
    site = _built(site_from_dict(data, problems, "", current.transmitters), problems)
    _save(_register(request).save_site, site)
    return site_json(site)


@router.put("/sites/{site_id}/contacts", summary="Remplacer les contacts d'un site")
def put_contacts(request: Request, site_id: str, body: list[ContactIn]) -> dict[str, Any]:
    current = _site(request, site_id)
    data = site_to_dict(current)
    data["contacts"] = [c.model_dump(mode="json") for c in body]
    known = {c.id: c for c in current.contacts}
    problems = Problems()
    for i, (model, contact) in enumerate(zip(body, data["contacts"], strict=True)):
        _contact_words(model, contact, known.get(model.id), problems, f"[{i}]", _hasher(request))
    site = _built(site_from_dict(data, problems, "", current.transmitters), problems)
    _save(_register(request).save_site, site)
    return site_json(site)


@router.get("/sites/{site_id}/procedure/{kind}", summary="La consigne qui s'applique")
def resolved_procedure(request: Request, site_id: str, kind: AlarmKind) -> dict[str, Any]:
    _site(request, site_id)
    found = _register(request).procedures_for(site_id, kind)
    if found is None:
        raise _missing("consigne pour", f"{site_id}/{kind.value}")
    return procedure_to_dict(found)


@router.put(
    "/sites/{site_id}/transmitters/{account}", summary="Rattacher un transmetteur à un site"
)
def link_transmitter(
    request: Request,
    site_id: str,
    account: str,
    receiver: str | None = None,
    prefix: str | None = None,
) -> dict[str, Any]:
    try:
        _register(request).link_transmitter(site_id, account, receiver, prefix)
    except NotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    return site_json(_site(request, site_id))


@router.delete(
    "/sites/{site_id}/transmitters/{account}",
    status_code=204,
    summary="Détacher un transmetteur de son site",
)
def unlink_transmitter(
    request: Request,
    site_id: str,
    account: str,
    receiver: str | None = None,
    prefix: str | None = None,
) -> Response:
    linked = {
        t.transmitter.account for t in _register(request).transmitters() if t.site_id == site_id
    }
    if account not in linked or not _register(request).unlink_transmitter(
        account, receiver, prefix
    ):
        raise _missing(f"transmetteur rattaché à {site_id}", account)
    return Response(status_code=204)


@router.get("/transmitters", summary="Transmetteurs et leur site (clés jamais montrées)")
def list_transmitters(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "account": t.transmitter.account,
            "receiver": t.transmitter.receiver,
            "prefix": t.transmitter.prefix,
            "key": t.transmitter.describe_key(),
            "label": t.transmitter.label,
            "site_id": t.site_id,
        }
        for t in _register(request).transmitters()
    ]


# --- procedures and providers -----------------------------------------------------------


@router.get("/procedures", summary="Consignes : modèles et consignes de site")
def list_procedures(request: Request) -> list[dict[str, Any]]:
    return [procedure_to_dict(p) for p in _register(request).procedures()]


@router.get("/procedures/{procedure_id}", summary="Une consigne")
def get_procedure(request: Request, procedure_id: str) -> dict[str, Any]:
    found = _register(request).procedure(procedure_id)
    if found is None:
        raise _missing("consigne", procedure_id)
    return procedure_to_dict(found)


@router.put("/procedures/{procedure_id}", summary="Créer ou remplacer une consigne")
def put_procedure(request: Request, procedure_id: str, body: ProcedureIn) -> dict[str, Any]:
    _same_id(procedure_id, body.id)
    problems = Problems()
    procedure = _built(procedure_from_dict(body.model_dump(mode="json"), problems), problems)
    _save(_register(request).save_procedure, procedure)
    return procedure_to_dict(procedure)


@router.delete("/procedures/{procedure_id}", status_code=204, summary="Supprimer une consigne")
def delete_procedure(request: Request, procedure_id: str) -> Response:
    return _delete(request, _register(request).delete_procedure, "consigne", procedure_id)


@router.get("/providers", summary="Prestataires d'intervention")
def list_providers(request: Request) -> list[dict[str, Any]]:
    return [provider_to_dict(p) for p in _register(request).providers()]


@router.get("/providers/{provider_id}", summary="Un prestataire")
def get_provider(request: Request, provider_id: str) -> dict[str, Any]:
    found = _register(request).provider(provider_id)
    if found is None:
        raise _missing("prestataire", provider_id)
    return provider_to_dict(found)


@router.put("/providers/{provider_id}", summary="Créer ou remplacer un prestataire")
def put_provider(request: Request, provider_id: str, body: ProviderIn) -> dict[str, Any]:
    _same_id(provider_id, body.id)
    problems = Problems()
    provider = _built(provider_from_dict(body.model_dump(), problems), problems)
    _save(_register(request).save_provider, provider)
    return provider_to_dict(provider)


@router.delete("/providers/{provider_id}", status_code=204, summary="Supprimer un prestataire")
def delete_provider(request: Request, provider_id: str) -> Response:
    return _delete(request, _register(request).delete_provider, "prestataire", provider_id)
