"""``vigie demo``: a station on an embedded SQLite database with simulated panels.

The example register (``examples/register.json``: a dozen sites of several kinds around
Lyon) is loaded on first run; then every site's transmitter reports like a real panel:
periodic tests most of the time, openings and closings by the site's users, now and then
an alarm on one of its zones followed by its restore — over TCP and UDP, SIA DCS and
Contact ID, plain and AES-encrypted as the register says.
"""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from vigie.adapters.db.camera_store import CameraStore
from vigie.adapters.db.register_repository import SqlRegister
from vigie.domain.register import Site
from vigie.domain.users import Role, User
from vigie.entrypoints.simulator import PanelSimulator, cid_body, sia_body
from vigie.protocols.dc09 import Dc09Key
from vigie.services.auth import Authenticator
from vigie.services.camera_codec import parse_cameras_json
from vigie.services.register_io import parse_register_json

__all__ = [
    "DEMO_USERS",
    "EXAMPLE_REGISTER",
    "DemoPanel",
    "create_demo_users",
    "demo_panels",
    "demo_password",
    "load_example_cameras",
    "load_example_register",
    "run_demo_panels",
]

log = logging.getLogger(__name__)

EXAMPLE_REGISTER = Path("examples/register.json")

# What a panel says, as (SIA code, Contact ID code, CID qualifier) and what it addresses.
_TEST = ("RP", "602", "1")
_OPENING = ("OP", "401", "1")
_CLOSING = ("CL", "401", "3")
_ALARMS = {  # zone type -> (alarm, restore)
    "fire": (("FA", "110", "1"), ("FR", "110", "3")),
    "panic": (("PA", "120", "1"), ("PR", "120", "3")),
    "medical": (("MA", "100", "1"), ("MR", "100", "3")),
    "technical": (("WA", "154", "1"), ("WR", "154", "3")),
    "tamper": (("TA", "137", "1"), ("TR", "137", "3")),
}
_INTRUSION = (("BA", "130", "1"), ("BR", "130", "3"))


@dataclass(frozen=True)
class DemoPanel:
    site: Site
    account: str
    protocol: str  # SIA-DCS or ADM-CID
    udp: bool
    key: Dc09Key | None


# Demonstration accounts, created on an empty database; the passwords are printed.
DEMO_USERS = (
    User("operateur", Role.OPERATOR, "CAR-069-2031-01-01-20260000001", date(2031, 1, 1),
         display_name="Opératrice de démonstration"),
    User("superviseur", Role.SUPERVISOR, "CAR-069-2031-01-01-20260000002", date(2031, 1, 1),
         display_name="Chef de poste de démonstration"),
    User("admin", Role.ADMIN, "CAR-069-2031-01-01-20260000003", date(2031, 1, 1),
         display_name="Administrateur de démonstration"),
)  # fmt: skip


def demo_password(user: User) -> str:
    return f"vigie-demo-{user.name}"


def create_demo_users(auth: Authenticator) -> list[User]:
    """Create the demonstration users on a station that has none; returns those created."""
    if auth.users.all():
        return []
    return [auth.add_user(user, demo_password(user)) for user in DEMO_USERS]


def load_example_register(register: SqlRegister, path: Path = EXAMPLE_REGISTER) -> bool:
    """Load the example register into an empty database; True if it was loaded."""
    if register.sites():
        return False
    register.replace_all(parse_register_json(path.read_text(encoding="utf-8")), source="demo")
    return True


def load_example_cameras(cameras: CameraStore, path: Path = EXAMPLE_REGISTER) -> bool:
    """Load the example register's cameras into an empty camera table; True if loaded."""
    if cameras.cameras():
        return False
    cameras.save_all(parse_cameras_json(path.read_text(encoding="utf-8")))
    return True


def demo_panels(register: SqlRegister) -> list[DemoPanel]:
    sites = {s.id: s for s in register.sites()}
    panels = []
    for index, linked in enumerate(register.transmitters()):
        site = sites.get(linked.site_id or "")
        if site is None:
            continue
        t = linked.transmitter
        key = None
        if t.key is not None:
            key = Dc09Key(t.key, "text" if t.key_notation == "text" else "hex")
        protocol = "SIA-DCS" if index % 2 == 0 else "ADM-CID"
        panels.append(DemoPanel(site, t.account, protocol, udp=index % 3 == 1, key=key))
    return panels


def _message(panel: DemoPanel, chooser: random.Random, alarmed: dict[str, str]) -> str:
    """The next body this panel sends: restore what is alarmed, else mostly tests."""
    account, site = panel.account, panel.site

    def body(codes: tuple[str, str, str], zone: str | None) -> str:
        sia, cid, qualifier = codes
        if panel.protocol == "SIA-DCS":
            return sia_body(account, sia, zone, "1")
        return cid_body(account, cid, zone, "1", qualifier)

    if account in alarmed and chooser.random() < 0.5:
        zone = alarmed.pop(account)
        kind = next((z.type.value for z in site.zones if z.number == zone), "intrusion")
        return body(_ALARMS.get(kind, _INTRUSION)[1], zone)
    roll = chooser.random()
    if roll < 0.15 and site.zones and account not in alarmed:
        picked = chooser.choice(site.zones)
        alarmed[account] = picked.number
        return body(_ALARMS.get(picked.type.value, _INTRUSION)[0], picked.number)
    if roll < 0.35 and site.users:
        user = chooser.choice(site.users).number
        return body(_OPENING if chooser.random() < 0.5 else _CLOSING, user)
    return body(_TEST, None)


def run_demo_panels(
    host: str,
    port: int,
    panels: list[DemoPanel],
    stop: threading.Event,
    period: float = 8.0,
    seed: int | None = None,
) -> threading.Thread:
    """Start a thread that makes the demo panels report until ``stop`` is set."""
    chooser = random.Random(seed)

    def loop() -> None:
        sims = [PanelSimulator(host, port, p.account, key=p.key, udp=p.udp) for p in panels]
        alarmed: dict[str, str] = {}
        while panels and not stop.wait(period * chooser.uniform(0.5, 1.5) / len(panels) ** 0.5):
            index = chooser.randrange(len(panels))
            panel, sim = panels[index], sims[index]
            body = _message(panel, chooser, alarmed)
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
