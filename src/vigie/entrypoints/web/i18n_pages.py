"""The words of the main courante, handover and supervisor pages (French first).

``texts(lang)`` is the console's catalogue (``i18n``) with these words on top, so the
pages extending ``base.html`` find every word in one ``t``.
"""

from __future__ import annotations

from collections.abc import Mapping

from vigie.entrypoints.web import i18n

__all__ = ["PAGES", "refusal", "texts"]

PAGES: dict[str, dict[str, str]] = {
    "fr": {
        "nav_queue": "File",
        "nav_logbook": "Main courante",
        "nav_handover": "Relève",
        "nav_supervisor": "Supervision",
        "logbook": "Main courante",
        "search": "Rechercher",
        "reset": "Effacer",
        "f_site": "Site",
        "f_incident": "Incident",
        "f_author": "Auteur",
        "f_text": "Texte",
        "f_kind": "Type",
        "f_from": "Du",
        "f_to": "Au",
        "any_kind": "tous",
        "col_at": "Heure (Paris)",
        "col_author": "Auteur",
        "col_role": "Rôle",
        "col_site": "Site",
        "col_incident": "Incident",
        "col_kind": "Type",
        "col_text": "Texte",
        "corrects": "corrige l'entrée n°",
        "correct": "Corriger",
        "correction_text": "Texte de la correction",
        "add_entry": "Ajouter une entrée",
        "entry_text": "Texte",
        "save": "Enregistrer",
        "chain_ok": "chaîne intègre : {n} entrées",
        "chain_broken": "chaîne rompue à l'entrée n°{id} : {detail}",
        "export": "Exporter",
        "no_entries": "Aucune entrée.",
        "auto_refresh": "Mise à jour automatique toutes les 5 s.",
        "need_write": "droit requis : logbook.write",
        "need_text": "le texte est obligatoire",
        "no_entry": "pas d'entrée n°{id}",
        "bad_filter": "filtre refusé : {detail}",
        "handover": "Relève",
        "new_handover": "Nouvelle relève",
        "notes": "Consignes pour l'opérateur suivant",
        "write_handover": "Rédiger la relève",
        "handovers": "Relèves",
        "no_handovers": "Aucune relève.",
        "open_items": "Incidents ouverts ou en attente",
        "none_open": "aucun incident en cours",
        "written_by": "rédigée par {who} le {at}",
        "signed_by": "relève prise par {who} le {at}",
        "waiting_signature": "en attente de la signature de l'opérateur entrant",
        "sign": "Je prends la relève",
        "state_open": "ouverte",
        "state_signed": "signée",
        "supervisor": "Supervision",
        "holders": "Qui tient quoi",
        "escalations": "Incidents escaladés",
        "load": "Charge des opérateurs",
        "waiting_by_priority": "En attente par priorité",
        "col_holder": "Opérateur",
        "col_incidents": "Incidents",
        "col_escalated": "Escaladé à",
        "col_claimed": "Pris en charge",
        "col_closed_today": "Clos aujourd'hui",
        "col_to_claim": "Médiane jusqu'à prise en charge",
        "col_to_close": "Médiane jusqu'à clôture",
        "col_priority": "Priorité",
        "col_waiting": "En attente",
        "nobody_holds": "Aucun incident pris en charge.",
        "no_escalation": "Aucun incident escaladé.",
        "no_load": "Aucune activité aujourd'hui.",
        "nothing_waits": "Aucun incident en attente.",
    },
    "en": {
        "nav_queue": "Queue",
        "nav_logbook": "Logbook",
        "nav_handover": "Handover",
        "nav_supervisor": "Supervision",
        "logbook": "Logbook",
        "search": "Search",
        "reset": "Clear",
        "f_site": "Site",
        "f_incident": "Incident",
        "f_author": "Author",
        "f_text": "Text",
        "f_kind": "Kind",
        "f_from": "From",
        "f_to": "To",
        "any_kind": "any",
        "col_at": "Time (Paris)",
        "col_author": "Author",
        "col_role": "Role",
        "col_site": "Site",
        "col_incident": "Incident",
        "col_kind": "Kind",
        "col_text": "Text",
        "corrects": "corrects entry no. ",
        "correct": "Correct",
        "correction_text": "Correction text",
        "add_entry": "Add an entry",
        "entry_text": "Text",
        "save": "Save",
        "chain_ok": "chain intact: {n} entries",
        "chain_broken": "chain broken at entry {id}: {detail}",
        "export": "Export",
        "no_entries": "No entries.",
        "auto_refresh": "Refreshed every 5 s.",
        "need_write": "permission required: logbook.write",
        "need_text": "the text is required",
        "no_entry": "no entry {id}",
        "bad_filter": "filter refused: {detail}",
        "handover": "Handover",
        "new_handover": "New handover",
        "notes": "Notes for the next operator",
        "write_handover": "Write the handover",
        "handovers": "Handovers",
        "no_handovers": "No handovers.",
        "open_items": "Open or on-hold incidents",
        "none_open": "no incident in progress",
        "written_by": "written by {who} on {at}",
        "signed_by": "taken over by {who} on {at}",
        "waiting_signature": "waiting for the incoming operator's signature",
        "sign": "I take over",
        "state_open": "open",
        "state_signed": "signed",
        "supervisor": "Supervision",
        "holders": "Who holds what",
        "escalations": "Escalated incidents",
        "load": "Operators' load",
        "waiting_by_priority": "Waiting by priority",
        "col_holder": "Operator",
        "col_incidents": "Incidents",
        "col_escalated": "Escalated at",
        "col_claimed": "Claimed",
        "col_closed_today": "Closed today",
        "col_to_claim": "Median to claim",
        "col_to_close": "Median to close",
        "col_priority": "Priority",
        "col_waiting": "Waiting",
        "nobody_holds": "No incident is claimed.",
        "no_escalation": "No escalated incident.",
        "no_load": "No activity today.",
        "nothing_waits": "Nothing is waiting.",
    },
}

_REFUSALS_FR = {
    "the incoming operator must differ from the outgoing one": (
        "l'opérateur entrant doit être un autre que l'opérateur sortant"
    ),
}


def texts(lang: str) -> Mapping[str, str]:
    return {**i18n.texts(lang), **PAGES[lang]}


def refusal(message: str, lang: str) -> str:
    if lang != "fr":
        return message
    if message.startswith("handover already signed by "):
        return "relève déjà signée par " + message.removeprefix("handover already signed by ")
    return _REFUSALS_FR.get(message, message)
