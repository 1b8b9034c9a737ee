"""Wiring of the main courante, handover and supervisor pages (part of the composition
root: ``bootstrap`` and the tests pass these to ``create_app``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from vigie.adapters.db.handover_store import SqlHandovers
from vigie.adapters.db.logbook_store import SqlLogbook
from vigie.adapters.db.supervision_reader import SqlSupervision
from vigie.services.handover import Handovers
from vigie.services.incident_queue import IncidentQueue
from vigie.services.logbook import Logbook
from vigie.services.ports import Clock

__all__ = ["page_services"]


def page_services(
    engine: Engine, logbook: Logbook, queue: IncidentQueue | None, clock: Clock
) -> dict[str, Any]:
    """``create_app`` keyword arguments: ``handovers`` and ``supervision``."""
    handovers = Handovers(SqlHandovers(engine, SqlLogbook(engine)), logbook, queue, clock)
    return {"handovers": handovers, "supervision": SqlSupervision(engine)}
