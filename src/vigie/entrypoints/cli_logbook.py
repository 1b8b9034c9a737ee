"""``vigie logbook …``: verify, export, search and add to the main courante from a shell.

``verify`` exits 1 on a broken chain so that a cron job or a monitoring probe notices.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from vigie.config import ConfigError, load_settings
from vigie.domain.errors import InvalidValue
from vigie.domain.logbook import LogKind, format_time
from vigie.services.logbook import Actor, Logbook
from vigie.services.logbook_export import export_csv, export_pdf, paris_time
from vigie.services.logbook_period import PeriodError, describe_period, parse_bound

__all__ = ["logbook_app"]

logbook_app = typer.Typer(help="Main courante: the append-only, hash-chained logbook.")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="database URL (default: VIGIE_DATABASE_URL or sqlite:///var/vigie.db)"
    ),
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="YYYY-MM-DD (Paris day) or ISO time")
]
ToOption = Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD (day included) or ISO time")]


class ExportFormat(StrEnum):
    CSV = "csv"
    PDF = "pdf"


@contextmanager
def _logbook(db: str | None) -> Iterator[Logbook]:
    from vigie.adapters.clock import SystemClock
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.logbook_store import SqlLogbook
    from vigie.adapters.db.migrate import upgrade

    try:
        url = load_settings(**({"database_url": db} if db else {})).database_url
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    engine = make_engine(url)
    try:
        upgrade(engine)
        yield Logbook(SqlLogbook(engine), SystemClock())
    finally:
        engine.dispose()


def _bounds(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    try:
        return parse_bound(since, end=False), parse_bound(until, end=True)
    except PeriodError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@logbook_app.command("verify")
def verify(db: DbOption = None) -> None:
    """Recompute every hash from the first entry; exit 1 at the first broken link."""
    with _logbook(db) as logbook:
        check = logbook.verify()
    broken = check.first_break
    if broken is None:
        typer.echo(f"chaîne intègre: {check.entries} entrées")
        if check.last_hash:
            typer.echo(f"dernier hash: {check.last_hash}")
        return
    typer.echo(
        f"chaîne rompue à l'entrée {broken.entry_id} "
        f"({paris_time(broken.at)}, UTC {format_time(broken.at)}): "
        f"{broken.kind}: {broken.detail}",
        err=True,
    )
    raise typer.Exit(1)


@logbook_app.command("export")
def export(
    since: FromOption = None,
    until: ToOption = None,
    fmt: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.CSV,
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="file to write; '-' = stdout (csv)")
    ] = None,
    station: Annotated[str, typer.Option(help="station name on the PDF")] = "Vigie",
    db: DbOption = None,
) -> None:
    """Export a period as CSV (Excel, French) or PDF (with first and last hash)."""
    start, end = _bounds(since, until)
    target = output or f"main-courante_{since or 'debut'}_{until or 'fin'}.{fmt}"
    with _logbook(db) as logbook:
        entries = logbook.period(start, end)
        if fmt is ExportFormat.CSV:
            if target == "-":
                count = export_csv(entries, sys.stdout)
            else:
                with Path(target).open("w", encoding="utf-8", newline="") as stream:
                    count = export_csv(entries, stream)
        else:
            if target == "-":
                raise typer.BadParameter("a PDF goes to a file: give -o FILE")
            report = export_pdf(
                entries,
                Path(target),
                "Main courante",
                describe_period(start, end),
                station=station,
                generated_at=logbook.now(),
            )
            count = report.entries
    if target != "-":
        typer.echo(f"{count} entrées exportées vers {target}", err=True)


@logbook_app.command("search")
def search(
    site: Annotated[str | None, typer.Option("--site")] = None,
    incident: Annotated[int | None, typer.Option("--incident")] = None,
    author: Annotated[str | None, typer.Option("--author")] = None,
    text: Annotated[str | None, typer.Option("--text", help="substring, any case")] = None,
    kind: Annotated[LogKind | None, typer.Option("--kind")] = None,
    since: FromOption = None,
    until: ToOption = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100_000)] = 100,
    db: DbOption = None,
) -> None:
    """List matching entries, oldest first (times in Paris)."""
    start, end = _bounds(since, until)
    with _logbook(db) as logbook:
        entries = logbook.search(
            site_id=site,
            incident_id=incident,
            author=author,
            text=text,
            kind=kind,
            since=start,
            until=end,
            limit=limit,
        )
    for entry in entries:
        where = " ".join(
            part
            for part in (
                f"site={entry.site_id}" if entry.site_id else "",
                f"incident={entry.incident_id}" if entry.incident_id is not None else "",
                f"corrige={entry.corrects}" if entry.corrects is not None else "",
            )
            if part
        )
        typer.echo(
            f"{entry.id:>7}  {paris_time(entry.at)}  {entry.kind:<15} {entry.author:<12} "
            f"{where + '  ' if where else ''}{entry.text}"
        )
    typer.echo(f"{len(entries)} entrée(s)", err=True)


@logbook_app.command("add")
def add(
    text: Annotated[str, typer.Argument(help="what to write in the main courante")],
    site: Annotated[str | None, typer.Option("--site")] = None,
    incident: Annotated[int | None, typer.Option("--incident")] = None,
    author: Annotated[
        str | None, typer.Option("--author", help="default: the system user running vigie")
    ] = None,
    role: Annotated[str, typer.Option("--role")] = "operator",
    card: Annotated[str, typer.Option("--card", help="CNAPS card number")] = "",
    db: DbOption = None,
) -> None:
    """Add a manual entry, attributed to --author (or the shell user) from this host."""
    actor = Actor(
        user=author or getpass.getuser(),
        role=role,
        card_number=card,
        source=f"cli@{socket.gethostname()}",
    )
    with _logbook(db) as logbook:
        try:
            entry = logbook.manual(text, actor, site_id=site, incident_id=incident)
        except InvalidValue as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None
    typer.echo(f"entrée {entry.id} ajoutée ({entry.hash})")
