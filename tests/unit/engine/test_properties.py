"""Property: whatever the panels send, the engine never raises and never stays silent."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from vigie.domain import register
from vigie.domain.engine import Engine, EngineState
from vigie.domain.register import Supervision
from vigie.domain.signals import SignalEvent

from .builders import T0, cid, paris_schedule, record, sia, site

CATEGORIES = [
    "intrusion",
    "fire",
    "panic",
    "medical",
    "technical",
    "tamper",
    "trouble",
    "opening_closing",
    "test",
    "bypass",
    "other",
    "nonsense",
]
NUMBERS = st.one_of(st.none(), st.sampled_from(["0", "1", "003", "3", "7", "9", "042", "x"]))

raw_events = st.builds(
    SignalEvent,
    protocol=st.sampled_from(["SIA-DCS", "ADM-CID", "OTHER"]),
    code=st.text(min_size=0, max_size=4),
    category=st.sampled_from(CATEGORIES),
    description_fr=st.text(max_size=20),
    description_en=st.text(max_size=20),
    known=st.booleans(),
    qualifier=st.one_of(st.none(), st.sampled_from(["1", "3", "6", "9"])),
    restore=st.booleans(),
    closing=st.one_of(st.none(), st.booleans()),
    zone=NUMBERS,
    user=NUMBERS,
    area=NUMBERS,
)
table_events = st.one_of(
    st.builds(
        sia,
        st.sampled_from(["BA", "BR", "HA", "ND", "OP", "CL", "RP", "YC", "YK", "BB", "BU", "CI"]),
        zone=NUMBERS,
        user=NUMBERS,
        area=NUMBERS,
    ),
    st.builds(
        cid,
        st.sampled_from(["121", "130", "140", "401", "454", "570", "602", "999"]),
        st.sampled_from(["1", "3", "6"]),
        st.sampled_from(["000", "003", "005", "007"]),
        st.sampled_from(["00", "01", "02"]),
    ),
)
signals = st.tuples(
    st.lists(st.one_of(raw_events, table_events), max_size=4),
    st.integers(min_value=0, max_value=4 * 24 * 3600),  # seconds after T0
    st.sampled_from(["1234", "5678", "9999", ""]),
    st.sampled_from(["ACK", "ACK", "ACK", "NAK", "DUH", None]),
    st.integers(min_value=0, max_value=3),  # which site: 0 = none, 3 = on test
    st.booleans(),  # duplicate
)

SITES = [
    None,
    site(),
    site(schedule=paris_schedule(), supervision=Supervision(600, 30)),
    site(
        test_periods=(register.TestPeriod(T0, T0 + timedelta(days=2)),), supervision=Supervision(60)
    ),
]


@settings(max_examples=150, deadline=None)
@given(st.lists(signals, max_size=25), st.booleans())
def test_random_signal_sequences_never_raise_and_are_never_silent(
    sequence: list[tuple[list[SignalEvent], int, str, str | None, int, bool]], reload: bool
) -> None:
    engine = Engine()
    for index, (events, offset, account, reply, which, duplicate) in enumerate(sequence):
        at = T0 + timedelta(seconds=offset)
        rec = record(*events, at=at, account=account, reply_kind=reply)
        decisions = engine.on_signal(
            index, rec, SITES[which], at, duplicate_of=index - 1 if duplicate else None
        )
        assert len(decisions) >= 1
        if reply == "ACK" and not duplicate and SITES[which] is not None:
            assert len(decisions) >= len(events)
        engine.tick(at + timedelta(seconds=offset % 5000))
        if reload:
            engine = Engine(state=EngineState.from_dict(engine.state.to_dict()))
            for s in SITES:
                if s is not None:
                    engine.watch_site(s, at)
