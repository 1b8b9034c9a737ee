"""Relay tokens: a node vouches for its user to the node running a camera, for 30 s,
for one camera, with the station's shared key; anything else is refused with a reason.
Also the advertised URL setting that tells the other nodes where to send the request."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vigie.config import ConfigError, load_settings
from vigie.domain.users import Role
from vigie.entrypoints.web.relay_token import (
    TOKEN_SECONDS,
    RelayTokenError,
    relay_key,
    sign_relay_token,
    verify_relay_token,
)

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
KEY = relay_key(b"the station's shared VIGIE_SECRET_KEY")
OTHER_KEY = relay_key(b"another station's key")


def _token(key: bytes = KEY, camera: str = "CAM-1", now: datetime = NOW, **kw: int) -> str:
    return sign_relay_token(
        key, user="alice", role=Role.OPERATOR, card="CAR-069-1", camera_id=camera, now=now, **kw
    )


def _refused(token: str, camera: str = "CAM-1", at: datetime = NOW) -> str:
    with pytest.raises(RelayTokenError) as caught:
        verify_relay_token(KEY, token, camera, at)
    return str(caught.value)


def test_a_fresh_token_names_the_user_and_the_camera() -> None:
    claim = verify_relay_token(KEY, _token(), "CAM-1", NOW + timedelta(seconds=29))
    assert (claim.user, claim.role, claim.card, claim.camera_id) == (
        "alice", Role.OPERATOR, "CAR-069-1", "CAM-1",
    )  # fmt: skip
    assert claim.expires == NOW + timedelta(seconds=TOKEN_SECONDS)


def test_it_expires_after_thirty_seconds() -> None:
    assert "expired" in _refused(_token(), at=NOW + timedelta(seconds=TOKEN_SECONDS))
    assert "expired" in _refused(_token(now=NOW - timedelta(minutes=5)))


def test_it_is_good_for_its_camera_only() -> None:
    assert "another camera" in _refused(_token(camera="CAM-2"), camera="CAM-1")


def test_another_key_or_a_changed_payload_is_a_forgery() -> None:
    assert "signature" in _refused(_token(key=OTHER_KEY))
    version, payload, mac = _token().split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["r"] = "admin"  # promote oneself
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert "signature" in _refused(f"{version}.{forged}.{mac}")


def test_a_token_living_longer_than_allowed_is_refused() -> None:
    # signed with the right key but dated a minute ahead: clocks out of step, or a reuse
    far = _token(now=NOW + timedelta(minutes=1))
    assert "too long" in _refused(far)
    with pytest.raises(ValueError, match="1 to 30 seconds"):
        _token(seconds=3600)


@pytest.mark.parametrize(
    "token", ["", "v1", "v1.x", "v2.a.b", "v1.!!!.???", "v1.e30.AAAA", "x" * 5000]
)
def test_malformed_tokens_are_refused_with_a_reason(token: str) -> None:
    assert "relay token" in _refused(token)


@given(st.text(max_size=300))
def test_no_input_gets_anything_but_a_refusal(token: str) -> None:
    with pytest.raises(RelayTokenError):
        verify_relay_token(KEY, token, "CAM-1", NOW)


def test_the_key_is_derived_never_the_secret_itself() -> None:
    assert relay_key(b"s") != b"s" and len(relay_key(b"s")) == 32
    with pytest.raises(ValueError):
        relay_key(b"")


def test_the_advertised_url_is_given_or_derived_from_a_single_bind_address() -> None:
    given_url = load_settings(advertise_url="http://10.0.0.12:8000/")
    assert given_url.advertised_url() == "http://10.0.0.12:8000"
    assert load_settings(host="10.0.0.7", http_port=8001).advertised_url() == (
        "http://10.0.0.7:8001"
    )
    assert load_settings(host="0.0.0.0").advertised_url() == ""  # which address? unknown
    assert load_settings(host="10.0.0.7", http_port=0).advertised_url() == ""
    assert load_settings(host="::1", http_port=80).advertised_url() == "http://[::1]:80"


@pytest.mark.parametrize("bad", ["10.0.0.12:8000", "ftp://h/", "http://", "http://h/?a=1"])
def test_a_bad_advertised_url_stops_the_start_naming_the_setting(bad: str) -> None:
    with pytest.raises(ConfigError, match=r"advertise_url \(VIGIE_ADVERTISE_URL\)"):
        load_settings(advertise_url=bad)
