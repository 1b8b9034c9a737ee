"""The user's rules: names, cards, the permission table, lock-out. No I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from vigie.domain.errors import InvalidValue
from vigie.domain.users import PERMISSIONS, LockoutPolicy, Role, User

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CARD = "CAR-069-2031-01-01-20190000001"


def operator(**changes: object) -> User:
    fields: dict[str, object] = {
        "name": "jdupont",
        "role": Role.OPERATOR,
        "card_number": CARD,
        "card_expiry": date(2031, 1, 1),
    }
    fields.update(changes)
    return User(**fields)  # type: ignore[arg-type]


def fail(user: User, times: int, at: datetime = NOW, policy: LockoutPolicy | None = None) -> User:
    for _ in range(times):
        user = user.after_failure(at, policy or LockoutPolicy())
    return user


# -- the record -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "x"}, "name"),
        ({"name": "a" * 65}, "name"),
        ({"name": "jean dupont"}, "name"),
        ({"role": "janitor"}, "role"),
        ({"card_number": "  "}, "card"),
        ({"card_number": "CAR\n1"}, "card"),
        ({"language": "de"}, "language"),
    ],
)
def test_bad_values_name_their_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        operator(**changes)
    assert refused.value.field == field


def test_role_text_is_accepted_and_the_hash_never_shows() -> None:
    user = operator(role="supervisor", password_hash="$argon2id$secret")
    assert user.role is Role.SUPERVISOR
    assert "argon2" not in repr(user) and "secret" not in repr(user)


def test_an_admin_may_have_no_card_but_then_takes_no_alarms() -> None:
    admin = User(name="admin", role=Role.ADMIN, card_number="", card_expiry=date.min)
    assert admin.may("users.manage")
    assert not admin.can_take_alarms(date(2026, 11, 28))


# -- cards --------------------------------------------------------------------------------


def test_a_card_is_valid_through_its_expiry_day() -> None:
    user = operator(card_expiry=date(2026, 11, 28))
    assert user.can_take_alarms(date(2026, 11, 28))
    assert not user.can_take_alarms(date(2026, 11, 29))


@pytest.mark.parametrize("role", [Role.AGENT, Role.CUSTOMER])
def test_agents_and_customers_take_no_alarms(role: Role) -> None:
    assert not operator(role=role).can_take_alarms(date(2026, 11, 28))


def test_an_inactive_user_may_nothing() -> None:
    user = operator(active=False)
    assert not user.can_take_alarms(date(2026, 11, 28))
    assert not user.may("console.view")


# -- permissions --------------------------------------------------------------------------


def test_the_permission_table() -> None:
    op, sup = operator(), operator(role=Role.SUPERVISOR)
    admin = operator(role=Role.ADMIN)
    for user in (op, sup, admin):
        assert user.may("console.view") and user.may("queue.work") and user.may("logbook.write")
    assert not op.may("supervise") and sup.may("supervise") and admin.may("supervise")
    for user in (op, sup):
        assert not user.may("register.edit") and not user.may("users.manage")
    assert admin.may("register.edit") and admin.may("users.manage")
    for role in (Role.AGENT, Role.CUSTOMER):
        assert not operator(role=role).may("console.view")
    assert set(PERMISSIONS) == set(Role)
    assert not op.may("no.such.permission")


# -- lock-out -----------------------------------------------------------------------------


def test_five_failures_lock_for_fifteen_minutes() -> None:
    four = fail(operator(), 4)
    assert four.failed_logins == 4 and not four.is_locked(NOW)
    five = fail(four, 1)
    assert five.is_locked(NOW)
    assert five.locked_until == NOW + timedelta(minutes=15)
    assert five.is_locked(NOW + timedelta(minutes=14, seconds=59))
    assert not five.is_locked(NOW + timedelta(minutes=15))


def test_failures_while_locked_do_not_extend_the_lock() -> None:
    locked = fail(operator(), 5)
    again = fail(locked, 3, at=NOW + timedelta(minutes=5))
    assert again == locked


def test_after_the_lock_a_fresh_count_starts() -> None:
    locked = fail(operator(), 5)
    later = NOW + timedelta(minutes=16)
    one = fail(locked, 1, at=later)
    assert one.failed_logins == 1 and one.locked_until is None
    assert fail(one, 4, at=later).is_locked(later)


def test_success_resets_the_count() -> None:
    user = fail(operator(), 4).after_success()
    assert user.failed_logins == 0
    assert not fail(user, 4).is_locked(NOW)


def test_the_policy_is_configurable() -> None:
    policy = LockoutPolicy(max_failures=3, lock_for=timedelta(minutes=1))
    user = fail(operator(), 3, policy=policy)
    assert user.locked_until == NOW + timedelta(minutes=1)
    with pytest.raises(InvalidValue):
        LockoutPolicy(max_failures=0)


def test_unlock_clears_count_and_lock() -> None:
    user = fail(operator(), 5).unlocked()
    assert (user.failed_logins, user.locked_until) == (0, None)
