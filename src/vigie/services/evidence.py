"""The evidence bundle of an incident (issue 4): a PDF for the préfecture or the police.

Calling the police for a property alarm needs the levée de doute first (CSI L613-6); the
bundle shows what was verified and when: the alarms, the video seen, the calls and their
results (the secret word itself is never kept, so never printed), the guard on site, the
dispatches, the procedure, the outcome, and the incident's main-courante entries with
their hashes so that each can be checked against the station's chain.

Times are shown in Europe/Paris. Images: none are attached yet (video is not connected);
alarms or steps that someday carry ``snapshots`` will be listed by file name.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from fpdf.enums import XPos, YPos

from vigie.domain.incidents import (
    CallResult,
    DispatchKind,
    Incident,
    Outcome,
    StepStatus,
)
from vigie.domain.logbook import LogEntry, LogKind
from vigie.domain.register import AlarmKind, Site, StepKind
from vigie.services.logbook import Actor, Logbook
from vigie.services.logbook_export import PdfDocument, find_unicode_font, paris_time

__all__ = ["NO_IMAGE", "Section", "evidence_pdf", "evidence_sections", "export_evidence"]

NO_IMAGE = "Aucune image jointe (vidéo non raccordée)"

_KINDS = {
    AlarmKind.HOLDUP: "Agression / panique",
    AlarmKind.FIRE: "Incendie",
    AlarmKind.MEDICAL: "Médical",
    AlarmKind.INTRUSION: "Intrusion",
    AlarmKind.VIDEO: "Vidéo",
    AlarmKind.CAMERA_FAULT: "Défaut caméra",
    AlarmKind.TECHNICAL: "Technique",
    AlarmKind.TAMPER: "Autoprotection",
    AlarmKind.TROUBLE: "Défaut",
    AlarmKind.UNKNOWN_TRANSMITTER: "Transmetteur inconnu",
    AlarmKind.SUPERVISION: "Test cyclique manquant",
    AlarmKind.SCHEDULE: "Horaires",
    AlarmKind.OTHER: "Autre",
}
_CALLS = {
    CallResult.REACHED: "joint",
    CallResult.NO_ANSWER: "pas de réponse",
    CallResult.VOICEMAIL: "messagerie",
    CallResult.SECRET_OK: "joint — mot de passe correct",
    CallResult.SECRET_WRONG: "joint — mot de passe erroné",
    CallResult.DURESS: "joint — mot de contrainte (personne sous contrainte)",
}
_DISPATCHES = {
    DispatchKind.PROVIDER: "Prestataire",
    DispatchKind.POLICE: "Police / gendarmerie",
    DispatchKind.FIRE: "Pompiers",
}
_OUTCOMES = {
    Outcome.FALSE_ALARM_USER: "Fausse alarme — erreur d'utilisateur",
    Outcome.FALSE_ALARM_TECHNICAL: "Fausse alarme — défaut technique",
    Outcome.ENVIRONMENTAL: "Cause environnementale",
    Outcome.REAL_INTRUSION: "Intrusion avérée",
    Outcome.FIRE_CONFIRMED: "Incendie confirmé",
    Outcome.HOLDUP_CONFIRMED: "Agression confirmée",
    Outcome.TEST: "Essai",
    Outcome.OTHER: "Autre",
}
_STEPS = {
    StepStatus.OPEN: "à faire",
    StepStatus.DONE: "fait",
    StepStatus.NOT_APPLICABLE: "sans objet",
}
_VERIFIED = {"video": "vidéo vue", "call": "appel concluant", "on_site": "agent sur place"}


@dataclass(frozen=True, slots=True)
class Section:
    """A titled part of the bundle; ``mono`` lines are hashes, printed in a fixed font."""

    title: str
    lines: tuple[str, ...]
    mono: tuple[str, ...] = ()


def _at(value: datetime | None) -> str:
    return paris_time(value) if value is not None else "-"


def evidence_sections(
    incident: Incident, site: Site | None, logbook_entries: Iterable[LogEntry]
) -> list[Section]:
    """What the bundle says, section by section (the PDF prints these in order)."""
    entries = list(logbook_entries)
    sections = [
        _site(incident, site),
        Section("Alarmes", tuple(_alarm_lines(incident)) or ("Aucune alarme.",)),
        Section("Levée de doute (CSI L613-6)", tuple(_verification_lines(incident))),
        Section("Interventions", tuple(_dispatch_lines(incident)) or ("Aucune intervention.",)),
        Section("Consigne", tuple(_step_lines(incident)) or ("Aucune étape de consigne.",)),
        Section("Issue", tuple(_outcome_lines(incident))),
        Section("Images", tuple(_image_lines(incident))),
    ]
    sections += [_entry_section(entry) for entry in entries]
    if not entries:
        sections.append(Section("Main courante", ("Aucune entrée de main courante.",)))
    return sections


def _site(incident: Incident, site: Site | None) -> Section:
    if site is None:
        return Section("Site", (f"Site : {incident.site_id or 'inconnu'}",))
    address = ", ".join(p for p in (site.address, f"{site.postcode} {site.city}".strip()) if p)
    lines = [f"Site : {site.name} ({site.id})"]
    if site.kind:
        lines.append(f"Type : {site.kind}")
    lines.append(f"Adresse : {address or '-'}")
    return Section("Site", tuple(lines))


def _alarm_lines(incident: Incident) -> list[str]:
    lines = []
    for alarm in incident.alarms:
        parts = [_KINDS.get(alarm.kind, alarm.kind.value), alarm.code, alarm.description]
        if alarm.zone:
            parts.append(
                f"zone {alarm.zone}" + (f" ({alarm.zone_label})" if alarm.zone_label else "")
            )
        if alarm.user_name or alarm.user:
            parts.append(alarm.user_name or f"utilisateur {alarm.user}")
        line = f"{_at(alarm.raised_at)} — " + " — ".join(p for p in parts if p)
        if alarm.count > 1:
            line += f" (×{alarm.count}, dernière le {_at(alarm.last_at)})"
        if alarm.restored_at is not None:
            line += f" — rétablie le {_at(alarm.restored_at)}"
        lines.append(line)
    return lines


def _verification_lines(incident: Incident) -> list[str]:
    found = incident.verifications()
    lines: list[str] = []
    if incident.raised_by_a_person:
        lines.append(
            "Alarme déclenchée par une personne (agression, panique ou médical) : "
            "les forces de l'ordre peuvent être appelées sans levée de doute préalable."
        )
    if found:
        lines.append("Levée de doute établie : " + ", ".join(_VERIFIED[f] for f in found) + ".")
    elif not incident.raised_by_a_person:
        lines.append("Levée de doute non établie.")
    videos = [
        s for s in incident.steps if s.kind is StepKind.VERIFY_VIDEO and s.status is StepStatus.DONE
    ]
    for step in videos:
        note = f" — {step.note}" if step.note else ""
        lines.append(f"Vidéo vue : le {_at(step.at)} par {step.by or '-'}{note}")
    if not videos:
        lines.append("Vidéo vue : non.")
    for call in incident.calls:
        note = f" — {call.note}" if call.note else ""
        lines.append(
            f"Appel : {_at(call.at)} — {call.contact_name} ({call.phone}) — "
            f"{_CALLS[call.result]} — par {call.by}{note}"
        )
    if not incident.calls:
        lines.append("Appels : aucun.")
    if incident.duress:
        lines.append("Personne sous contrainte signalée lors d'un appel.")
    guards = [d for d in incident.dispatches if d.kind is DispatchKind.PROVIDER]
    on_site = [d for d in guards if d.on_site_at is not None]
    for sent in on_site:
        lines.append(
            f"Agent sur place : {sent.provider_name or sent.provider_id or '-'} — "
            f"demandé le {_at(sent.requested_at)}, sur place le {_at(sent.on_site_at)}"
        )
    if not on_site:
        lines.append("Agent sur place : non.")
    return lines


def _dispatch_lines(incident: Incident) -> list[str]:
    lines = []
    for number, sent in enumerate(incident.dispatches, 1):
        who = _DISPATCHES[sent.kind] + (f" — {sent.provider_name}" if sent.provider_name else "")
        line = (
            f"{number}. {who} — demandé le {_at(sent.requested_at)} par {sent.by} — "
            f"en route {_at(sent.on_the_way_at)} — sur place {_at(sent.on_site_at)} — "
            f"terminé {_at(sent.finished_at)}"
        )
        if sent.report:
            line += f" — rapport : {sent.report}"
        lines.append(line)
    return lines


def _step_lines(incident: Incident) -> list[str]:
    lines = []
    for step in incident.steps:
        mandatory = "obligatoire" if step.mandatory else "facultative"
        line = (
            f"{step.number}. {step.text or step.kind.value} ({mandatory}) — {_STEPS[step.status]}"
        )
        if step.status is not StepStatus.OPEN:
            line += f" par {step.by or '-'} le {_at(step.at)}"
        if step.note:
            line += f" — {step.note}"
        lines.append(line)
    return lines


def _outcome_lines(incident: Incident) -> list[str]:
    lines = [f"Reçu le {_at(incident.opened_at)}, pris en charge le {_at(incident.claimed_at)}"]
    if incident.outcome is None:
        lines.append(f"Incident non clos (état : {incident.state.value}).")
    else:
        lines.append(
            f"Issue : {_OUTCOMES[incident.outcome]} — clos le {_at(incident.closed_at)} "
            f"par {incident.closed_by or '-'}"
        )
    if incident.comment:
        lines.append(f"Commentaire : {incident.comment}")
    btn = incident.back_to_normal
    if btn.by:
        lines.append(
            f"Remise en service : réarmé {'oui' if btn.rearmed else 'non'}, "
            f"système vérifié {'oui' if btn.checked else 'non'} — par {btn.by} le {_at(btn.at)}"
        )
    return lines


def _image_lines(incident: Incident) -> list[str]:
    """Snapshot files named by alarms or steps; none exist until video is connected."""
    names: list[str] = []
    for item in (*incident.alarms, *incident.steps):
        snapshots: Sequence[str] = getattr(item, "snapshots", ()) or ()
        names += [str(name) for name in snapshots]
    return [f"Image : {name}" for name in names] or [NO_IMAGE]


def _entry_section(entry: LogEntry) -> Section:
    head = f"Main courante n° {entry.id} — {paris_time(entry.at)} — {entry.author} ({entry.role})"
    return Section(head, (entry.text,), (f"hash {entry.hash}", f"prev {entry.prev_hash}"))


def evidence_pdf(
    incident: Incident,
    site: Site | None,
    logbook_entries: Iterable[LogEntry],
    *,
    station: str,
    generated_at: datetime,
    generated_by: str,
    fonts: tuple[Path, Path] | None = None,
    system_fonts: bool = True,
    compress: bool = True,
) -> bytes:
    """The bundle as PDF bytes. ``fonts`` (sans, mono TTF) default to the system's DejaVu;
    ``system_fonts=False`` prints with the PDF core fonts (Latin-1) and ``compress=False``
    leaves the text readable in the file (tests)."""
    entries = list(logbook_entries)
    if fonts is None and system_fonts:
        fonts = find_unicode_font()
    site_name = site.name if site is not None else (incident.site_id or "site inconnu")
    heading = [
        f"{station} — Dossier de preuves — incident n° {incident.id}",
        f"{site_name} — édité le {paris_time(generated_at)} par {generated_by}",
        f"{len(entries)} entrée(s) de main courante, vérifiables par leur hash "
        "contre la chaîne de la station",
    ]
    pdf = PdfDocument(heading, fonts)
    pdf.set_compression(compress)
    pdf.add_page()
    for section in evidence_sections(incident, site, entries):
        _print(pdf, section)
    return bytes(pdf.output())


def _print(pdf: PdfDocument, section: Section) -> None:
    if pdf.get_y() > pdf.h - pdf.b_margin - 20:
        pdf.add_page()  # a section's title is not left alone at the bottom of a page
    pdf.set_font(pdf.sans, size=11 if not section.mono else 8)
    pdf.multi_cell(0, 6, pdf.text_of(section.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.sans, size=9)
    for line in section.lines:
        pdf.multi_cell(0, 4.5, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if section.mono:
        pdf.set_font(pdf.mono, size=7)
        pdf.set_text_color(90)
        for line in section.mono:
            pdf.multi_cell(0, 3.5, pdf.text_of(line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0)
    pdf.ln(2)


def export_evidence(
    incident: Incident,
    site: Site | None,
    logbook: Logbook,
    actor: Actor,
    *,
    station: str,
) -> bytes:
    """The bundle of ``incident``, and a main-courante entry saying who exported it, when,
    and the SHA-256 of the very file handed over."""
    entries = logbook.search(incident_id=incident.id, limit=10_000)
    pdf = evidence_pdf(
        incident,
        site,
        entries,
        station=station,
        generated_at=logbook.now(),
        generated_by=actor.user,
    )
    digest = hashlib.sha256(pdf).hexdigest()
    logbook.record(
        LogKind.INCIDENT,
        f"Dossier de preuves de l'incident n°{incident.id} exporté (PDF) par {actor.user}",
        actor=actor,
        site_id=incident.site_id,
        incident_id=incident.id,
        data={"action": "evidence_export", "sha256": digest, "entries": len(entries)},
    )
    return pdf
