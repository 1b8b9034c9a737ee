"""The console's words, French first, English second: a small catalogue, no gettext.

``language`` picks ``?lang=`` when it names a known language, else the user's own
setting. ``refusal`` puts the domain's (English) refusal messages into the page's
language; an unknown message is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["LANGUAGES", "MESSAGES", "PARIS", "language", "paris_time", "refusal", "texts"]

PARIS = ZoneInfo("Europe/Paris")
LANGUAGES = ("fr", "en")

MESSAGES: dict[str, dict[str, str]] = {
    "fr": {
        "console": "Console",
        "queue": "File des incidents",
        "filter": "Filtrer (site, catégorie, opérateur)…",
        "take_next": "Prendre le suivant",
        "shortcuts": "Raccourcis : N = prendre le suivant · ↑/↓ = choisir · Entrée = ouvrir",
        "incident_shortcuts": (
            "Raccourcis : D = étape suivante faite · A = appeler le contact suivant"
            " · C = clore · Échap = retour à la file"
        ),
        "evidence": "Dossier de preuves (PDF)",
        "col_priority": "Prio.",
        "col_age": "Âge",
        "col_site": "Site",
        "col_category": "Catégorie",
        "col_count": "Alarmes",
        "col_state": "État",
        "col_holder": "Opérateur",
        "empty_queue": "Aucun incident ouvert.",
        "nothing_waiting": "Aucun incident en attente.",
        "live_connecting": "connexion…",
        "live_connected": "en direct",
        "sign_out": "Se déconnecter",
        "back": "← File",
        "incident": "Incident",
        "site": "Site",
        "kind": "Type",
        "address": "Adresse",
        "gps": "GPS",
        "access": "Accès",
        "dangers": "Dangers",
        "phone": "Téléphone",
        "zones": "Zones",
        "no_site": "Site inconnu (transmetteur non déclaré)",
        "timeline": "Chronologie",
        "restored": "retour au calme",
        "times": "fois",
        "procedure": "Consigne",
        "no_procedure": "Aucune consigne.",
        "mandatory": "obligatoire",
        "optional": "facultative",
        "done": "Fait",
        "not_applicable": "Sans objet",
        "note": "Note",
        "claim": "Prendre en charge",
        "release": "Remettre en file",
        "hold": "Mettre en attente",
        "hold_minutes": "durée de la mise en attente en minutes",
        "hold_reason": "motif (rappel du client attendu…)",
        "minutes": "min",
        "arming": "Mise en service",
        "partition": "groupe",
        "armed": "en service",
        "disarmed": "à l'arrêt",
        "by_user": "par l'utilisateur",
        "arming_unknown": "inconnue (aucune mise en service ou à l'arrêt reçue)",
        "close": "Clore",
        "outcome": "Issue",
        "comment": "Commentaire",
        "contacts": "Contacts (ordre d'appel)",
        "no_contacts": "Aucun contact.",
        "video": "Vidéo",
        "no_camera": "Aucune caméra",
        "video_soon": "vidéo à venir",
        "logbook": "Main courante",
        "state": "État",
        "holder": "Opérateur",
        "nobody": "personne",
        "by": "par",
        "not_found": "Incident introuvable.",
        "forbidden_work": "Droit requis : queue.work",
        "card_required": "carte professionnelle requise",
        "card_expired": "carte professionnelle expirée",
        "call": "Appel",
        "calls": "Appels",
        "no_calls": "Aucun appel.",
        "call_result": "Résultat",
        "word_heard": "Mot de passe entendu",
        "record_call": "Noter l'appel",
        "duress_banner": "Contrainte — prévenir la police",
        "dispatch": "Interventions",
        "dispatch_kind": "Qui",
        "provider": "Prestataire",
        "request": "Demander",
        "no_dispatch": "Aucune intervention.",
        "report": "Rapport",
        "back_to_normal": "Remise en service",
        "restored_all": "Alarmes rétablies",
        "rearmed": "Système remis en service",
        "system_checked": "Système vérifié",
        "save": "Enregistrer",
        "yes": "oui",
        "no": "non",
        "priority": "Priorité",
    },
    "en": {
        "console": "Console",
        "queue": "Incident queue",
        "filter": "Filter (site, category, operator)…",
        "take_next": "Take next",
        "shortcuts": "Shortcuts: N = take next · ↑/↓ = select · Enter = open",
        "incident_shortcuts": (
            "Shortcuts: D = next step done · A = call next contact · C = close"
            " · Esc = back to queue"
        ),
        "evidence": "Evidence bundle (PDF)",
        "col_priority": "Prio.",
        "col_age": "Age",
        "col_site": "Site",
        "col_category": "Category",
        "col_count": "Alarms",
        "col_state": "State",
        "col_holder": "Operator",
        "empty_queue": "No open incident.",
        "nothing_waiting": "No incident is waiting.",
        "live_connecting": "connecting…",
        "live_connected": "live",
        "sign_out": "Sign out",
        "back": "← Queue",
        "incident": "Incident",
        "site": "Site",
        "kind": "Kind",
        "address": "Address",
        "gps": "GPS",
        "access": "Access",
        "dangers": "Dangers",
        "phone": "Phone",
        "zones": "Zones",
        "no_site": "Unknown site (undeclared transmitter)",
        "timeline": "Timeline",
        "restored": "restored",
        "times": "times",
        "procedure": "Procedure",
        "no_procedure": "No procedure.",
        "mandatory": "mandatory",
        "optional": "optional",
        "done": "Done",
        "not_applicable": "Not applicable",
        "note": "Note",
        "claim": "Claim",
        "release": "Release",
        "hold": "Put on hold",
        "hold_minutes": "hold time in minutes",
        "hold_reason": "reason (waiting for the customer's call back…)",
        "minutes": "min",
        "arming": "Arming",
        "partition": "partition",
        "armed": "armed",
        "disarmed": "disarmed",
        "by_user": "by user",
        "arming_unknown": "unknown (no arming or disarming received)",
        "close": "Close",
        "outcome": "Outcome",
        "comment": "Comment",
        "contacts": "Contacts (call order)",
        "no_contacts": "No contact.",
        "video": "Video",
        "no_camera": "No camera",
        "video_soon": "video to come",
        "logbook": "Logbook",
        "state": "State",
        "holder": "Operator",
        "nobody": "nobody",
        "by": "by",
        "not_found": "No such incident.",
        "forbidden_work": "Permission needed: queue.work",
        "card_required": "professional card required",
        "card_expired": "professional card expired",
        "call": "Call",
        "calls": "Calls",
        "no_calls": "No call.",
        "call_result": "Result",
        "word_heard": "Password heard",
        "record_call": "Record the call",
        "duress_banner": "Duress — call the police",
        "dispatch": "Dispatches",
        "dispatch_kind": "Who",
        "provider": "Provider",
        "request": "Request",
        "no_dispatch": "No dispatch.",
        "report": "Report",
        "back_to_normal": "Back to normal",
        "restored_all": "Alarms restored",
        "rearmed": "System re-armed",
        "system_checked": "System checked",
        "save": "Save",
        "yes": "yes",
        "no": "no",
        "priority": "Priority",
    },
}

STATES: dict[str, dict[str, str]] = {
    "fr": {"waiting": "en attente", "claimed": "pris en charge", "on_hold": "mis de côté",
           "closed": "clos"},
    "en": {"waiting": "waiting", "claimed": "claimed", "on_hold": "on hold", "closed": "closed"},
}  # fmt: skip

KINDS: dict[str, dict[str, str]] = {
    "fr": {"holdup": "Agression / panique", "fire": "Incendie", "medical": "Médical",
           "intrusion": "Intrusion", "technical": "Technique", "tamper": "Autoprotection",
           "trouble": "Défaut", "supervision": "Test cyclique manquant",
           "schedule": "Horaires", "unknown_transmitter": "Transmetteur inconnu",
           "video": "Vidéo", "camera_fault": "Défaut caméra", "other": "Autre"},
    "en": {"holdup": "Hold-up / panic", "fire": "Fire", "medical": "Medical",
           "intrusion": "Intrusion", "technical": "Technical", "tamper": "Tamper",
           "trouble": "Trouble", "supervision": "Missing test signal",
           "schedule": "Schedule", "unknown_transmitter": "Unknown transmitter",
           "video": "Video", "camera_fault": "Camera fault", "other": "Other"},
}  # fmt: skip

OUTCOMES: dict[str, dict[str, str]] = {
    "fr": {"false_alarm_user": "Fausse alarme — erreur d'utilisateur",
           "false_alarm_technical": "Fausse alarme — défaut technique",
           "environmental": "Cause environnementale", "real_intrusion": "Intrusion avérée",
           "fire_confirmed": "Incendie confirmé", "holdup_confirmed": "Agression confirmée",
           "test": "Essai", "other": "Autre"},
    "en": {"false_alarm_user": "False alarm — user error",
           "false_alarm_technical": "False alarm — technical fault",
           "environmental": "Environmental cause", "real_intrusion": "Real intrusion",
           "fire_confirmed": "Fire confirmed", "holdup_confirmed": "Hold-up confirmed",
           "test": "Test", "other": "Other"},
}  # fmt: skip

ROLES: dict[str, dict[str, str]] = {
    "fr": {"operator": "opérateur", "supervisor": "chef de poste", "admin": "administrateur",
           "agent": "agent d'intervention", "customer": "client"},
    "en": {"operator": "operator", "supervisor": "supervisor", "admin": "administrator",
           "agent": "intervention agent", "customer": "customer"},
}  # fmt: skip

CALL_RESULTS: dict[str, dict[str, str]] = {
    "fr": {"reached": "joint", "no_answer": "pas de réponse", "voicemail": "messagerie",
           "secret_ok": "joint — mot de passe correct",
           "secret_wrong": "joint — mot de passe erroné",
           "duress": "Contrainte — prévenir la police"},
    "en": {"reached": "reached", "no_answer": "no answer", "voicemail": "voicemail",
           "secret_ok": "reached — password correct",
           "secret_wrong": "reached — wrong password",
           "duress": "Duress — call the police"},
}  # fmt: skip
DISPATCH_KINDS: dict[str, dict[str, str]] = {
    "fr": {"police": "Police / gendarmerie", "fire": "Pompiers", "provider": "Prestataire"},
    "en": {"police": "Police", "fire": "Fire brigade", "provider": "Provider"},
}
DISPATCH_STAGES: dict[str, dict[str, str]] = {
    "fr": {"requested": "demandé", "on_the_way": "en route", "on_site": "sur place",
           "finished": "terminé"},
    "en": {"requested": "requested", "on_the_way": "on the way", "on_site": "on site",
           "finished": "finished"},
}  # fmt: skip

STEP_STATUSES: dict[str, dict[str, str]] = {
    "fr": {"open": "à faire", "done": "fait", "not_applicable": "sans objet"},
    "en": {"open": "to do", "done": "done", "not_applicable": "not applicable"},
}

# The domain's refusals (English) in French, by pattern.
_REFUSALS_FR: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^incident is closed$"), "incident clos"),
    (re.compile(r"^incident is held by (.+), not (.+)$"), r"incident tenu par \1, pas par \2"),
    (re.compile(r"^incident is held by (.+)$"), r"incident tenu par \1"),
    (re.compile(r"^a hold must end in the future$"), "une mise de côté doit finir plus tard"),
    (re.compile(r"^a step can be marked done or not applicable$"),
     "une étape se marque « fait » ou « sans objet »"),
    (re.compile(r"^no step (\d+): the procedure has (\d+) steps$"),
     r"pas d'étape \1 : la consigne en a \2"),
    (re.compile(r"^a mandatory step set aside needs a note saying why$"),
     "une étape obligatoire mise « sans objet » demande une note qui dit pourquoi"),
    (re.compile(r"^closing needs a comment$"), "la clôture demande un commentaire"),
    (re.compile(r"^mandatory steps still open: (.+)$"),
     r"étapes obligatoires encore ouvertes : \1"),
    (re.compile(r"^no incident (\d+)$"), r"pas d'incident \1"),
    (re.compile(r"^a provider dispatch needs a provider$"),
     "une intervention de prestataire demande un prestataire"),
    (re.compile(r"^no provider (.+)$"), r"pas de prestataire \1"),
    (re.compile(r"^no contact (.+) for this site$"), r"pas de contact \1 pour ce site"),
    (re.compile(r"^contact (.+) has no secret word$"), r"le contact \1 n'a pas de mot de passe"),
    (re.compile(r"^a secret word is only heard from a reached contact$"),
     "un mot de passe ne s'entend que d'un contact joint"),
    (re.compile(r"^no dispatch (\d+): there are (\d+)$"),
     r"pas d'intervention \1 : il y en a \2"),
    (re.compile(r"^dispatch (\d+) is already (.+)$"), r"l'intervention \1 en est déjà à \2"),
    (re.compile(r"^a finished dispatch needs its report$"),
     "une intervention terminée demande son rapport"),
]  # fmt: skip


def language(asked: str | None, user_language: str | None) -> str:
    if asked in LANGUAGES:
        return str(asked)
    return user_language if user_language in LANGUAGES else "fr"


def texts(lang: str) -> Mapping[str, str]:
    return MESSAGES[lang]


def refusal(message: str, lang: str) -> str:
    if lang != "fr":
        return message
    for pattern, french in _REFUSALS_FR:
        if pattern.match(message):
            return pattern.sub(french, message).replace("par nobody", "par personne")
    return message


def paris_time(value: datetime | None, with_date: bool = False) -> str:
    if value is None:
        return ""
    shown = value.astimezone(PARIS)
    return shown.strftime("%d/%m/%Y %H:%M:%S" if with_date else "%H:%M:%S")
