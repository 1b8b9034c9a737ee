"""A camera's own ONVIF events through a PullPoint subscription, on loopback against the
simulated camera: motion raised and restored, the subscription renewed, re-created after
the camera dropped it, and the alarm written in the journal as the operator reads it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.cameras import onvif_simulator
from tests.unit.services.fakes import MemoryJournal
from vigie.adapters.video.onvif_events import OnvifEvents, OnvifEventSubscriber, PullPointTiming
from vigie.adapters.video.synthetic.onvif_sim import OnvifSimulator
from vigie.domain.video import Camera, VideoCode, VideoEvent, VideoSource
from vigie.services.video_signals import VideoSignals

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

USER, PASSWORD = "operateur", "m0t-de-passe"
MOTION = "tns1:VideoSource/MotionAlarm"
QUICK = PullPointTiming(lifetime=30.0, pull_timeout=0.5, request_timeout=5.0, backoff=(0.2, 1.0))


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
def device() -> Iterator[OnvifSimulator]:
    with onvif_simulator(username=USER, password=PASSWORD) as simulator:
        yield simulator


def subscriber(
    device: OnvifSimulator,
    events: list[VideoEvent],
    timing: PullPointTiming = QUICK,
    password: str = PASSWORD,
) -> OnvifEventSubscriber:
    async def collect(event: VideoEvent) -> None:
        events.append(event)

    return OnvifEventSubscriber(
        "CAM-QUAI", "127.0.0.1", device.port, USER, password, collect, now, timing
    )


async def until(check: Callable[[], bool], timeout: float = 8.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.05)


async def running(sub: OnvifEventSubscriber, body: Callable[[], Awaitable[None]]) -> None:
    task = asyncio.create_task(sub.run())
    try:
        async with asyncio.timeout(8.0):
            await sub.subscribed.wait()
        await body()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


def test_motion_raised_once_then_restored(device: OnvifSimulator) -> None:
    events: list[VideoEvent] = []
    sub = subscriber(device, events)

    async def body() -> None:
        device.push_event(MOTION, "VideoSource_1", True)
        device.push_event(MOTION, "VideoSource_1", True)  # the camera repeats itself
        await until(lambda: len(events) >= 1)
        await until(lambda: sub.received >= 2)
        device.push_event(MOTION, "VideoSource_1", False)
        await until(lambda: len(events) >= 2)
        device.push_event(MOTION, "VideoSource_1", False)
        await until(lambda: sub.received >= 4)

    asyncio.run(running(sub, body))
    assert [(e.code, e.restore) for e in events] == [(VideoCode.MOTION, False),
                                                     (VideoCode.MOTION, True)]  # fmt: skip
    start = events[0]
    assert start.camera_id == "CAM-QUAI" and start.source is VideoSource.ONVIF
    assert start.detail == (
        "ONVIF : VideoSource/MotionAlarm (VideoSourceConfigurationToken=VideoSource_1)"
    )
    assert abs((start.at - now()).total_seconds()) < 30
    assert device.requests.count("CreatePullPointSubscription") == 1
    assert "Unsubscribe" in device.requests, "a stopped subscriber must unsubscribe"


def test_subscription_renewed_before_it_terminates(device: OnvifSimulator) -> None:
    events: list[VideoEvent] = []
    sub = subscriber(
        device, events, PullPointTiming(lifetime=2.0, pull_timeout=0.5, backoff=(0.2, 1.0))
    )

    async def body() -> None:
        await asyncio.sleep(3.5)  # beyond the 2 s the camera granted
        device.push_event("tns1:VideoSource/SignalLoss", "VideoSource_1", True)
        await until(lambda: len(events) >= 1, timeout=3.0)

    asyncio.run(running(sub, body))
    assert device.requests.count("CreatePullPointSubscription") == 1, "renewed, not re-created"
    assert sub.renewals >= 2 and device.requests.count("Renew") == sub.renewals
    assert [(e.code, e.restore) for e in events] == [(VideoCode.VIDEO_LOSS, False)]


def test_subscription_dropped_by_the_camera_is_created_again(
    device: OnvifSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[VideoEvent] = []
    sub = subscriber(device, events)

    async def body() -> None:
        device.push_event(MOTION, "VideoSource_1", True)
        await until(lambda: len(events) == 1)
        assert device.drop_subscriptions() == 1  # as a rebooted camera
        await until(lambda: sub.subscriptions == 2)
        await sub.subscribed.wait()
        device.push_event(MOTION, "VideoSource_1", True)  # still in motion: no second alarm
        device.push_event(MOTION, "VideoSource_1", False)
        await until(lambda: len(events) == 2)

    asyncio.run(running(sub, body))
    assert device.requests.count("CreatePullPointSubscription") == 2
    assert "abonnement aux événements perdu" in caplog.text
    assert [(e.code, e.restore) for e in events] == [(VideoCode.MOTION, False),
                                                     (VideoCode.MOTION, True)]  # fmt: skip


def test_wrong_password_is_retried_with_a_readable_reason(device: OnvifSimulator) -> None:
    events: list[VideoEvent] = []
    sub = subscriber(device, events, password="faux")

    async def scenario() -> None:
        task = asyncio.create_task(sub.run())
        try:
            await until(lambda: device.requests.count("GetServices") >= 2)  # retried
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert sub.last_error == "identifiants refusés par la caméra."
    assert sub.subscriptions == 0 and "CreatePullPointSubscription" not in device.requests


def test_station_journal_gets_the_camera_alarm(device: OnvifSimulator, tmp_path: Path) -> None:
    """Through ``OnvifEvents`` (the wiring's object): only enabled cameras with an ONVIF
    address are subscribed; the alarm is in the journal with the camera's name."""
    quai = Camera(id="CAM-QUAI", site_id="ENTREPOT", name="Quai de chargement",
                  main_url="rtsp://127.0.0.1:8554/quai", zones=("2",),
                  onvif_url=f"{device.base}/onvif/device_service", username=USER,
                  password=PASSWORD)  # fmt: skip
    plain = Camera(id="CAM-RUE", site_id="ENTREPOT", name="Rue", main_url="rtsp://127.0.0.1/r")
    off = Camera(id="CAM-OFF", site_id="ENTREPOT", name="Arrêt", main_url="rtsp://127.0.0.1/o",
                 onvif_url=f"{device.base}/onvif/device_service", enabled=False)  # fmt: skip
    register = [quai, plain, off]
    journal = MemoryJournal()
    signals = VideoSignals(journal, now, tmp_path, cameras=lambda: register)

    async def scenario() -> list[str]:
        hub = OnvifEvents(signals.receive, now, timing=QUICK, refresh=60.0)
        task = asyncio.create_task(hub.run(lambda: register))
        try:
            await until(lambda: hub.subscriber("CAM-QUAI") is not None)
            assert hub.camera_ids() == ["CAM-QUAI"]
            sub = hub.subscriber("CAM-QUAI")
            assert sub is not None
            await sub.subscribed.wait()
            device.push_event(MOTION, "VideoSource_1", True)
            await until(lambda: len(journal.records) == 1)
            device.push_event(MOTION, "VideoSource_1", False)
            await until(lambda: len(journal.records) == 2)
            register.remove(quai)  # taken out of the register: unsubscribed
            hub.wake()
            await until(lambda: "Unsubscribe" in device.requests)
            assert hub.camera_ids() == []
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        return [r.events[0].description_fr for _, r in journal.records]

    shown = asyncio.run(scenario())
    assert shown == [
        "Mouvement détecté — caméra Quai de chargement",
        "Fin de mouvement — caméra Quai de chargement",
    ]
    record = journal.records[0][1]
    assert record.account == "CAM-QUAI" and record.peer == "video:onvif"
    assert record.events[0].zone == "2"
