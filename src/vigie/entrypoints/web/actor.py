"""Who is acting, from the request.

Until the console's sign-in lands, the caller names itself with ``X-Vigie-User``,
``X-Vigie-Role`` and ``X-Vigie-Card``; the source address is the client's. Sessions will
replace the headers behind this same dependency.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from vigie.services.logbook import Actor

__all__ = ["CurrentActor", "current_actor"]


def current_actor(
    request: Request,
    user: Annotated[str, Header(alias="X-Vigie-User", max_length=128)] = "anonymous",
    role: Annotated[str, Header(alias="X-Vigie-Role", max_length=64)] = "anonymous",
    card: Annotated[str, Header(alias="X-Vigie-Card", max_length=64)] = "",
) -> Actor:
    source = request.client.host if request.client else ""
    return Actor(
        user=user.strip() or "anonymous", role=role or "anonymous", card_number=card, source=source
    )


CurrentActor = Annotated[Actor, Depends(current_actor)]
