"""Site state the rules keep: partitions armed or not, zones in alarm, trouble or bypassed.

Each setter records the new state and returns the ``StateChange`` to log, or nothing
when the state did not change (a second arming of an armed partition is not news).
"""

from __future__ import annotations

from datetime import datetime

from vigie.domain.engine.decisions import StateChange, StateWhat
from vigie.domain.engine.normalise import Normalised
from vigie.domain.engine.state import EngineState, PartitionState, ZoneState
from vigie.domain.engine.texts import where
from vigie.domain.register import Site

__all__ = ["Tracker"]


class Tracker:
    def __init__(self, state: EngineState) -> None:
        self._state = state

    # -- state ---------------------------------------------------------------------------

    def partitions(
        self, site: Site, n: Normalised, armed: bool, signal_id: int, at: datetime
    ) -> list[StateChange]:
        """Partition "0" (no area named) is the whole system: it sets every partition."""
        parts = self._state.partitions.setdefault(site.id, {})
        target = n.partition or "0"
        names = [target] if target != "0" else sorted(set(parts) | {"0"})
        by = n.user
        who_fr = f" par utilisateur {by}" + (f" ({n.user_name})" if n.user_name else "")
        who_en = f" by user {by}" + (f" ({n.user_name})" if n.user_name else "")
        if by is None:
            who_fr = who_en = ""
        out: list[StateChange] = []
        for name in names:
            old = parts.get(name)
            parts[name] = PartitionState(armed, by, at)
            if old is not None and old.armed == armed:
                continue
            new = parts[name].word
            verb_fr = "Mise en service" if armed else "Mise à l'arrêt"
            verb_en = "Armed" if armed else "Disarmed"
            out.append(
                StateChange(
                    site.id,
                    StateWhat.PARTITION,
                    name,
                    old.word if old is not None else "unknown",
                    new,
                    by,
                    at,
                    signal_id,
                    f"{verb_fr} (partition {name}){who_fr} — {n.description_fr}",
                    f"{verb_en} (partition {name}){who_en} — {n.description_en}",
                    {"code": n.code, "user_name": n.user_name},
                )
            )
        return out

    def zone(
        self, site_id: str, zone: str, condition: str, signal_id: int, at: datetime
    ) -> StateChange | None:
        zones = self._state.zones.setdefault(site_id, {})
        state = zones.setdefault(zone, ZoneState())
        old = state.condition
        state.at = at
        if old == condition:
            return None
        state.condition = condition
        return StateChange(
            site_id,
            StateWhat.ZONE,
            zone,
            old,
            condition,
            None,
            at,
            signal_id,
            f"Zone {zone} : {old} -> {condition}",
            f"Zone {zone}: {old} -> {condition}",
        )

    def bypass(
        self,
        site_id: str,
        zone: str,
        n: Normalised,
        bypassed: bool,
        signal_id: int,
        at: datetime,
    ) -> StateChange | None:
        zones = self._state.zones.setdefault(site_id, {})
        state = zones.setdefault(zone, ZoneState())
        state.at = at
        if state.bypassed == bypassed:
            return None
        state.bypassed = bypassed
        old, new = ("in_service", "bypassed") if bypassed else ("bypassed", "in_service")
        w_fr, w_en = where(zone, n.zone_label, n.user, n.user_name)
        verb_fr = "Inhibition" if bypassed else "Fin d'inhibition"
        verb_en = "Bypassed" if bypassed else "Unbypassed"
        return StateChange(
            site_id,
            StateWhat.BYPASS,
            zone,
            old,
            new,
            n.user,
            at,
            signal_id,
            f"{verb_fr}{w_fr} — {n.description_fr}",
            f"{verb_en}{w_en} — {n.description_en}",
        )
