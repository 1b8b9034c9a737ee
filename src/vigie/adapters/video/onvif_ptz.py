"""Steering a PTZ camera from the console: ONVIF PTZ through onvif-zeep-async.

Operators doing a "levée de doute" need to turn the camera towards the zone in alarm and jump
to recorded presets. ONVIF is what every brand speaks. Connection is lazy (first call), the
first media profile carrying a PTZ configuration is used, and every failure surfaces as a
``PtzError`` whose message an operator can read (French).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
from onvif import ONVIFCamera, ONVIFError
from zeep.exceptions import Error as ZeepError

from vigie.adapters.video.onvif_errors import onvif_reason

__all__ = ["OnvifPtz", "PtzError"]

logger = logging.getLogger(__name__)

PTZ_NAMESPACE = "http://www.onvif.org/ver20/ptz/wsdl"
_FAILURES = (ONVIFError, ZeepError, aiohttp.ClientError, TimeoutError, OSError, ValueError)


class PtzError(Exception):
    """A PTZ command failed; ``str(error)`` is the reason shown to the operator (French)."""


def _clamp(value: float) -> float:
    return max(-1.0, min(1.0, float(value)))


class OnvifPtz:
    """Async ONVIF PTZ client for one camera (pan/tilt/zoom in the generic -1..1 spaces)."""

    def __init__(
        self,
        host: str,
        port: int,
        username: str | None,
        password: str | None,
        *,
        timeout: float = 10.0,
        adjust_time: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self._username = username
        self._password = password
        self._timeout = timeout
        self._adjust_time = adjust_time
        self._camera: Any = None
        self._ptz: Any = None
        self._profile = ""
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:  # never shows the password
        return f"OnvifPtz({self.host}:{self.port}, user={self._username!r})"

    async def move(self, pan: float, tilt: float, zoom: float) -> None:
        """Continuous move at the given speeds (-1..1); ``stop()`` ends it."""
        await self._call(
            "déplacer la caméra",
            "ContinuousMove",
            {
                "Velocity": {
                    "PanTilt": {"x": _clamp(pan), "y": _clamp(tilt)},
                    "Zoom": {"x": _clamp(zoom)},
                }
            },
        )

    async def stop(self) -> None:
        await self._call("arrêter la caméra", "Stop", {"PanTilt": True, "Zoom": True})

    async def presets(self) -> list[tuple[str, str]]:
        """(token, name) of every preset recorded in the camera."""
        result = await self._call("lire les préréglages", "GetPresets", {})
        return [(str(p.token), str(p.Name or p.token)) for p in result or []]

    async def goto_preset(self, token: str) -> None:
        await self._call("aller au préréglage", "GotoPreset", {"PresetToken": token})

    async def set_preset(self, name: str) -> str:
        """Record the current position as a preset named ``name``; returns its token."""
        token = await self._call("enregistrer le préréglage", "SetPreset", {"PresetName": name})
        return str(token)

    async def remove_preset(self, token: str) -> None:
        await self._call("supprimer le préréglage", "RemovePreset", {"PresetToken": token})

    async def home(self) -> None:
        await self._call("revenir en position initiale", "GotoHomePosition", {})

    async def status(self) -> tuple[float, float, float]:
        """Current (pan, tilt, zoom)."""
        result = await self._call("lire la position", "GetStatus", {})
        position = getattr(result, "Position", None)
        if position is None:
            raise PtzError("La caméra n'indique pas sa position.")
        pan_tilt, zoom = position.PanTilt, position.Zoom
        return (
            float(pan_tilt.x) if pan_tilt is not None else 0.0,
            float(pan_tilt.y) if pan_tilt is not None else 0.0,
            float(zoom.x) if zoom is not None else 0.0,
        )

    async def close(self) -> None:
        camera, self._camera, self._ptz = self._camera, None, None
        if camera is not None:
            try:
                await camera.close()
            except _FAILURES as exc:
                logger.debug("closing ONVIF session to %s:%s: %s", self.host, self.port, exc)

    # -- internals ---------------------------------------------------------------------------

    async def _call(self, action: str, operation: str, params: dict[str, Any]) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                ptz = await self._connect()
                return await getattr(ptz, operation)({"ProfileToken": self._profile, **params})
        except PtzError:
            raise
        except _FAILURES as exc:
            logger.warning("ONVIF PTZ %s on %s:%s failed: %s", operation, self.host, self.port, exc)
            raise PtzError(f"Impossible de {action} : {_reason(exc)}") from exc

    async def _connect(self) -> Any:
        async with self._lock:
            if self._ptz is not None:
                return self._ptz
            camera = ONVIFCamera(
                self.host,
                self.port,
                self._username or "",  # the client always signs: None would crash it
                self._password or "",
                adjust_time=self._adjust_time,
            )
            try:
                await camera.update_xaddrs()
                if PTZ_NAMESPACE not in camera.xaddrs:
                    raise PtzError("Cette caméra n'a pas de tourelle (PTZ) pilotable.")
                media = await camera.create_media_service()
                profiles = await media.GetProfiles()
                profile = next(
                    (p for p in profiles or [] if getattr(p, "PTZConfiguration", None)), None
                )
                if profile is None:
                    raise PtzError("Aucun profil vidéo de cette caméra ne permet le PTZ.")
                ptz = await camera.create_ptz_service()
            except BaseException:
                await camera.close()
                raise
            self._camera, self._ptz, self._profile = camera, ptz, str(profile.token)
            logger.info(
                "ONVIF PTZ ready on %s:%s (profile %s)", self.host, self.port, self._profile
            )
            return ptz


def _reason(exc: BaseException) -> str:
    return onvif_reason(
        exc, [(("NoToken", "preset"), "préréglage inconnu.")],
        "commande non prise en charge par la caméra.",
    )  # fmt: skip
