"""Exports of the main courante: CSV for a spreadsheet, PDF for paper.

Both keep every field and the hashes, so a copy handed to a customer, an auditor or the
police can be checked against the station's chain. Times are shown in Europe/Paris, as
operators read them, and kept in UTC beside them, as they were hashed.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, TextIO
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from vigie.domain.logbook import LogEntry, format_time

__all__ = [
    "CSV_COLUMNS",
    "PdfDocument",
    "PdfReport",
    "export_csv",
    "export_pdf",
    "find_unicode_font",
]

CSV_COLUMNS = (
    "id",
    "date_heure_paris",
    "at_utc",
    "kind",
    "author",
    "role",
    "card_number",
    "source",
    "site_id",
    "incident_id",
    "text",
    "data",
    "corrects",
    "prev_hash",
    "hash",
)
# Cells a spreadsheet would run as formulas (CSV injection); shown with a leading quote.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian/Ubuntu fonts-dejavu-core
    Path("/usr/share/fonts/dejavu"),  # Fedora, Arch
    Path("/usr/local/share/fonts/dejavu"),
)


def _paris() -> ZoneInfo:
    return ZoneInfo("Europe/Paris")


def paris_time(at: datetime) -> str:
    return at.astimezone(_paris()).strftime("%d/%m/%Y %H:%M:%S")


def export_csv(entries: Iterable[LogEntry], stream: TextIO) -> int:
    """Write entries as CSV for Excel in French (UTF-8 with BOM, ``;``); return the count.

    Open ``stream`` with ``newline=""``. Streams: any number of entries.
    """
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow(
            [
                entry.id,
                paris_time(entry.at),
                format_time(entry.at),
                str(entry.kind),
                _cell(entry.author),
                _cell(entry.role),
                _cell(entry.card_number),
                _cell(entry.source),
                _cell(entry.site_id or ""),
                "" if entry.incident_id is None else entry.incident_id,
                _cell(entry.text),
                _cell(json.dumps(entry.data, sort_keys=True, ensure_ascii=False)),
                "" if entry.corrects is None else entry.corrects,
                entry.prev_hash,
                entry.hash,
            ]
        )
        count += 1
    return count


def _cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def find_unicode_font() -> tuple[Path, Path] | None:
    """DejaVu Sans and Sans Mono if the system has them (Debian: fonts-dejavu-core)."""
    for folder in _FONT_DIRS:
        sans, mono = folder / "DejaVuSans.ttf", folder / "DejaVuSansMono.ttf"
        if sans.is_file() and mono.is_file():
            return sans, mono
    return None


@dataclass(frozen=True, slots=True)
class PdfReport:
    """What a PDF export contains, for the caller to report."""

    entries: int
    pages: int
    first_hash: str | None
    last_hash: str | None
    unicode_font: bool


class PdfDocument(FPDF):
    def __init__(self, heading: list[str], fonts: tuple[Path, Path] | None) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.heading = heading
        self.unicode = fonts is not None
        if fonts is not None:
            self.add_font("Sans", "", fonts[0])
            self.add_font("Mono", "", fonts[1])
            self.sans, self.mono = "Sans", "Mono"
        else:
            self.sans, self.mono = "Helvetica", "Courier"
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(12, 12, 12)

    def text_of(self, value: str) -> str:
        """Core PDF fonts only know Latin-1 — enough for French accents, not for the rest."""
        if self.unicode:
            return value
        for wide, narrow in _LATIN1.items():
            value = value.replace(wide, narrow)
        return value.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        self.set_font(self.sans, size=13)
        self.cell(0, 7, self.text_of(self.heading[0]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.sans, size=9)
        self.cell(0, 5, self.text_of(self.heading[1]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(self.mono, size=7)
        for line in self.heading[2:]:
            self.cell(0, 4, self.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.sans, size=8)
        self.cell(0, 5, f"page {self.page_no()}/{{nb}}", align="R")


_LATIN1 = {"’": "'", "‘": "'", "“": '"', "”": '"', "œ": "oe", "Œ": "OE", "€": "EUR"}
_LATIN1 |= {"…": "...", "–": "-", "—": "-", "\u202f": " "}


def export_pdf(
    entries: Iterable[LogEntry],
    path: Path | BinaryIO,
    title: str,
    period: str,
    *,
    station: str = "Vigie",
    generated_at: datetime | None = None,
    fonts: tuple[Path, Path] | None = None,
    system_fonts: bool = True,
) -> PdfReport:
    """A printable main courante; its header names the first and last hash of the period
    so that a paper copy can be checked against the database.

    ``fonts`` (sans, mono TTF) default to the system's DejaVu; without them (or with
    ``system_fonts=False``) the PDF core fonts print Latin-1, French accents included.
    """
    listed = list(entries)  # the header needs the last hash before the first page
    if fonts is None and system_fonts:
        fonts = find_unicode_font()
    first = listed[0].hash if listed else None
    last = listed[-1].hash if listed else None
    heading = [
        f"{station} — {title}",
        f"Période : {period} — {len(listed)} entrée(s)"
        + (f" — édité le {paris_time(generated_at)}" if generated_at else ""),
        f"Premier hash : {first or '-'}",
        f"Dernier hash : {last or '-'}",
    ]
    pdf = PdfDocument(heading, fonts)
    pdf.add_page()
    for entry in listed:
        _entry(pdf, entry)
    if not listed:
        pdf.set_font(pdf.sans, size=10)
        pdf.cell(0, 6, pdf.text_of("Aucune entrée sur la période."))
    pages = pdf.pages_count
    if isinstance(path, Path):
        pdf.output(str(path))
    else:
        path.write(bytes(pdf.output()))
    return PdfReport(len(listed), pages, first, last, fonts is not None)


def _entry(pdf: PdfDocument, entry: LogEntry) -> None:
    who = f"{entry.author} ({entry.role}"
    who += f", carte {entry.card_number})" if entry.card_number else ")"
    if entry.source:
        who += f" depuis {entry.source}"
    where = []
    if entry.site_id:
        where.append(f"site {entry.site_id}")
    if entry.incident_id is not None:
        where.append(f"incident {entry.incident_id}")
    if entry.corrects is not None:
        where.append(f"corrige l'entrée {entry.corrects}")
    line = f"n° {entry.id}  {paris_time(entry.at)}  [{entry.kind}]  {who}"
    if where:
        line += "  — " + ", ".join(where)
    pdf.set_font(pdf.sans, size=8)
    pdf.multi_cell(0, 4, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.sans, size=10)
    pdf.multi_cell(0, 5, pdf.text_of(entry.text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if entry.data:
        pdf.set_font(pdf.mono, size=7)
        data = json.dumps(entry.data, sort_keys=True, ensure_ascii=False)
        pdf.multi_cell(0, 3.5, pdf.text_of(data), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.mono, size=6)
    pdf.set_text_color(110)
    pdf.multi_cell(
        0,
        3,
        f"UTC {format_time(entry.at)}  prev {entry.prev_hash}  hash {entry.hash}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_text_color(0)
    pdf.ln(1.5)
