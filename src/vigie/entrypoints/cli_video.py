"""``vigie camera …`` and ``vigie video …``: cameras, exports, the register, retention.

Passwords are read from standard input (``--password-stdin``), never from the command
line where ``ps`` and the shell history would keep them. Exports from the shell are
attributed to ``--author`` (or the shell user) like manual logbook entries. Exit status 2
is a refusal with its reason on stderr; ``verify-export`` exits 1 when a file changed.
"""

from __future__ import annotations

import getpass
import json
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from vigie.config import ConfigError, load_settings
from vigie.domain.errors import DomainError, InvalidValue, NotFound
from vigie.domain.register_set import RegisterInvalid
from vigie.domain.video import MAX_RETENTION_DAYS, Camera
from vigie.services.logbook import Actor, Logbook

__all__ = ["camera_app", "video_app"]

camera_app = typer.Typer(help="Caméras du registre (identifiants chiffrés).")
video_app = typer.Typer(help="Vidéo : extractions, registre des extractions, purge, gels.")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="database URL (default: VIGIE_DATABASE_URL or sqlite:///var/vigie.db)"
    ),
]
AuthorOption = Annotated[
    str | None, typer.Option("--author", help="default: the system user running vigie")
]


@dataclass
class _Video:
    cameras: Any
    segments: Any
    media: Any
    extractions: Any
    holds: Any
    logbook: Logbook
    video_root: Path


@contextmanager
def _video(db: str | None) -> Iterator[_Video]:
    from vigie.adapters.clock import SystemClock
    from vigie.adapters.db.camera_store import CameraStore, SegmentStore
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.logbook_store import SqlLogbook
    from vigie.adapters.db.media_store import ExtractionStore, HoldStore, MediaStore
    from vigie.adapters.db.migrate import upgrade
    from vigie.services.credential_box import CredentialBox, CredentialError

    try:
        settings = load_settings(**({"database_url": db} if db else {}))
        box = CredentialBox.from_settings(settings.secret_key, settings.video_root.parent)
    except (ConfigError, CredentialError) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        logbook_store = SqlLogbook(engine)
        yield _Video(
            cameras=CameraStore(engine, box),
            segments=SegmentStore(engine),
            media=MediaStore(engine),
            extractions=ExtractionStore(engine, logbook_store),
            holds=HoldStore(engine, logbook_store),
            logbook=Logbook(logbook_store, SystemClock()),
            video_root=settings.video_root,
        )
    except CredentialError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    finally:
        engine.dispose()


def _refuse(message: object) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _actor(author: str | None, role: str, card: str) -> Actor:
    return Actor(author or getpass.getuser(), role, card, f"cli@{socket.gethostname()}")


def _when(text: str, name: str) -> datetime:
    from vigie.services.logbook_period import PeriodError, parse_bound

    try:
        value = parse_bound(text, end=False)
    except PeriodError as exc:
        raise _refuse(f"{name}: {exc}") from None
    if value is None:
        raise _refuse(f"{name}: expected a time")
    return value


# --- cameras ---------------------------------------------------------------------------


