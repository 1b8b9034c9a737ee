"""``vigie import`` and ``vigie export``: the whole register as JSON, or CSV by part.

A bad file is refused whole: every error is printed as ``file:line: field: message``
(the compiler convention editors understand) and the exit status is 2.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, cast

import typer

from vigie.domain.register_set import RegisterInvalid

__all__ = ["export_command", "import_command"]


class CsvPart(StrEnum):
    SITES = "sites"
    ZONES = "zones"
    CONTACTS = "contacts"


class Format(StrEnum):
    JSON = "json"
    SITES = "sites"
    ZONES = "zones"
    CONTACTS = "contacts"


DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="database URL (default: VIGIE_DATABASE_URL or sqlite:///var/vigie.db)"
    ),
]


def _store(db: str | None):  # type: ignore[no-untyped-def]
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.migrate import upgrade
    from vigie.adapters.db.register_repository import SqlRegister
    from vigie.config import ConfigError, load_settings

    try:
        settings = load_settings(database_url=db)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    engine = make_engine(settings.database_url)
    upgrade(engine)
    return SqlRegister(engine)


def import_command(
    file: Annotated[Path, typer.Argument(help="register.json, or a CSV with --kind")],
    kind: Annotated[
        CsvPart | None, typer.Option("--kind", help="what a CSV file holds (default: its name)")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import the register (JSON replaces everything; CSV updates sites, zones or contacts)."""
    from vigie.services.register_csv import apply_csv
    from vigie.services.register_io import parse_register_json

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"{file}: cannot read: {exc}", err=True)
        raise typer.Exit(2) from None
    is_csv = file.suffix.lower() == ".csv"
    if is_csv and kind is None:
        kind = next((k for k in CsvPart if k.value in file.stem.lower()), None)
        if kind is None:
            typer.echo(f"{file}: say what the CSV holds with --kind sites|zones|contacts", err=True)
            raise typer.Exit(2)
    try:
        if is_csv:
            assert kind is not None
            store = _store(db)
            register = apply_csv(store.load_all(), kind.value, text)
        else:
            register = parse_register_json(text)
            store = _store(db)
        store.replace_all(register, source=f"import {file.name}")
    except RegisterInvalid as exc:
        for error in exc.errors:
            line = error.line if error.line is not None else 0
            typer.echo(f"{file}:{line}: {error.path}: {error.message}", err=True)
        typer.echo(f"{file}: refused, {len(exc.errors)} error(s); nothing was imported", err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"imported {file.name}: {len(register.sites)} sites, {len(register.customers)} customers, "
        f"{len(register.procedures)} procedures, {len(register.providers)} providers, "
        f"{len(register.transmitters)} transmitters"
    )
    if not is_csv and '"cameras"' in text:  # checked above with the rest of the file
        from vigie.entrypoints.cli_video import camera_import

        camera_import(file, db)


def export_command(
    db: DbOption = None,
    format: Annotated[
        Format,
        typer.Option("--format", help="json (everything) or one CSV: sites, zones, contacts"),
    ] = Format.JSON,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="file (default: stdout)")
    ] = None,
) -> None:
    """Export the register. It holds the transmitters' AES keys: keep the file protected."""
    from vigie.services.register_csv import CsvKind, export_csv
    from vigie.services.register_io import register_to_json

    register = _store(db).load_all()
    if format is Format.JSON:
        text = register_to_json(register)
    else:
        text = export_csv(register, cast(CsvKind, format.value))
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    output.chmod(0o600)  # keys and hashes inside: owner only
    typer.echo(f"exported to {output} (contains transmitter keys: keep it protected)", err=True)
