"""ONVIF: Vigie's PTZ client steers the simulated camera; the camera's events can be pulled."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator

import pytest
from onvif import ONVIFCamera

from tests.support.cameras import onvif_simulator
from vigie.adapters.video.onvif_ptz import OnvifPtz, PtzError
from vigie.adapters.video.synthetic.onvif_sim import OnvifSimulator

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

USER, PASSWORD = "operateur", "m0t-de-passe"


@pytest.fixture
def camera() -> Iterator[OnvifSimulator]:
    with onvif_simulator(
        username=USER, password=PASSWORD, rtsp_url="rtsp://127.0.0.1:8554/cam1"
    ) as simulator:
        yield simulator


def client(camera: OnvifSimulator, password: str = PASSWORD) -> OnvifPtz:
    return OnvifPtz("127.0.0.1", camera.port, USER, password, timeout=10.0)


def test_move_stop_and_status(camera: OnvifSimulator) -> None:
    async def scenario() -> tuple[tuple[float, float, float], tuple[float, float, float]]:
        ptz = client(camera)
        try:
            await ptz.move(0.5, -0.5, 0.2)
            await asyncio.sleep(0.4)
            await ptz.stop()
            stopped = await ptz.status()
            await asyncio.sleep(0.3)
            return stopped, await ptz.status()
        finally:
            await ptz.close()

    stopped, later = asyncio.run(scenario())
    pan, tilt, zoom = stopped
    assert pan > 0.1 and tilt < -0.1 and zoom > 0.02
    assert later == pytest.approx(stopped, abs=1e-3), "the camera must not drift after Stop"
    assert camera.position() == pytest.approx(stopped, abs=1e-3)


def test_presets_are_recorded_listed_and_reached(camera: OnvifSimulator) -> None:
    async def scenario() -> tuple[str, list[tuple[str, str]], tuple[float, float, float]]:
        ptz = client(camera)
        try:
            await ptz.move(-1.0, 0.5, 0.0)
            await asyncio.sleep(0.3)
            await ptz.stop()
            entrance = await ptz.status()
            token = await ptz.set_preset("Entrée parking")
            await ptz.home()
            assert await ptz.status() == pytest.approx((0.0, 0.0, 0.0))
            listed = await ptz.presets()
            await ptz.goto_preset(token)
            reached = await ptz.status()
            assert reached == pytest.approx(entrance, abs=1e-3)
            return token, listed, reached
        finally:
            await ptz.close()

    token, listed, reached = asyncio.run(scenario())
    assert listed == [(token, "Entrée parking")]
    assert reached[0] < -0.1


def test_unknown_preset_is_a_readable_error(camera: OnvifSimulator) -> None:
    async def scenario() -> None:
        ptz = client(camera)
        try:
            await ptz.goto_preset("nope")
        finally:
            await ptz.close()

    with pytest.raises(PtzError, match="préréglage"):
        asyncio.run(scenario())


def test_wrong_password_is_refused(camera: OnvifSimulator) -> None:
    async def scenario() -> None:
        ptz = client(camera, password="faux")
        try:
            await ptz.status()
        finally:
            await ptz.close()

    with pytest.raises(PtzError, match="identifiants"):
        asyncio.run(scenario())
    assert camera.position() == (0.0, 0.0, 0.0)


def test_camera_without_ptz_says_so() -> None:
    async def scenario(port: int) -> None:
        ptz = OnvifPtz("127.0.0.1", port, None, None)
        try:
            await ptz.move(0.1, 0.0, 0.0)
        finally:
            await ptz.close()

    with onvif_simulator(ptz=False) as fixed, pytest.raises(PtzError, match="PTZ"):
        asyncio.run(scenario(fixed.port))


def test_stream_uri_and_motion_event_pulled(camera: OnvifSimulator) -> None:
    async def scenario() -> tuple[str, list[tuple[str, str, str]]]:
        device = ONVIFCamera("127.0.0.1", camera.port, USER, PASSWORD, adjust_time=True)
        try:
            await device.update_xaddrs()
            media = await device.create_media_service()
            profile = (await media.GetProfiles())[0]
            uri = await media.GetStreamUri(
                {
                    "ProfileToken": profile.token,
                    "StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
                }
            )
            manager = await device.create_pullpoint_manager(dt.timedelta(seconds=60), lambda: None)
            try:
                pull = manager.get_service()
                camera.push_event("tns1:VideoSource/MotionAlarm", "VideoSource_1", True)
                result = await pull.PullMessages(
                    {"MessageLimit": 10, "Timeout": dt.timedelta(seconds=2)}
                )
                events = [
                    (
                        str(m.Topic._value_1),
                        str(m.Message._value_1.Source.SimpleItem[0].Value),
                        str(m.Message._value_1.Data.SimpleItem[0].Value),
                    )
                    for m in result.NotificationMessage
                ]
                empty = await pull.PullMessages(
                    {"MessageLimit": 10, "Timeout": dt.timedelta(seconds=1)}
                )
                assert not empty.NotificationMessage
            finally:
                await manager.shutdown()
            return str(uri.Uri), events
        finally:
            await device.close()

    uri, events = asyncio.run(scenario())
    assert uri == "rtsp://127.0.0.1:8554/cam1"
    assert events == [("tns1:VideoSource/MotionAlarm", "VideoSource_1", "true")]
    assert "Unsubscribe" in camera.requests
