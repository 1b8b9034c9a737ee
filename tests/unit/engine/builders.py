"""Builders for engine tests: journal records as the receiver would store them.

Events are filled from the real code tables, the way the codecs fill them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from vigie.domain.register import (
    DaySchedule,
    PanelUser,
    Site,
    SiteSchedule,
    Supervision,
    TestPeriod,
    Zone,
    ZoneType,
)
from vigie.domain.signals import SignalEvent, SignalRecord, Transport
from vigie.protocols.codes import cid_code, sia_code

T0 = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)  # a Monday, 12:00 in Paris


def sia(
    code: str,
    zone: str | None = None,
    user: str | None = None,
    area: str | None = None,
) -> SignalEvent:
    entry = sia_code(code)
    if entry is None:
        return SignalEvent(
            "SIA-DCS",
            code,
            "other",
            f"Code inconnu {code}",
            f"Unknown code {code}",
            False,
            zone=zone,
            user=user,
            area=area,
        )
    if entry.address == "user" and zone is not None and user is None:
        zone, user = None, zone
    return SignalEvent(
        protocol="SIA-DCS",
        code=code,
        category=entry.category.value,
        description_fr=entry.description_fr,
        description_en=entry.description_en,
        known=True,
        restore=entry.restore,
        closing={"opening": False, "closing": True}.get(entry.kind),
        zone=zone,
        user=user,
        area=area,
    )


def cid(code: str, q: str = "1", address: str = "000", group: str = "01") -> SignalEvent:
    entry = cid_code(code)
    zone = user = None
    if address != "000":
        if entry is not None and entry.address == "user":
            user = address
        else:
            zone = address
    oc = entry.opening_closing if entry is not None else False
    if entry is None:
        fr, en, category = f"Code inconnu {code}", f"Unknown code {code}", "other"
    else:
        fr, en, category = entry.description_fr, entry.description_en, entry.category.value
    return SignalEvent(
        protocol="ADM-CID",
        code=code,
        category=category,
        description_fr=fr,
        description_en=en,
        known=entry is not None,
        qualifier=q,
        restore=q == "3" and not oc,
        closing={"1": False, "3": True}.get(q) if oc else None,
        zone=zone,
        user=user,
        area=None if group == "00" else group,
    )


def record(
    *events: SignalEvent,
    at: datetime = T0,
    account: str = "1234",
    reply_kind: str | None = "ACK",
) -> SignalRecord:
    return SignalRecord(
        received_at=at,
        transport=Transport.TCP,
        peer="192.0.2.1:5000",
        raw=b"",
        reply_kind=reply_kind,
        reply=b"",
        account=account,
        known_account=True,
        events=events,
    )


WEEKDAYS = tuple(DaySchedule(d, time(8, 0), time(19, 0)) for d in range(5))


def site(
    *,
    schedule: SiteSchedule | None = None,
    supervision: Supervision | None = None,
    users: tuple[PanelUser, ...] = (PanelUser("5", "M. Martin"),),
    test_periods: tuple[TestPeriod, ...] = (),
    site_id: str = "PHARMA-01",
    account: str = "1234",
) -> Site:
    return Site(
        id=site_id,
        customer_id="CUST-1",
        name="Pharmacie du Centre",
        schedule=schedule if schedule is not None else SiteSchedule(),
        supervision=supervision,
        users=users,
        test_periods=test_periods,
        transmitters=(account,),
        zones=(
            Zone("3", "Réserve"),
            Zone("7", "Détecteur fumée cuisine", ZoneType.FIRE),
            Zone("9", "Bouton agression caisse", ZoneType.PANIC),
        ),
    )


def paris_schedule(
    tolerance: int = 15, exceptions: tuple[tuple[date, DaySchedule | None], ...] = ()
) -> SiteSchedule:
    return SiteSchedule(days=WEEKDAYS, exceptions=exceptions, tolerance_minutes=tolerance)


def seconds(n: float) -> timedelta:
    return timedelta(seconds=n)
