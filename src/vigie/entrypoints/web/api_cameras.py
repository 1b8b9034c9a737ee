"""REST API of the cameras, video exports, the extraction register and legal holds.

``make_router`` takes the stores and services (bootstrap wires them) and sets each
route's permission itself, so it can be included without a router-wide guard:

* cameras: read with ``console.view``; create, replace, delete with ``register.edit``.
  Credentials are write-only: ``username``/``password`` sent in clear are encrypted at
  once and never returned (``has_username``, ``has_password``); omitted, they keep the
  stored ones; ``""`` clears them;
* exports and downloads: ``EXPORT_PERMISSION`` and a valid CNAPS card; reason and
  recipient are mandatory; every export and download is written in the main courante;
* the extraction register: ``console.view``; legal holds: placed and released with
  ``supervise``.

Refusals: 422 ``{"detail": [{"field", "message"}]}``, 404, 409 with a reason.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict

from vigie.domain.errors import InvalidValue, NotFound
from vigie.domain.register_codec import Problems
from vigie.domain.video import Camera
from vigie.domain.video_media import Extraction, LegalHold
from vigie.entrypoints.web.actor import Principal, require
from vigie.services.camera_codec import camera_from_dict, camera_to_dict
from vigie.services.video_export import ExportError, VideoExports
from vigie.services.video_retention import LegalHolds

if TYPE_CHECKING:  # the concrete store is wired by bootstrap
    from vigie.adapters.db.camera_store import CameraStore

__all__ = ["EXPORT_PERMISSION", "camera_json", "extraction_json", "make_router"]

EXPORT_PERMISSION = "queue.work"  # operators and supervisors; see the report for video.export


# Module-level: FastAPI resolves these (string) annotations in the module's namespace.
View = Annotated[Principal, Depends(require("console.view"))]
Edit = Annotated[Principal, Depends(require("register.edit"))]
Export = Annotated[Principal, Depends(require(EXPORT_PERMISSION, takes_alarms=True))]
Supervise = Annotated[Principal, Depends(require("supervise"))]


class ExportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: datetime
    end: datetime
    reason: str = ""
    recipient: str = ""
    requisition: str = ""


class HoldIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start: datetime
    end: datetime
    reason: str = ""
    reference: str = ""


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = ""


def camera_json(camera: Camera) -> dict[str, Any]:
    """A camera for the outside: no user name, no password, only whether they are set."""
    data = camera_to_dict(camera)
    data.pop("username")
    data["has_username"] = bool(camera.username)
    return data


def extraction_json(e: Extraction) -> dict[str, Any]:
    return {
        "id": e.id,
        "camera_id": e.camera_id,
        "start": e.start.isoformat(),
        "end": e.end.isoformat(),
        "actual_start": e.actual_start.isoformat(),
        "actual_end": e.actual_end.isoformat(),
        "size": e.size,
        "sha256": e.sha256,
        "requested_by": e.requested_by,
        "role": e.role,
        "card_number": e.card_number,
        "reason": e.reason,
        "recipient": e.recipient,
        "requisition": e.requisition,
        "created_at": e.created_at.isoformat(),
        "held_until": e.held_until.isoformat() if e.held_until else None,
    }


def hold_json(h: LegalHold) -> dict[str, Any]:
    return {
        "id": h.id,
        "camera_id": h.camera_id,
        "start": h.start.isoformat(),
        "end": h.end.isoformat(),
        "reason": h.reason,
        "reference": h.reference,
        "user": h.user,
        "created_at": h.created_at.isoformat(),
        "released_at": h.released_at.isoformat() if h.released_at else None,
        "released_by": h.released_by or None,
        "active": h.active,
    }


def _invalid(exc: InvalidValue) -> HTTPException:
    return HTTPException(
        status_code=422, detail=[{"field": exc.field, "message": f"expected {exc.expected}"}]
    )


def _missing(exc: NotFound) -> HTTPException:
    return HTTPException(status_code=404, detail=str(exc))


def make_router(
    cameras: CameraStore,
    exports: VideoExports,
    holds: LegalHolds,
    *,
    extractions_limit: int = 500,
) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["vidéo"])

    def camera(camera_id: str) -> Camera:
        try:
            return cameras.camera(camera_id)
        except NotFound as exc:
            raise _missing(exc) from None

    @router.get("/cameras", summary="Caméras (sans identifiants)")
    def list_cameras(_: View) -> list[dict[str, Any]]:
        return [camera_json(c) for c in cameras.cameras()]

    @router.get("/cameras/{camera_id}", summary="Une caméra")
    def get_camera(camera_id: str, _: View) -> dict[str, Any]:
        return camera_json(camera(camera_id))

    @router.put("/cameras/{camera_id}", summary="Créer ou remplacer une caméra")
    def put_camera(
        camera_id: str, _: Edit, body: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any]:
        data = {k: v for k, v in body.items() if k not in ("has_password", "has_username")}
        if data.setdefault("id", camera_id) != camera_id:
            raise HTTPException(
                422, [{"field": "id", "message": f"expected the id of the URL {camera_id!r}"}]
            )
        stored = cameras.find(camera_id)
        for secret in ("username", "password"):
            if data.get(secret) is None:
                data.pop(secret, None)
                if stored is not None:
                    data[secret] = getattr(stored, secret)
        problems = Problems()
        built = camera_from_dict(data, problems)
        if built is None:
            detail = [{"field": e.path, "message": e.message} for e in problems.errors]
            raise HTTPException(status_code=422, detail=detail)
        cameras.save(built)
        return camera_json(built)

    @router.delete("/cameras/{camera_id}", status_code=204, summary="Supprimer une caméra")
    def delete_camera(camera_id: str, _: Edit) -> Response:
        if not cameras.delete(camera_id):
            raise HTTPException(404, f"caméra {camera_id!r} introuvable (not found)")
        return Response(status_code=204)

    @router.post(
        "/cameras/{camera_id}/exports",
        status_code=201,
        summary="Extraire une séquence (motif et destinataire obligatoires)",
    )
    def export(camera_id: str, body: ExportIn, who: Export) -> dict[str, Any]:
        try:
            done = exports.export(
                camera_id,
                body.start,
                body.end,
                who.actor,
                body.reason,
                body.recipient,
                body.requisition,
            )
        except InvalidValue as exc:
            raise _invalid(exc) from None
        except NotFound as exc:
            raise _missing(exc) from None
        except ExportError as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        return extraction_json(done)

    @router.get("/video/extractions", summary="Registre des extractions")
    def list_extractions(
        _: View, camera_id: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        limit = max(1, min(limit, extractions_limit))
        return [extraction_json(e) for e in exports.latest(camera_id=camera_id, limit=limit)]

    @router.get("/video/extractions/{extraction_id}", summary="Une extraction et sa vérification")
    def get_extraction(extraction_id: int, _: View) -> dict[str, Any]:
        try:
            check = exports.verify(extraction_id)
        except NotFound as exc:
            raise _missing(exc) from None
        data = extraction_json(check.extraction)
        data.update(file_present=check.actual_sha256 is not None, intact=check.ok)
        return data

    @router.get("/video/extractions/{extraction_id}/file", summary="Télécharger (tracé)")
    def download(extraction_id: int, who: Export) -> FileResponse:
        try:
            e = exports.download(extraction_id, who.actor)
        except NotFound as exc:
            raise _missing(exc) from None
        except ExportError as exc:
            raise HTTPException(status_code=410, detail=str(exc)) from None
        name = f"extraction-{e.id}-{e.camera_id}.mp4"
        headers = {"X-Content-SHA256": e.sha256}
        return FileResponse(Path(e.path), media_type="video/mp4", filename=name, headers=headers)

    @router.get("/cameras/{camera_id}/holds", summary="Gels judiciaires actifs")
    def list_holds(camera_id: str, _: View) -> list[dict[str, Any]]:
        return [hold_json(h) for h in holds.active_holds(camera_id)]

    @router.post("/cameras/{camera_id}/holds", status_code=201, summary="Geler une période")
    def place_hold(camera_id: str, body: HoldIn, who: Supervise) -> dict[str, Any]:
        site_id = camera(camera_id).site_id
        try:
            held = holds.hold(
                camera_id,
                body.start,
                body.end,
                body.reason,
                body.reference,
                who.actor,
                site_id=site_id,
            )
        except InvalidValue as exc:
            raise _invalid(exc) from None
        return hold_json(held)

    @router.post("/video/holds/{hold_id}/release", summary="Lever un gel judiciaire")
    def release_hold(hold_id: int, who: Supervise, body: ReleaseIn | None = None) -> dict[str, Any]:
        try:
            released = holds.release(hold_id, who.actor, note=body.note if body else "")
        except NotFound as exc:
            raise _missing(exc) from None
        return hold_json(released)

    return router
