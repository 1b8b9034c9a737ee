"""What went wrong talking ONVIF to a camera, said for an operator (PTZ and events)."""

from __future__ import annotations

from collections.abc import Sequence

import aiohttp

__all__ = ["onvif_reason"]


def onvif_reason(
    exc: BaseException, specific: Sequence[tuple[Sequence[str], str]], unsupported: str
) -> str:
    """The reason in French: credentials, time-out, unreachable, then the first of
    ``specific`` (fragments of the error's text, reason) that matches, then ``unsupported``
    for an action the camera does not offer; else the error's own text (200 characters)."""
    text = str(exc)
    if "not Authorized" in text or "NotAuthorized" in text or "401" in text:
        return "identifiants refusés par la caméra."
    if isinstance(exc, TimeoutError):
        return "la caméra ne répond pas (délai dépassé)."
    if isinstance(exc, aiohttp.ClientError | OSError):
        return "caméra injoignable."
    lowered = text.lower()
    for fragments, reason in specific:
        if any(f in text or f.lower() in lowered for f in fragments):
            return reason
    if "ActionNotSupported" in text or "not supported" in text:
        return unsupported
    return (text or type(exc).__name__)[:200]
