"""Frigate's JSON published to the real Mosquitto (127.0.0.1:1883) becomes a video alarm.

Each run uses its own topic prefix, so parallel runs on the shared broker do not collide.
The subscriber, the journal and the processor are the real ones; every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiomqtt
import pytest

from tests.conftest import FakeClock
from tests.support.pipeline import Pipeline, register_pipeline
from tests.support.station import journal
from vigie.adapters.db.incident_store import SqlIncidents
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.processing_store import SqlProcessing
from vigie.adapters.mqtt_frigate import FrigateMqtt
from vigie.domain.incidents import IncidentState
from vigie.domain.register import AlarmKind
from vigie.domain.video import Camera
from vigie.services.processor import Processor
from vigie.services.video_signals import VideoSignals

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(60)]

BROKER = ("127.0.0.1", 1883)
FOURNIL = Camera(
    id="CAM-FOURNIL", site_id="BOUL-MARTIN", name="Fournil", main_url="rtsp://127.0.0.1/f",
    zones=("3",), frigate_name="fournil_cam",
)  # fmt: skip


def _broker_up() -> bool:
    try:
        with socket.create_connection(BROKER, timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def pipe(sqlite_url: str, clock: FakeClock) -> Iterator[Pipeline]:
    if not _broker_up():
        pytest.skip("Mosquitto is not listening on 127.0.0.1:1883")
    pipeline = register_pipeline(sqlite_url, clock)
    yield pipeline
    pipeline.close()


def _frigate(kind: str, **after: object) -> bytes:
    obj: dict[str, object] = {
        "id": "1764367200.123456-e2e001", "camera": "fournil_cam", "label": "person",
        "score": 0.81, "top_score": 0.93, "false_positive": False,
        "start_time": 1764367200.123456, "end_time": None, "current_zones": ["fournil"],
        "entered_zones": ["fournil"], "has_snapshot": True, "has_clip": True,
    }  # fmt: skip
    obj.update(after)
    return json.dumps({"type": kind, "before": obj, "after": obj}).encode()


async def _until(check: object, seconds: float) -> None:
    async with asyncio.timeout(seconds):
        while not check():  # type: ignore[operator]
            await asyncio.sleep(0.05)


def test_frigate_events_over_mosquitto_raise_and_restore_a_video_alarm(
    pipe: Pipeline, clock: FakeClock, tmp_path: Path
) -> None:
    prefix = f"vigie-test-{uuid.uuid4().hex[:12]}/frigate"
    signals = VideoSignals(pipe.journal, clock, tmp_path, cameras=lambda: [FOURNIL])
    mqtt = FrigateMqtt(
        signals, clock.now, host=BROKER[0], port=BROKER[1], topic_prefix=prefix,
        base_url="http://frigate.test:5000",
    )  # fmt: skip

    async def scenario() -> None:
        task = asyncio.create_task(mqtt.run())
        try:
            async with asyncio.timeout(10):
                await mqtt.connected.wait()
            async with aiomqtt.Client(*BROKER) as client:
                await client.publish(f"{prefix}/events", b"{broken", qos=1)
                await client.publish(f"{prefix}/events", _frigate("new"), qos=1)
                await client.publish(f"{prefix}/events", _frigate("update", score=0.9), qos=1)
                ended = _frigate("end", end_time=1764367230.5)
                await client.publish(f"{prefix}/events", ended, qos=1)
            await _until(lambda: signals.stored == 2, 10)
        finally:
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(scenario())
    assert mqtt.rejected == 1  # the broken message, logged; the subscriber carried on
    rows = journal(pipe.db_url, "CAM-FOURNIL")
    assert [r.events[0].restore for _, r in rows] == [False, True]
    mods = dict(rows[0][1].events[0].modifiers)
    assert mods["snapshot_url"] == (
        "http://frigate.test:5000/api/events/1764367200.123456-e2e001/snapshot.jpg"
    )
    store = SqlLogbook(pipe.engine)
    processor = Processor(
        SqlProcessing(pipe.engine, SqlIncidents(pipe.engine, store), store),
        pipe.register, pipe.logbook, clock, cameras=lambda: [FOURNIL],
    )  # fmt: skip
    processor.start()
    while processor.run_once():
        pass
    alarms = [
        a
        for i in pipe.queue.waiting(list(IncidentState))
        for a in i.alarms
        if a.kind is AlarmKind.VIDEO
    ]
    (alarm,) = alarms
    assert (alarm.site_id, alarm.zone, alarm.code) == ("BOUL-MARTIN", "3", "PERSON")
    assert alarm.restored_at is not None


def test_the_subscriber_retries_a_missing_broker_with_back_off(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, clock: FakeClock
) -> None:
    with socket.socket() as probe:  # a free port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    class Nowhere:
        async def receive(self, event: object) -> object:
            raise AssertionError("nothing can arrive")

        def resolve_camera(self, name: str) -> None:
            return None

    mqtt = FrigateMqtt(Nowhere(), clock.now, port=port, backoff=(0.05, 0.2))  # type: ignore[arg-type]

    async def scenario() -> None:
        task = asyncio.create_task(mqtt.run())
        await asyncio.sleep(0.6)
        assert not task.done() and not mqtt.connected.is_set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with caplog.at_level(logging.WARNING, logger="vigie.adapters.mqtt_frigate"):
        asyncio.run(scenario())
    retries = [r for r in caplog.records if "retry in" in r.getMessage()]
    assert len(retries) >= 2
