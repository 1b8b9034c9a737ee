"""Relay tokens: one node vouches for its signed-in user to the node that runs a camera.

On scale-out a live view (``live.mjpg``, ``snapshot.jpg``) asked of a process that does not
run the camera is relayed to the process that does. The relayed request carries no session
cookie; it carries ``X-Vigie-Relay: <token>``, a short-lived statement "user U (role R,
card K) may see camera C until E", signed with a key every node of the station shares.
The holder accepts it only on those two routes, only for the camera it names and only
until it expires (``TOKEN_SECONDS``, 30 s: enough to open a stream, too short to be worth
stealing). The user's node has already checked the session and the right to view, and
logs the viewing; the holder logs nothing, so a viewing is logged once.

Format: ``v1.<payload>.<mac>``, both base64url without padding; the payload is compact
JSON ``{"u": user, "r": role, "k": card, "c": camera, "e": expiry in Unix seconds}``;
``mac = HMAC-SHA256(key, "v1." + payload)``. The key is derived from the station's
``VIGIE_SECRET_KEY`` (``relay_key``) under a label of its own, so the Fernet key sealing
the camera credentials never signs anything itself. Pure: time comes in as an argument.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from vigie.domain.users import Role

__all__ = [
    "MAX_TOKEN_LENGTH",
    "RELAY_HEADER",
    "TOKEN_SECONDS",
    "RelayClaim",
    "RelayTokenError",
    "relay_key",
    "sign_relay_token",
    "verify_relay_token",
]

RELAY_HEADER = "X-Vigie-Relay"
TOKEN_SECONDS = 30
SKEW_SECONDS = 5  # clocks of the nodes may differ by this much (they run NTP)
MAX_TOKEN_LENGTH = 1024
_VERSION = "v1"
_LABEL = b"vigie relay token v1"


class RelayTokenError(Exception):
    """The token is refused; the message says why (without echoing the token)."""


@dataclass(frozen=True, slots=True)
class RelayClaim:
    user: str
    role: Role
    card: str
    camera_id: str
    expires: datetime


def relay_key(secret: bytes) -> bytes:
    """The signing key derived from the station's shared secret (``VIGIE_SECRET_KEY``)."""
    if not secret:
        raise ValueError("an empty secret cannot sign relay tokens")
    return hmac.new(secret, _LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, signed: str) -> bytes:
    return hmac.new(key, signed.encode("ascii"), hashlib.sha256).digest()


def sign_relay_token(
    key: bytes,
    *,
    user: str,
    role: Role,
    card: str,
    camera_id: str,
    now: datetime,
    seconds: int = TOKEN_SECONDS,
) -> str:
    """A token for ``user`` to see ``camera_id`` until ``now + seconds``."""
    if not 1 <= seconds <= TOKEN_SECONDS:
        raise ValueError(f"a token lives 1 to {TOKEN_SECONDS} seconds")
    expires = int(now.timestamp()) + seconds
    body = {"u": user, "r": role.value, "k": card, "c": camera_id, "e": expires}
    payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    signed = f"{_VERSION}.{payload}"
    return f"{signed}.{_b64(_mac(key, signed))}"


def verify_relay_token(key: bytes, token: str, camera_id: str, now: datetime) -> RelayClaim:
    """The claim of a valid token for ``camera_id`` at ``now``; ``RelayTokenError`` else."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise RelayTokenError("relay token too long")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != _VERSION:
        raise RelayTokenError("malformed relay token")
    try:
        mac = _unb64(parts[2])
        payload = _unb64(parts[1])
    except (binascii.Error, ValueError):
        raise RelayTokenError("malformed relay token") from None
    if not hmac.compare_digest(mac, _mac(key, f"{parts[0]}.{parts[1]}")):
        raise RelayTokenError("relay token signature invalid (not signed with this station's key)")
    try:
        body = json.loads(payload.decode("utf-8"))
        user, role, card = body["u"], Role(body["r"]), body["k"]
        camera, expires = body["c"], body["e"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise RelayTokenError("malformed relay token payload") from None
    if not (isinstance(user, str) and user and isinstance(card, str) and isinstance(camera, str)):
        raise RelayTokenError("malformed relay token payload")
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise RelayTokenError("malformed relay token payload")
    if camera != camera_id:
        raise RelayTokenError("relay token issued for another camera")
    at = now.timestamp()
    if expires <= at:
        raise RelayTokenError("relay token expired")
    if expires > at + TOKEN_SECONDS + SKEW_SECONDS:
        raise RelayTokenError("relay token lives too long (clocks out of step?)")
    return RelayClaim(user, role, card, camera, datetime.fromtimestamp(expires, UTC))
