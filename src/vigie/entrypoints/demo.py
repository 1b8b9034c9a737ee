"""``vigie demo``: a station on an embedded SQLite database with simulated panels.

Demo transmitters are declared if missing, then a few simulated panels report like real
ones: periodic tests, openings and closings, now and then an alarm and its restore, over
TCP and UDP, plain and AES-encrypted.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from vigie.domain.transmitters import Transmitter
from vigie.entrypoints.simulator import PanelSimulator, cid_body, sia_body
from vigie.protocols.dc09 import Dc09Key
from vigie.services.ports import TransmitterRepository

__all__ = ["DEMO_PANELS", "DemoPanel", "declare_demo_transmitters", "run_demo_panels"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoPanel:
    account: str
    label: str
    protocol: str  # SIA-DCS or ADM-CID
    udp: bool = False
    key_hex: str | None = None
    key_text: str | None = None

    def transmitter(self) -> Transmitter:
        key = self.dc09_key()
        return Transmitter(
            self.account,
            key=key.key if key else None,
            key_notation=key.notation if key else None,
            label=self.label,
        )

    def dc09_key(self) -> Dc09Key | None:
        if self.key_hex:
            return Dc09Key.from_hex(self.key_hex)
        if self.key_text:
            return Dc09Key.from_text(self.key_text)
        return None


DEMO_PANELS = (
    DemoPanel("1001", "Boulangerie Martin, Lyon 3e", "SIA-DCS"),
    DemoPanel("1002", "Pharmacie du Centre, Villeurbanne", "ADM-CID", udp=True),
    DemoPanel(
        "1003", "Agence bancaire Part-Dieu", "SIA-DCS", key_hex="00112233445566778899AABBCCDDEEFF"
    ),
    DemoPanel(
        "1004", "Entrepôt Vénissieux", "ADM-CID", key_text="VigieDemoKey0123VigieDemoKey0123"
    ),
)

# (SIA code, CID code, CID qualifier, zone) — what a quiet day looks like, mostly.
_SCENES = (
    ("RP", "602", "1", "0"),
    ("RP", "602", "1", "0"),
    ("OP", "401", "1", "3"),
    ("CL", "401", "3", "3"),
    ("BA", "130", "1", "4"),
    ("BR", "130", "3", "4"),
    ("AT", "301", "1", "0"),
    ("AR", "301", "3", "0"),
    ("FA", "110", "1", "7"),
    ("FR", "110", "3", "7"),
)


def declare_demo_transmitters(repository: TransmitterRepository) -> None:
    declared = {t.account for t in repository.all()}
    for panel in DEMO_PANELS:
        if panel.account not in declared:  # else: kept from an earlier demo run
            repository.add(panel.transmitter())


def run_demo_panels(
    host: str, port: int, stop: threading.Event, period: float = 8.0, seed: int | None = None
) -> threading.Thread:
    """Start a thread that makes the demo panels report until ``stop`` is set."""
    chooser = random.Random(seed)

    def loop() -> None:
        sims = [
            PanelSimulator(host, port, p.account, key=p.dc09_key(), udp=p.udp) for p in DEMO_PANELS
        ]
        while not stop.wait(period * chooser.uniform(0.5, 1.5)):
            index = chooser.randrange(len(DEMO_PANELS))
            panel, sim = DEMO_PANELS[index], sims[index]
            sia, cid, qualifier, zone = chooser.choice(_SCENES)
            if panel.protocol == "SIA-DCS":
                body = sia_body(panel.account, sia, zone, "1")
            else:
                body = cid_body(panel.account, cid, zone, "1", qualifier)
            try:
                sim.send(sim.frame(panel.protocol, body, datetime.now(UTC)))
            except OSError as exc:
                log.warning("demo panel %s got no answer: %s", panel.account, exc)
                sim.close()
        for sim in sims:
            sim.close()

    thread = threading.Thread(target=loop, name="demo-panels", daemon=True)
    thread.start()
    return thread