@camera_app.command("add")
def camera_add(
    camera_id: Annotated[str, typer.Argument(help="the camera's id, e.g. PHARMA-01-CAM1")],
    site: Annotated[str, typer.Option("--site", help="the site it belongs to")],
    name: Annotated[str, typer.Option("--name")],
    url: Annotated[str, typer.Option("--url", help="main stream: rtsp:// or http://")],
    sub_url: Annotated[str, typer.Option("--sub-url", help="analysed stream")] = "",
    username: Annotated[str, typer.Option("--username")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
    zone: Annotated[list[str] | None, typer.Option("--zone", help="linked zone (repeat)")] = None,
    retention_days: Annotated[
        int, typer.Option("--retention-days", help=f"1 to {MAX_RETENTION_DAYS} (CSI L252-5)")
    ] = MAX_RETENTION_DAYS,
    db: DbOption = None,
) -> None:
    """Add or replace a camera; its credentials are stored encrypted."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else ""
    try:
        camera = Camera(
            id=camera_id,
            site_id=site,
            name=name,
            main_url=url,
            sub_url=sub_url,
            username=username,
            password=password,
            zones=tuple(zone or ()),
            retention_days=retention_days,
        )
    except InvalidValue as exc:
        raise _refuse(exc) from None
    with _video(db) as video:
        video.cameras.save(camera)
    typer.echo(f"camera {camera_id} saved ({'with' if password else 'without'} a password)")


@camera_app.command("list")
def camera_list(db: DbOption = None) -> None:
    """The cameras, without their credentials."""
    with _video(db) as video:
        for c in video.cameras.cameras():
            secret = "mot de passe" if c.password else "-"
            zones = ",".join(c.zones) or "-"
            typer.echo(
                f"{c.id:<20} {c.site_id:<14} {c.name:<24} {c.retention_days:>2} j  "
                f"zones {zones:<8} {secret:<12} {c.main_url.split('@')[-1]}"
            )


@camera_app.command("remove")
def camera_remove(camera_id: str, db: DbOption = None) -> None:
    """Remove a camera (its recordings follow retention; exports are kept)."""
    with _video(db) as video:
        if not video.cameras.delete(camera_id):
            raise _refuse(f"no camera {camera_id!r}")
    typer.echo(f"camera {camera_id} removed")


@camera_app.command("import")
def camera_import(
    file: Annotated[Path, typer.Argument(help="register.json (its cameras) or cameras.csv")],
    db: DbOption = None,
) -> None:
    """Add or replace the cameras of a file; a bad file is refused whole, line by line."""
    from vigie.services.camera_codec import cameras_from_csv, check_sites, parse_cameras_json

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _refuse(f"{file}: cannot read: {exc}") from None
    with _video(db) as video:
        try:
            is_csv = file.suffix.lower() == ".csv"
            cameras = cameras_from_csv(text) if is_csv else parse_cameras_json(text)
            sites = _site_ids(db)
            if sites is not None:
                errors = check_sites(cameras, sites, "" if is_csv else "cameras")
                if errors:
                    raise RegisterInvalid(errors)
        except RegisterInvalid as exc:
            for error in exc.errors:
                line = error.line if error.line is not None else 0
                typer.echo(f"{file}:{line}: {error.path}: {error.message}", err=True)
            typer.echo(f"{file}: refused, {len(exc.errors)} error(s); nothing imported", err=True)
            raise typer.Exit(2) from None
        video.cameras.save_all(cameras)
    typer.echo(f"imported {len(cameras)} camera(s) from {file.name}")


def _site_ids(db: str | None) -> list[str] | None:
    """The register's sites, or None when the register is empty (cameras first)."""
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.register_repository import SqlRegister

    engine = make_engine(load_settings(**({"database_url": db} if db else {})).database_url)
    try:
        sites = [s.id for s in SqlRegister(engine).sites()]
    finally:
        engine.dispose()
    return sites or None


@camera_app.command("export")
def camera_export(db: DbOption = None) -> None:
    """The cameras as the ``cameras`` list of the register file (never a password)."""
    from vigie.services.camera_codec import camera_to_dict

    with _video(db) as video:
        data = [camera_to_dict(c) for c in video.cameras.cameras()]
    for item in data:
        item.pop("has_password", None)
    typer.echo(json.dumps({"cameras": data}, ensure_ascii=False, indent=2))


# --- video -----------------------------------------------------------------------------


@video_app.command("export")
def video_export(
    camera_id: str,
    start: Annotated[str, typer.Option("--from", help="ISO time, e.g. 2026-11-28T14:05:00")],
    end: Annotated[str, typer.Option("--to", help="ISO time")],
    reason: Annotated[str, typer.Option("--reason", help="why (mandatory)")],
    recipient: Annotated[
        str, typer.Option("--recipient", help='for whom, e.g. "OPJ, commissariat de Lyon 3e"')
    ],
    requisition: Annotated[str, typer.Option("--requisition", help="its reference")] = "",
    author: AuthorOption = None,
    role: Annotated[str, typer.Option("--role")] = "operator",
    card: Annotated[str, typer.Option("--card", help="CNAPS card number")] = "",
    db: DbOption = None,
) -> None:
    """Export a period of a camera as MP4, with its SHA-256, register line and log entry."""
    from vigie.adapters.video.clips import extract_clip
    from vigie.services.video_export import VideoExports

    begin, finish = _when(start, "--from"), _when(end, "--to")
    with _video(db) as video:
        exports = VideoExports(
            video.cameras,
            video.segments,
            video.extractions,
            video.logbook,
            video.video_root / "exports",
            extract_clip,
        )
        try:
            done = exports.export(
                camera_id, begin, finish, _actor(author, role, card), reason, recipient, requisition
            )
        except DomainError as exc:
            raise _refuse(exc) from None
    typer.echo(f"extraction {done.id}: {done.path}\nSHA-256 {done.sha256}")


@video_app.command("extractions")
def video_extractions(
    camera: Annotated[str | None, typer.Option("--camera")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    db: DbOption = None,
) -> None:
    """The extraction register, newest first."""
    from vigie.services.logbook_export import paris_time

    with _video(db) as video:
        for e in video.extractions.latest(camera_id=camera, limit=limit):
            typer.echo(
                f"{e.id:>5}  {paris_time(e.created_at)}  {e.camera_id:<16} "
                f"{paris_time(e.actual_start)} → {paris_time(e.actual_end)}  {e.requested_by} "
                f"({e.card_number or '-'}) pour {e.recipient} [{e.requisition or '-'}] "
                f"motif : {e.reason}  sha256 {e.sha256}"
            )


@video_app.command("verify-export")
def video_verify_export(extraction_id: int, db: DbOption = None) -> None:
    """Recompute an export's SHA-256; exit 1 if the file changed or is gone."""
    from vigie.services.video_export import sha256_of

    with _video(db) as video:
        try:
            e = video.extractions.get(extraction_id)
        except NotFound as exc:
            raise _refuse(exc) from None
    path = Path(e.path)
    if not path.is_file():
        typer.echo(f"extraction {extraction_id}: FILE MISSING {path}", err=True)
        raise typer.Exit(1)
    actual = sha256_of(path)
    if actual != e.sha256:
        typer.echo(
            f"extraction {extraction_id}: MODIFIED, register {e.sha256}, file {actual}", err=True
        )
        raise typer.Exit(1)
    typer.echo(f"extraction {extraction_id}: OK, SHA-256 {actual}")


@video_app.command("purge")
def video_purge(db: DbOption = None) -> None:
    """Delete the recordings past each camera's retention now (as the daily sweep does)."""
    from vigie.services.video_retention import VideoRetention

    with _video(db) as video:
        retention = VideoRetention(
            video.cameras, video.segments, video.media, video.holds, video.logbook
        )
        report = retention.purge(video.logbook.now())
    for c in report.cameras:
        if c.worth_logging or c.kept_by_hold:
            typer.echo(
                f"{c.camera_id}: {c.segments} segment(s), {c.media} media, {c.bytes} bytes "
                f"deleted; {c.kept_by_hold} held; {len(c.missing)} missing; "
                f"{len(c.failed)} failed"
            )
    typer.echo(f"purge: {report.segments} segment(s), {report.media} media, {report.bytes} bytes")


@video_app.command("hold")
def video_hold(
    camera_id: str,
    start: Annotated[str, typer.Option("--from", help="ISO time")],
    end: Annotated[str, typer.Option("--to", help="ISO time")],
    reason: Annotated[str, typer.Option("--reason")],
    reference: Annotated[str, typer.Option("--reference", help="requisition / case number")],
    author: AuthorOption = None,
    role: Annotated[str, typer.Option("--role")] = "supervisor",
    card: Annotated[str, typer.Option("--card", help="CNAPS card number")] = "",
    db: DbOption = None,
) -> None:
    """Place a legal hold: the period's recordings escape retention until released."""
    from vigie.services.video_retention import LegalHolds

    begin, finish = _when(start, "--from"), _when(end, "--to")
    with _video(db) as video:
        try:
            site_id = video.cameras.camera(camera_id).site_id
            hold = LegalHolds(video.holds, video.logbook).hold(
                camera_id, begin, finish, reason, reference, _actor(author, role, card),
                site_id=site_id,
            )  # fmt: skip
        except DomainError as exc:
            raise _refuse(exc) from None
    typer.echo(f"hold {hold.id} placed on {camera_id}")


@video_app.command("release")
def video_release(
    hold_id: int,
    note: Annotated[str, typer.Option("--note")] = "",
    author: AuthorOption = None,
    role: Annotated[str, typer.Option("--role")] = "supervisor",
    card: Annotated[str, typer.Option("--card", help="CNAPS card number")] = "",
    db: DbOption = None,
) -> None:
    """Release a legal hold; the recordings then follow retention again."""
    from vigie.services.video_retention import LegalHolds

    with _video(db) as video:
        try:
            LegalHolds(video.holds, video.logbook).release(
                hold_id, _actor(author, role, card), note=note
            )
        except DomainError as exc:
            raise _refuse(exc) from None
    typer.echo(f"hold {hold_id} released")
