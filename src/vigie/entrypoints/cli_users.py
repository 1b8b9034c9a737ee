"""``vigie user …``: create the station's users (the first administrator included), list
them, unlock them, change their password.

Passwords never go on the command line (shell history, ``ps``): a hidden prompt asked
twice, or ``--password-stdin`` for scripts. Hashes are never printed.
"""

from __future__ import annotations

import getpass
import socket
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer

from vigie.config import ConfigError, load_settings
from vigie.domain.errors import DomainError, InvalidValue
from vigie.domain.users import LANGUAGES, Role, User
from vigie.services.auth import Authenticator, check_password
from vigie.services.logbook import Actor

__all__ = ["user_app"]

user_app = typer.Typer(help="Users of the console: roles, CNAPS cards, passwords.")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="database URL (default: VIGIE_DATABASE_URL or sqlite:///var/vigie.db)"
    ),
]
PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="read the password from the first stdin line")
]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@contextmanager
def _authenticator(db: str | None) -> Iterator[Authenticator]:
    from vigie.adapters.clock import SystemClock
    from vigie.adapters.db.engine import make_engine
    from vigie.adapters.db.logbook_store import SqlLogbook
    from vigie.adapters.db.migrate import upgrade
    from vigie.bootstrap import build_authenticator
    from vigie.services.logbook import Logbook

    try:
        url = load_settings(**({"database_url": db} if db else {})).database_url
    except ConfigError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    engine = make_engine(url)
    try:
        upgrade(engine)
        clock = SystemClock()
        yield build_authenticator(engine, clock, Logbook(SqlLogbook(engine), clock))
    finally:
        engine.dispose()


def _by() -> Actor:
    """Who ran the command: the shell user, from this host."""
    return Actor(user=getpass.getuser(), role="cli", source=f"cli@{socket.gethostname()}")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        return check_password(password)
    except InvalidValue as exc:
        raise _fail(str(exc)) from None


def _expiry(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _fail(f"card_expiry: expected YYYY-MM-DD, got {text[:20]!r}") from None


@user_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="login, 2 to 64 characters")],
    role: Annotated[str, typer.Option("--role", help="operator, supervisor or admin")],
    card: Annotated[
        str, typer.Option("--card", help="CNAPS card number (CAR-069-2031-01-01-…)")
    ] = "",
    card_expiry: Annotated[str, typer.Option("--card-expiry", help="card expiry, YYYY-MM-DD")] = "",
    display_name: Annotated[str, typer.Option("--display-name", help="name shown")] = "",
    language: Annotated[str, typer.Option("--language", help="fr or en")] = "fr",
    password_stdin: PasswordStdin = False,
    db: DbOption = None,
) -> None:
    """Create a user. The first administrator is created this way."""
    try:
        role_value = Role(role)
    except ValueError:
        raise _fail(f"role: expected one of {', '.join(Role)}, got {role[:20]!r}") from None
    if card and not card_expiry:
        raise _fail("card_expiry: expected YYYY-MM-DD (--card-expiry) with --card")
    if language not in LANGUAGES:
        raise _fail(f"language: expected fr or en, got {language[:8]!r}")
    try:
        user = User(
            name=name,
            role=role_value,
            card_number=card,
            card_expiry=_expiry(card_expiry) if card_expiry else date.min,  # no card
            display_name=display_name,
            language=language,
        )
    except InvalidValue as exc:
        raise _fail(str(exc)) from None
    password = _password(password_stdin)
    with _authenticator(db) as auth:
        try:
            auth.add_user(user, password, by=_by())
        except DomainError as exc:
            raise _fail(str(exc)) from None
    if not user.can_take_alarms(date.today()) and role_value in (Role.OPERATOR, Role.SUPERVISOR):
        typer.echo(f"warning: {name}'s card has expired: they cannot take alarms", err=True)
    typer.echo(f"user {name} added ({role_value})")


@user_app.command("list")
def list_users(db: DbOption = None) -> None:
    """List the users with their card and state (never a password hash)."""
    from datetime import UTC, datetime

    with _authenticator(db) as auth:
        users = auth.users.all()
    now = datetime.now(UTC)
    typer.echo(f"{'NAME':<20} {'ROLE':<10} {'CARD':<32} {'EXPIRY':<10} {'LANG':<4} STATE")
    for u in users:
        state = "inactive" if not u.active else "locked" if u.is_locked(now) else "active"
        if u.active and u.role in (Role.OPERATOR, Role.SUPERVISOR) and not u.card_valid(now.date()):
            state += ", card expired"
        typer.echo(
            f"{u.name:<20} {u.role!s:<10} {u.card_number or '-':<32} "
            f"{u.card_expiry.isoformat() if u.card_number else '-':<10} {u.language:<4} {state}"
        )
    typer.echo(f"{len(users)} user(s)")


@user_app.command("unlock")
def unlock(name: str, db: DbOption = None) -> None:
    """Lift a lock-out (and reset the failure count) before it runs out."""
    with _authenticator(db) as auth:
        try:
            auth.unlock(name, by=_by())
        except DomainError as exc:
            raise _fail(str(exc)) from None
    typer.echo(f"user {name} unlocked")


@user_app.command("passwd")
def passwd(name: str, password_stdin: PasswordStdin = False, db: DbOption = None) -> None:
    """Set a new password; the user's open sessions are closed."""
    password = _password(password_stdin)
    with _authenticator(db) as auth:
        try:
            auth.set_password(name, password, by=_by())
        except DomainError as exc:
            raise _fail(str(exc)) from None
    typer.echo(f"password of {name} changed")
