"""Sign in through the real form, as a browser does, from any httpx client
(FastAPI's TestClient included)."""

from __future__ import annotations

import re

import httpx

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


def login_form_token(client: httpx.Client) -> str:
    page = client.get("/login")
    assert page.status_code == 200, page.text
    found = _CSRF_FIELD.search(page.text)
    assert found is not None, page.text
    return found.group(1)


def sign_in(client: httpx.Client, name: str, password: str) -> str:
    """Sign ``client`` in; it then sends the session's CSRF token on every request."""
    answer = client.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": login_form_token(client)},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    me = client.get("/api/v1/me")
    assert me.status_code == 200, me.text
    token = str(me.json()["csrf_token"])
    client.headers["X-CSRF-Token"] = token
    return token
