"""The ``vigie`` command line (Typer)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from vigie.config import ConfigError, Settings, load_settings
from vigie.domain.errors import DomainError
from vigie.domain.transmitters import Transmitter
from vigie.entrypoints.cli_logbook import logbook_app
from vigie.entrypoints.cli_register import export_command, import_command
from vigie.entrypoints.cli_users import user_app
from vigie.entrypoints.cli_video import camera_app, video_app
from vigie.protocols.dc09 import Dc09Key

__all__ = ["app"]

app = typer.Typer(help="Vigie: monitoring-centre platform.", no_args_is_help=True)
transmitter_app = typer.Typer(help="Configure the transmitters (panels) the receiver knows.")
simulate_app = typer.Typer(help="Simulate equipment for tests and demonstrations.")
db_app = typer.Typer(help="Database schema.")
app.add_typer(transmitter_app, name="transmitter")
app.add_typer(simulate_app, name="simulate")
app.add_typer(db_app, name="db")
app.add_typer(logbook_app, name="logbook")
app.add_typer(user_app, name="user")
app.add_typer(camera_app, name="camera")
app.add_typer(video_app, name="video")
app.command("import")(import_command)
app.command("export")(export_command)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="database URL (default: VIGIE_DATABASE_URL or sqlite:///var/vigie.db)"
    ),
]


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.command()
def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="address to bind (default 0.0.0.0)")] = None,
    dc09_port: Annotated[
        int | None, typer.Option("--dc09-port", help="DC-09 port, TCP and UDP (default 12000)")
    ] = None,
    http_port: Annotated[
        int | None, typer.Option("--http-port", help="HTTP API port (default 8000)")
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Run the DC-09 receiver and the HTTP API."""
    from vigie.bootstrap import build_station, run_station

    settings = _settings(database_url=db, host=host, dc09_port=dc09_port, http_port=http_port)
    _logging(verbose)

    def ready(station: object) -> None:
        shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        typer.echo(
            f"Vigie is receiving DC-09 on {settings.host}:{settings.dc09_port} (TCP+UDP); "
            f"API on http://{shown}:{settings.http_port}/",
            err=True,
        )

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how a station is stopped
        asyncio.run(run_station(build_station(settings), ready=ready))


@app.command()
def demo(
    db: Annotated[str, typer.Option("--db", help="database URL")] = "sqlite:///var/demo.db",
    dc09_port: Annotated[int, typer.Option("--dc09-port")] = 12000,
    http_port: Annotated[int, typer.Option("--http-port")] = 8000,
    period: Annotated[float, typer.Option(help="mean seconds between a panel's messages")] = 8.0,
    register_file: Annotated[
        Path, typer.Option("--register", help="register loaded into an empty database")
    ] = Path("examples/register.json"),
) -> None:
    """Run a demonstration station: SQLite, the example register, simulated panels."""
    import threading

    from vigie.adapters.db.migrate import upgrade
    from vigie.bootstrap import Station, build_station, run_station
    from vigie.entrypoints.demo import (
        create_demo_users,
        demo_panels,
        demo_password,
        load_example_register,
        run_demo_panels,
    )

    settings = _settings(
        database_url=db,
        host="127.0.0.1",
        dc09_port=dc09_port,
        http_port=http_port,
        video_root=Path("var/demo-video"),
    )
    _logging(False)
    station = build_station(settings)
    upgrade(station.engine)
    if load_example_register(station.register, register_file):
        typer.echo(f"example register loaded from {register_file}", err=True)
    panels = demo_panels(station.register)
    cameras = None
    if station.video is not None:
        from vigie.entrypoints.demo import load_example_cameras
        from vigie.entrypoints.demo_video import start_demo_cameras

        load_example_cameras(station.video.cameras, register_file)
        cameras = start_demo_cameras(station.video.cameras)
    users = create_demo_users(station.auth)
    accounts = "".join(
        f"  {'Sign in as' if not i else '          '}    : {u.name} / {demo_password(u)} "
        f"({u.role})\n"
        for i, u in enumerate(users)
    )
    stop = threading.Event()

    def ready(running: Station) -> None:
        run_demo_panels("127.0.0.1", running.receiver.port, panels, stop, period=period)
        typer.echo(
            "\nVigie demo is running.\n"
            f"  Console / API : http://127.0.0.1:{settings.http_port}/\n"
            f"  Incidents     : http://127.0.0.1:{settings.http_port}/api/v1/incidents\n"
            f"  Signals       : http://127.0.0.1:{settings.http_port}/api/v1/signals\n"
            f"  Main courante : http://127.0.0.1:{settings.http_port}/api/v1/logbook\n"
            f"  DC-09 receiver: 127.0.0.1:{running.receiver.port} (TCP and UDP), "
            f"{len(panels)} simulated panels\n"
            f"  Video wall    : http://127.0.0.1:{settings.http_port}/console/video "
            f"({len(cameras.urls) if cameras else 0} synthetic cameras)\n"
            f"{accounts}"
            "  Stop with Ctrl-C.\n"
        )

    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(run_station(station, ready=ready))
    finally:
        stop.set()
        if cameras is not None:
            cameras.close()


@db_app.command("upgrade")
def db_upgrade(db: DbOption = None) -> None:
    """Bring the database schema to the latest version."""
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.migrate import upgrade

    settings = _settings(database_url=db)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    typer.echo("database is up to date")


def _repository(db: str | None):  # type: ignore[no-untyped-def]
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.migrate import upgrade
    from vigie.adapters.db.transmitter_repository import SqlTransmitterRepository

    engine = make_engine(_settings(database_url=db).database_url)
    upgrade(engine)
    return SqlTransmitterRepository(engine)


