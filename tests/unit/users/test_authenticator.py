"""``Authenticator`` over in-memory stores: refusals, lock-out, sessions, the logbook."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import FakeClock
from tests.unit.logbook.fakes import MemoryLogbookStore
from tests.unit.users.fakes import MemorySessions, MemoryUsers
from vigie.domain.errors import InvalidValue
from vigie.domain.logbook import LogKind
from vigie.domain.users import Role, User
from vigie.services.auth import (
    GENERIC_REFUSAL,
    Argon2Hasher,
    Authenticator,
    SessionPolicy,
    SignInRefused,
    UserExists,
    token_id,
)
from vigie.services.logbook import Logbook

PASSWORD = "un mot de passe solide"
FROM = "192.0.2.7"


@pytest.fixture
def logbook(clock: FakeClock) -> Logbook:
    return Logbook(MemoryLogbookStore(), clock)


@pytest.fixture
def auth(clock: FakeClock, logbook: Logbook) -> Authenticator:
    auth = Authenticator(
        MemoryUsers(), MemorySessions(), clock, Argon2Hasher.cheap(), logbook=logbook
    )
    auth.add_user(
        User("jdupont", Role.OPERATOR, "CAR-069-1", date(2031, 1, 1), display_name="J. Dupont"),
        PASSWORD,
    )
    return auth


def access(logbook: Logbook) -> list[tuple[str, str, str]]:
    return [
        (e.author, str(e.data.get("event")), e.source)
        for e in logbook.search(kind=LogKind.ACCESS, limit=1000)
    ]


def test_the_same_words_for_an_unknown_login_and_a_wrong_password(auth: Authenticator) -> None:
    for name, password in (("nobody", PASSWORD), ("jdupont", "mauvais mot de passe")):
        with pytest.raises(SignInRefused) as refused:
            auth.sign_in(name, password, FROM)
        assert str(refused.value) == GENERIC_REFUSAL == "identifiant ou mot de passe incorrect"
        assert refused.value.locked_until is None


def test_a_session_and_its_cookie_token(
    auth: Authenticator, clock: FakeClock, logbook: Logbook
) -> None:
    session = auth.sign_in("jdupont", PASSWORD, FROM, "Firefox")
    assert session.token and session.id == token_id(session.token) != session.token
    assert session.csrf_token and session.source == FROM
    found = auth.session_user(session.token)
    assert found is not None and found[0].name == "jdupont"
    assert auth.session_user("forged") is None
    assert auth.session_user(session.id) is None  # the stored hash is not a token
    assert access(logbook)[-1] == ("jdupont", "sign_in", FROM)


def test_five_wrong_passwords_lock_and_the_sixth_right_one_is_refused(
    auth: Authenticator, clock: FakeClock, logbook: Logbook
) -> None:
    earlier = auth.sign_in("jdupont", PASSWORD, FROM)  # another workstation
    for attempt in range(1, 5):
        with pytest.raises(SignInRefused, match=GENERIC_REFUSAL):
            auth.sign_in("jdupont", f"wrong {attempt}", FROM)
    with pytest.raises(SignInRefused) as fifth:
        auth.sign_in("jdupont", "wrong 5", FROM)
    # 12:00 UTC on 28 Nov is 13:00 in Paris; locked for 15 min
    assert str(fifth.value) == "compte verrouillé jusqu'à 13:15"
    assert auth.session_user(earlier.token) is None  # the lock revoked it
    with pytest.raises(SignInRefused, match="compte verrouillé jusqu'à 13:15"):
        auth.sign_in("jdupont", PASSWORD, FROM)
    clock.advance(15 * 60)
    assert auth.sign_in("jdupont", PASSWORD, FROM).token
    events = [event for _, event, _ in access(logbook)]
    assert events.count("lock") == 1
    lock = next(e for e in logbook.search(kind=LogKind.ACCESS) if e.data.get("event") == "lock")
    assert "verrouillé jusqu'à 13:15" in lock.text and lock.card_number == "CAR-069-1"


def test_success_resets_the_failures(auth: Authenticator) -> None:
    for _ in range(4):
        with pytest.raises(SignInRefused):
            auth.sign_in("jdupont", "wrong password", FROM)
    auth.sign_in("jdupont", PASSWORD, FROM)
    user = auth.users.get("jdupont")
    assert user is not None and user.failed_logins == 0


def test_sessions_slide_but_end_with_the_shift(clock: FakeClock, logbook: Logbook) -> None:
    policy = SessionPolicy(
        idle=timedelta(hours=1), absolute=timedelta(hours=3), touch_every=timedelta(0)
    )
    auth = Authenticator(
        MemoryUsers(), MemorySessions(), clock, Argon2Hasher.cheap(), session_policy=policy
    )
    auth.add_user(User("jdupont", Role.OPERATOR, "CAR-1", date(2031, 1, 1)), PASSWORD)
    token = auth.sign_in("jdupont", PASSWORD, FROM).token
    for _ in range(3):  # in use every 50 minutes, past the 1-hour idle limit: it slides
        clock.advance(50 * 60)
        assert auth.session_user(token) is not None
    clock.advance(50 * 60)  # 3 h 20 after sign-in: the shift is over
    assert auth.session_user(token) is None
    idle = auth.sign_in("jdupont", PASSWORD, FROM).token
    clock.advance(3600)
    assert auth.session_user(idle) is None


def test_sign_out_revokes_and_is_logged(auth: Authenticator, logbook: Logbook) -> None:
    token = auth.sign_in("jdupont", PASSWORD, FROM).token
    assert auth.sign_out(token, FROM) is True
    assert auth.session_user(token) is None
    assert auth.sign_out(token, FROM) is False
    assert access(logbook)[-1] == ("jdupont", "sign_out", FROM)


def test_password_change_closes_sessions_and_policy_applies(auth: Authenticator) -> None:
    token = auth.sign_in("jdupont", PASSWORD, FROM).token
    with pytest.raises(InvalidValue, match="password: expected at least 10 characters"):
        auth.set_password("jdupont", "court")
    auth.set_password("jdupont", "un autre mot de passe")
    assert auth.session_user(token) is None
    with pytest.raises(SignInRefused):
        auth.sign_in("jdupont", PASSWORD, FROM)
    assert auth.sign_in("jdupont", "un autre mot de passe", FROM).token


def test_a_name_is_taken_once(auth: Authenticator) -> None:
    with pytest.raises(UserExists):
        auth.add_user(User("jdupont", Role.ADMIN, "", date.min), PASSWORD)


def test_the_hasher_is_argon2id() -> None:
    hasher = Argon2Hasher.cheap()
    stored = hasher.hash(PASSWORD)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert hasher.verify(stored, PASSWORD) and not hasher.verify(stored, "autre chose")
    assert not hasher.verify("not a hash", PASSWORD)
