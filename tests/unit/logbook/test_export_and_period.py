"""Exports and human periods without a database."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from vigie.domain.logbook import GENESIS_HASH, LogDraft, LogEntry, LogKind, chain
from vigie.services.logbook_export import export_pdf, find_unicode_font
from vigie.services.logbook_period import PeriodError, describe_period, parse_bound

T0 = datetime(2026, 7, 14, 10, 0, tzinfo=UTC)


def _entries(n: int) -> list[LogEntry]:
    drafts = [
        LogDraft(at=T0, kind=LogKind.MANUAL, text=f"Élément n°{i} : œuvre « vérifiée » — 5 €")
        for i in range(n)
    ]
    return chain(drafts, last_id=0, last_hash=GENESIS_HASH)


@pytest.mark.parametrize("system_fonts", [True, False])
def test_pdf_renders_french_with_or_without_a_unicode_font(system_fonts: bool) -> None:
    out = io.BytesIO()
    report = export_pdf(_entries(3), out, "Main courante", "14/07/2026", system_fonts=system_fonts)
    assert out.getvalue().startswith(b"%PDF-")
    assert report.unicode_font is (system_fonts and find_unicode_font() is not None)
    assert report.entries == 3 and report.pages == 1


def test_pdf_core_fonts_keep_latin1_accents() -> None:
    out = io.BytesIO()
    export_pdf(_entries(1), out, "Écran", "été", system_fonts=False)
    assert b"/BaseFont /Helvetica" in out.getvalue()


def test_period_days_are_paris_days_both_included() -> None:
    start = parse_bound("2026-07-14", end=False)
    end = parse_bound("2026-07-14", end=True)
    assert start == datetime(2026, 7, 13, 22, 0, tzinfo=UTC)  # summer: UTC+2
    assert end == datetime(2026, 7, 14, 22, 0, tzinfo=UTC)
    assert parse_bound("2026-12-01", end=False) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert describe_period(start, end) == "du 14/07/2026 00:00 au 15/07/2026 00:00 (exclu)"
    assert describe_period(None, None) == "depuis l'origine"


def test_period_times_are_utc_unless_they_say_otherwise() -> None:
    assert parse_bound("2026-07-14T10:00:00", end=False) == T0
    assert parse_bound("2026-07-14T12:00:00+02:00", end=False) == T0
    assert parse_bound("2026-07-14T10:00:00Z", end=True) == T0
    assert parse_bound(None, end=False) is None and parse_bound(" ", end=True) is None


@pytest.mark.parametrize("bad", ["14/07/2026", "2026-13-01", "yesterday"])
def test_bad_periods_name_the_expected_form(bad: str) -> None:
    with pytest.raises(PeriodError, match="expected YYYY-MM-DD"):
        parse_bound(bad, end=False)