def _key(key_hex: str | None, key_text: str | None) -> Dc09Key | None:
    """The AES key as the operator typed it, checked by the codec's own rules."""
    if key_hex and key_text:
        raise _fail("give --key-hex or --key-text, not both")
    try:
        if key_hex:
            return Dc09Key.from_hex(key_hex)
        if key_text:
            return Dc09Key.from_text(key_text)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    return None


@transmitter_app.command("add")
def transmitter_add(
    account: Annotated[str, typer.Argument(help="account number as the panel sends it")],
    receiver: Annotated[str | None, typer.Option("--receiver", help="receiver number (R)")] = None,
    prefix: Annotated[
        str | None, typer.Option("--prefix", help="account prefix / line (L)")
    ] = None,
    key_hex: Annotated[
        str | None, typer.Option("--key-hex", help="AES key as 32, 48 or 64 hex digits")
    ] = None,
    key_text: Annotated[
        str | None, typer.Option("--key-text", help="AES key as 16, 24 or 32 ASCII characters")
    ] = None,
    ignore_timestamp: Annotated[
        bool, typer.Option("--ignore-timestamp", help="plaintext only: accept any panel time")
    ] = False,
    label: Annotated[str, typer.Option(help="free label")] = "",
    db: DbOption = None,
) -> None:
    """Declare a transmitter (its key is stored, never printed)."""
    try:
        key = _key(key_hex, key_text)
        transmitter = Transmitter(
            account=account,
            receiver=receiver,
            prefix=prefix,
            key=key.key if key else None,
            key_notation=key.notation if key else None,
            ignore_timestamp=ignore_timestamp,
            label=label,
        )
        _repository(db).add(transmitter)
    except DomainError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"transmitter {account} added (key: {transmitter.describe_key()})")


@transmitter_app.command("list")
def transmitter_list(db: DbOption = None) -> None:
    """List the transmitters (keys are shown as their size and notation only)."""
    rows = _repository(db).all()
    typer.echo(f"{'ACCOUNT':<16} {'RCVR':<6} {'PREFIX':<6} {'KEY':<18} {'TIMESTAMP':<9} LABEL")
    for t in rows:
        typer.echo(
            f"{t.account:<16} {t.receiver or '*':<6} {t.prefix or '*':<6} "
            f"{t.describe_key():<18} "
            f"{'ignored' if t.ignore_timestamp else 'checked':<9} {t.label}"
        )
    typer.echo(f"{len(rows)} transmitter(s)")


@transmitter_app.command("remove")
def transmitter_remove(
    account: str,
    receiver: Annotated[str | None, typer.Option("--receiver")] = None,
    prefix: Annotated[str | None, typer.Option("--prefix")] = None,
    db: DbOption = None,
) -> None:
    """Remove a transmitter."""
    if not _repository(db).remove(account, receiver, prefix):
        raise _fail(f"no transmitter {account} with that receiver and prefix")
    typer.echo(f"transmitter {account} removed")


class Protocol(StrEnum):
    SIA_DCS = "SIA-DCS"
    ADM_CID = "ADM-CID"


@simulate_app.command("panel")
def simulate_panel(
    account: Annotated[str, typer.Option("--account", help="account the panel reports as")],
    event: Annotated[
        str | None, typer.Option("--event", help="SIA code (BA) or Contact ID code (130)")
    ] = None,
    zone: Annotated[str | None, typer.Option("--zone", help="zone or user number")] = None,
    area: Annotated[str | None, typer.Option("--area", help="partition")] = None,
    qualifier: Annotated[
        str, typer.Option("--qualifier", help="Contact ID: 1 new, 3 restore, 6 status")
    ] = "1",
    protocol: Annotated[Protocol, typer.Option("--protocol")] = Protocol.SIA_DCS,
    key_hex: Annotated[str | None, typer.Option("--key-hex", help="AES key in hex")] = None,
    key_text: Annotated[str | None, typer.Option("--key-text", help="AES key as text")] = None,
    tcp: Annotated[bool, typer.Option("--tcp/--udp", help="transport")] = True,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 12000,
    prefix: Annotated[str, typer.Option("--prefix")] = "0",
    receiver: Annotated[str | None, typer.Option("--receiver")] = None,
    poll: Annotated[
        float | None, typer.Option("--poll", help="then send a NULL test frame every N seconds")
    ] = None,
) -> None:
    """Send like a real panel and print the reply."""
    from vigie.entrypoints.simulator import PanelSimulator, cid_body, sia_body

    key = _key(key_hex, key_text)
    panel = PanelSimulator(
        host, port, account, key=key, udp=not tcp, prefix=prefix, receiver=receiver
    )
    if event is None and poll is None:
        raise _fail("give --event CODE, --poll SECONDS or both")
    try:
        if event is not None:
            if protocol is Protocol.SIA_DCS:
                body = sia_body(account, event, zone, area)
            else:
                body = cid_body(account, event, zone, area, qualifier)
            _exchange(panel, protocol.value, body)
        while poll is not None:
            time.sleep(poll)
            _exchange(panel, "NULL", "")
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise _fail(f"no answer from {host}:{port}: {exc}") from None
    finally:
        panel.close()


def _exchange(panel: object, token: str, body: str) -> None:
    from vigie.entrypoints.simulator import PanelSimulator

    assert isinstance(panel, PanelSimulator)
    frame = panel.frame(token, body, datetime.now(UTC))
    typer.echo(f"-> {frame!r}")
    raw, reply = panel.send(frame)
    kind = reply.kind if reply is not None else "unreadable reply"
    typer.echo(f"<- {kind} {raw!r}")


if __name__ == "__main__":
    app()
