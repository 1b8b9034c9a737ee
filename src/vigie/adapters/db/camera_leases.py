"""Camera leases on SQLAlchemy Core: which ``vigie serve`` process runs which camera.

Several processes on one PostgreSQL must never record the same camera twice, should
share the cameras out fairly, and must take over a dead process's cameras. Each process
(a *holder*) calls ``renew`` every few seconds with the cameras it wants (the enabled
ones of the register, the same list everywhere); in one transaction, serialised between
processes by an advisory transaction lock on PostgreSQL and by SQLite's write lock:

1. leases and holders whose ``expires_at`` has passed are dropped (a dead process's
   cameras become free after the TTL);
2. this holder's presence row is renewed: a process that holds nothing yet still counts;
3. its leases on cameras no longer wanted are given back, the others are renewed;
4. fair share: with W cameras and n live holders, each holder's quota is W // n, plus one
   for the W % n holders present longest (ceil(W / n) for them, so the quotas add up to W
   and no holder sits idle while others run two more than it); a holder below its quota
   takes free cameras, in camera id order, up to it;
5. anti-flapping rule: a holder above its quota gives back its excess (the cameras it
   acquired last) only while another live holder is below its own quota. Taking never
   goes above the quota, so once given back nothing comes back: the split only moves
   again when holders or cameras come or go.

The primary key on ``camera_id`` makes a camera held by two holders impossible by
construction; the lock only spares concurrent renewals a key violation. Times are the
callers' (an injected clock), UTC; hosts must keep their clocks in step (NTP) far
better than the TTL.

Each presence row also carries the holder's ``url`` (``VIGIE_ADVERTISE_URL``, migration
0011): ``holder_of`` tells the web nodes where to relay a live view of a camera they do
not run.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    String,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)

from vigie.adapters.db.engine import as_utc, write_transaction
from vigie.adapters.db.tables import metadata
from vigie.services.camera_leasing import CameraHolder

__all__ = ["SqlCameraLeases", "camera_lease_holders", "camera_leases"]

log = logging.getLogger(__name__)

# Any constant shared by every Vigie process: "CAML".
LEASE_LOCK_KEY = 0x43414D4C

_Time = DateTime(timezone=True)

camera_leases = Table(
    "camera_leases",
    metadata,
    Column("camera_id", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    Column("expires_at", _Time, nullable=False),
    Column("acquired_at", _Time, nullable=False),
    Index("ix_camera_leases_holder", "holder"),
)

camera_lease_holders = Table(
    "camera_lease_holders",
    metadata,
    Column("holder", String(128), primary_key=True),
    Column("expires_at", _Time, nullable=False),
    Column("joined_at", _Time, nullable=False),
    Column("url", String(255), nullable=True),  # where the other nodes reach its HTTP API
)


class SqlCameraLeases:
    """The lease tables of migrations 0010 and 0011 (SQLite and PostgreSQL)."""

    def __init__(self, engine: Engine, *, url: str = "") -> None:
        """``url``: where the other nodes reach this process's HTTP API ("" when they
        cannot), written with every renewal of its presence."""
        if len(url) > 255:
            raise ValueError("an advertised URL of at most 255 characters")
        self._engine = engine
        self._url = url or None

    def renew(
        self,
        holder: str,
        camera_ids_wanted: Sequence[str],
        now: datetime,
        ttl: timedelta,
    ) -> set[str]:
        """Renew, take and give back leases (see the module docstring); what ``holder`` holds."""
        if not holder or len(holder) > 128:
            raise ValueError("a holder name of 1 to 128 characters")
        now = as_utc(now)
        until = now + ttl
        wanted = sorted(set(camera_ids_wanted))
        with write_transaction(self._engine) as conn:
            self._lock(conn)
            conn.execute(delete(camera_leases).where(camera_leases.c.expires_at <= now))
            conn.execute(
                delete(camera_lease_holders).where(camera_lease_holders.c.expires_at <= now)
            )
            live = self._present(conn, holder, now, until, self._url)
            held = self._share_out(conn, holder, wanted, live, now)
            conn.execute(
                update(camera_leases)
                .where(camera_leases.c.holder == holder)
                .values(expires_at=until)
            )
        return held

    def release_all(self, holder: str) -> int:
        """Give every lease of ``holder`` back at once (a clean shutdown); how many."""
        with write_transaction(self._engine) as conn:
            self._lock(conn)
            result = conn.execute(delete(camera_leases).where(camera_leases.c.holder == holder))
            conn.execute(
                delete(camera_lease_holders).where(camera_lease_holders.c.holder == holder)
            )
        count = int(result.rowcount)
        log.info("camera leases of %s released (%d)", holder, count)
        return count

    def holders(self, now: datetime) -> dict[str, str]:
        """Live leases: camera id -> holder (for diagnostics and the tests)."""
        c = camera_leases.c
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(c.camera_id, c.holder).where(c.expires_at > as_utc(now))
            ).all()
        return {str(r.camera_id): str(r.holder) for r in rows}

    def holder_of(self, camera_id: str, now: datetime) -> CameraHolder | None:
        """Who runs ``camera_id`` now (a live lease of a live holder) and at which URL."""
        c, h = camera_leases.c, camera_lease_holders.c
        now = as_utc(now)
        query = (
            select(c.holder, h.url)
            .join(camera_lease_holders, h.holder == c.holder)
            .where(c.camera_id == camera_id, c.expires_at > now, h.expires_at > now)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else CameraHolder(str(row.holder), str(row.url or ""))

    @staticmethod
    def _lock(conn: Connection) -> None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LEASE_LOCK_KEY})

    @staticmethod
    def _present(
        conn: Connection, holder: str, now: datetime, until: datetime, url: str | None
    ) -> dict[str, datetime]:
        """Renew this holder's presence row; every live holder and when it joined."""
        h = camera_lease_holders.c
        renewed = conn.execute(
            update(camera_lease_holders).where(h.holder == holder).values(expires_at=until, url=url)
        )
        if not renewed.rowcount:
            conn.execute(
                insert(camera_lease_holders).values(
                    holder=holder, expires_at=until, joined_at=now, url=url
                )
            )
            log.info("camera leases: holder %s joined", holder)
        rows = conn.execute(select(h.holder, h.joined_at)).all()
        return {str(r.holder): as_utc(r.joined_at) for r in rows}

    @staticmethod
    def _share_out(
        conn: Connection,
        holder: str,
        wanted: list[str],
        live: dict[str, datetime],
        now: datetime,
    ) -> set[str]:
        c = camera_leases.c
        rows = conn.execute(select(c.camera_id, c.holder, c.acquired_at)).all()
        wanted_set = set(wanted)
        taken = {str(r.camera_id) for r in rows}
        mine = {str(r.camera_id): as_utc(r.acquired_at) for r in rows if r.holder == holder}
        unwanted = [camera_id for camera_id in mine if camera_id not in wanted_set]
        if unwanted:
            conn.execute(delete(camera_leases).where(c.camera_id.in_(unwanted)))
            for camera_id in unwanted:
                del mine[camera_id]
        counts = Counter(str(r.holder) for r in rows if r.camera_id in wanted_set)
        counts[holder] = len(mine)
        quotas = _quotas(len(wanted), live, counts)
        quota = quotas[holder]
        if len(mine) < quota:
            free = [camera_id for camera_id in wanted if camera_id not in taken]
            fresh = free[: quota - len(mine)]
            if fresh:
                conn.execute(
                    insert(camera_leases),
                    [
                        {"camera_id": cid, "holder": holder, "expires_at": now, "acquired_at": now}
                        for cid in fresh
                    ],
                )
                log.info("camera leases: %s takes %s", holder, ", ".join(fresh))
                mine.update(dict.fromkeys(fresh, now))
        elif len(mine) > quota and any(counts[h] < q for h, q in quotas.items() if h != holder):
            newest_first = sorted(mine, key=lambda cid: (mine[cid], cid), reverse=True)
            excess = newest_first[: len(mine) - quota]
            conn.execute(delete(camera_leases).where(c.camera_id.in_(excess)))
            log.info("camera leases: %s gives back %s", holder, ", ".join(sorted(excess)))
            for camera_id in excess:
                del mine[camera_id]
        return set(mine)


def _quotas(cameras: int, live: dict[str, datetime], counts: Counter[str]) -> dict[str, int]:
    """Each live holder's quota: an even split, the remainder to those present longest."""
    latest = max(live.values())
    joined = {name: live.get(name, latest) for name in set(live) | set(counts)}
    order = sorted(joined, key=lambda name: (joined[name], name))
    base, extra = divmod(cameras, len(order))
    return {name: base + (1 if rank < extra else 0) for rank, name in enumerate(order)}
