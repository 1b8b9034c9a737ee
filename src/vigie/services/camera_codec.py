"""Cameras as JSON and CSV: the ``cameras`` section of the register file, the API bodies.

Decoding collects every error with its path (``cameras[2].retention_days: expected 1 to
30 days (CSI L252-5)``) and, for a JSON text, its line, like the rest of the register
import. Credentials: an export never writes a password; an import may carry one in clear
(``password``), which the store encrypts at once.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import time
from typing import Any

from vigie.domain.register_codec import Problems
from vigie.domain.register_set import RegisterError, RegisterInvalid
from vigie.domain.video import (
    Camera,
    LineRule,
    Polygon,
    RuleSchedule,
    StreamKind,
    ZoneRule,
)
from vigie.services.json_lines import json_line_map, line_of

__all__ = [
    "CSV_FIELDS",
    "camera_from_dict",
    "camera_to_dict",
    "cameras_from_csv",
    "cameras_from_data",
    "cameras_to_csv",
    "check_sites",
    "parse_cameras_json",
]

_TEXTS: tuple[str, ...] = ("id", "site_id", "name", "main_url", "sub_url", "username")
_TEXTS += ("password", "onvif_url", "frigate_name")
_SCALARS: dict[str, type] = dict.fromkeys(_TEXTS, str) | {
    "analysis_fps": float,
    "keyframes_only": bool,
    "retention_days": int,
    "person_detection": bool,
    "pre_alarm_seconds": int,
    "post_alarm_seconds": int,
    "enabled": bool,
}
_MASKS = ("privacy_masks", "osd_masks", "motion_masks")
# ``has_password``: what an export shows; ignored on the way in.
_KNOWN = set(_SCALARS) | set(_MASKS) | {"kind", "zones", "zone_rules", "line_rules", "has_password"}
CSV_FIELDS = (
    "id", "site_id", "name", "kind", "main_url", "sub_url", "username", "onvif_url", "zones",
    "retention_days", "analysis_fps", "person_detection", "enabled",
)  # fmt: skip


# --- encoding ---------------------------------------------------------------------------


def _poly(polygon: Polygon) -> list[list[float]]:
    return [[x, y] for x, y in polygon]


def _schedules(schedules: Iterable[RuleSchedule]) -> list[dict[str, Any]]:
    return [
        {
            "start": s.start.strftime("%H:%M"),
            "end": s.end.strftime("%H:%M"),
            "weekdays": list(s.weekdays),
        }
        for s in schedules
    ]


def camera_to_dict(camera: Camera, *, credentials: bool = False) -> dict[str, Any]:
    """A camera as plain JSON. ``credentials`` adds username and clear password (never
    for the API or a file export: the store uses it to encrypt them)."""
    data: dict[str, Any] = {
        "id": camera.id,
        "site_id": camera.site_id,
        "name": camera.name,
        "kind": str(camera.kind),
        "main_url": camera.main_url,
        "sub_url": camera.sub_url,
        "username": camera.username,
        "onvif_url": camera.onvif_url,
        "zones": list(camera.zones),
        "analysis_fps": camera.analysis_fps,
        "keyframes_only": camera.keyframes_only,
        "retention_days": camera.retention_days,
        "privacy_masks": [_poly(p) for p in camera.privacy_masks],
        "osd_masks": [_poly(p) for p in camera.osd_masks],
        "motion_masks": [_poly(p) for p in camera.motion_masks],
        "zone_rules": [
            {
                "name": r.name,
                "polygon": _poly(r.polygon),
                "min_area": r.min_area,
                "min_duration": r.min_duration,
                "person": r.person,
                "schedules": _schedules(r.schedules),
            }
            for r in camera.zone_rules
        ],
        "line_rules": [
            {
                "name": r.name,
                "a": list(r.a),
                "b": list(r.b),
                "direction": r.direction,
                "schedules": _schedules(r.schedules),
            }
            for r in camera.line_rules
        ],
        "person_detection": camera.person_detection,
        "frigate_name": camera.frigate_name,
        "pre_alarm_seconds": camera.pre_alarm_seconds,
        "post_alarm_seconds": camera.post_alarm_seconds,
        "enabled": camera.enabled,
    }
    if credentials:
        data["password"] = camera.password
    else:
        data["has_password"] = bool(camera.password)
    return data


# --- decoding ---------------------------------------------------------------------------


class _Bad(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


_EXPECTED = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}


def _scalar(value: Any, kind: type, path: str) -> Any:
    if kind in (bool, str):
        ok = isinstance(value, kind)
    else:  # a JSON number; a whole one for an int
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and (kind is float or isinstance(value, int))
    if not ok:
        raise _Bad(path, f"expected {_EXPECTED[kind]}")
    return float(value) if kind is float else value


def _point(value: Any, path: str) -> tuple[float, float]:
    if (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    ):
        return (float(value[0]), float(value[1]))
    raise _Bad(path, "expected a point [x, y]")


def _polygon(value: Any, path: str) -> Polygon:
    if not isinstance(value, list):
        raise _Bad(path, "expected a list of points [[x, y], ...]")
    return tuple(_point(p, f"{path}[{i}]") for i, p in enumerate(value))


def _zone_number(value: Any, path: str) -> str:
    number = isinstance(value, int) and not isinstance(value, bool)
    return str(value) if number else str(_scalar(value, str, path))


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(path, "expected a list")
    return value


def _hhmm(value: Any, path: str) -> time:
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        raise _Bad(path, "expected a time HH:MM") from None


def _schedule_list(value: Any, path: str) -> tuple[RuleSchedule, ...]:
    out = []
    for i, s in enumerate(_list(value, path)):
        where = f"{path}[{i}]"
        if not isinstance(s, Mapping):
            raise _Bad(where, "expected an object {start, end, weekdays}")
        days = tuple(
            _scalar(d, int, f"{where}.weekdays")
            for d in _list(s.get("weekdays", [0, 1, 2, 3, 4, 5, 6]), f"{where}.weekdays")
        )
        if any(not 0 <= d <= 6 for d in days):
            raise _Bad(f"{where}.weekdays", "expected days 0 (Monday) to 6 (Sunday)")
        out.append(
            RuleSchedule(
                _hhmm(s.get("start"), f"{where}.start"), _hhmm(s.get("end"), f"{where}.end"), days
            )
        )
    return tuple(out)


def _zone_rule(r: Any, path: str) -> ZoneRule:
    if not isinstance(r, Mapping):
        raise _Bad(path, "expected an object")
    return ZoneRule(
        name=_scalar(r.get("name", ""), str, f"{path}.name"),
        polygon=_polygon(r.get("polygon"), f"{path}.polygon"),
        min_area=_scalar(r.get("min_area", 0.005), float, f"{path}.min_area"),
        min_duration=_scalar(r.get("min_duration", 1.0), float, f"{path}.min_duration"),
        person=_scalar(r.get("person", False), bool, f"{path}.person"),
        schedules=_schedule_list(r.get("schedules", []), f"{path}.schedules"),
    )


def _line_rule(r: Any, path: str) -> LineRule:
    if not isinstance(r, Mapping):
        raise _Bad(path, "expected an object")
    return LineRule(
        name=_scalar(r.get("name", ""), str, f"{path}.name"),
        a=_point(r.get("a"), f"{path}.a"),
        b=_point(r.get("b"), f"{path}.b"),
        direction=_scalar(r.get("direction", "both"), str, f"{path}.direction"),
        schedules=_schedule_list(r.get("schedules", []), f"{path}.schedules"),
    )


def _rules(value: Any, path: str, problems: Problems, make: Any) -> tuple[Any, ...]:
    out = []
    for i, r in enumerate(_list(value, path)):
        built = problems.build(f"{path}[{i}]", lambda r=r, i=i: make(r, f"{path}[{i}]"))
        if built is not None:
            out.append(built)
    return tuple(out)


def camera_from_dict(data: Any, problems: Problems, path: str = "") -> Camera | None:
    """A camera from decoded JSON, or None with every problem added under ``path``."""

    def at(name: str) -> str:
        return f"{path}.{name}" if path else name

    if not isinstance(data, Mapping):
        problems.add(path or "(camera)", "expected an object")
        return None
    unknown = [str(key) for key in data if key not in _KNOWN]
    for key in unknown:
        problems.add(at(key), "unknown field")
    before = len(problems.errors)
    kwargs: dict[str, Any] = {}
    try:
        for name, kind in _SCALARS.items():
            if name in data:
                kwargs[name] = _scalar(data[name], kind, at(name))
        for name in ("id", "site_id", "name"):
            if name not in data:
                problems.add(at(name), "missing")
        kind_text = data.get("kind", "rtsp")
        if kind_text not in {k.value for k in StreamKind}:
            raise _Bad(at("kind"), "expected rtsp or mjpeg")
        kwargs["kind"] = StreamKind(kind_text)
        zones = _list(data.get("zones", []), at("zones"))
        kwargs["zones"] = tuple(_zone_number(z, at("zones")) for z in zones)
        for name in _MASKS:
            masks = _list(data.get(name, []), at(name))
            kwargs[name] = tuple(_polygon(m, f"{at(name)}[{i}]") for i, m in enumerate(masks))
        kwargs["zone_rules"] = _rules(
            data.get("zone_rules", []), at("zone_rules"), problems, _zone_rule
        )
        kwargs["line_rules"] = _rules(
            data.get("line_rules", []), at("line_rules"), problems, _line_rule
        )
    except _Bad as exc:
        problems.add(exc.path, exc.message)
    if len(problems.errors) > before:
        return None
    camera = problems.build(path, lambda: Camera(**kwargs))
    return None if unknown else camera


def check_sites(
    cameras: Sequence[Camera], site_ids: Iterable[str], prefix: str = "cameras"
) -> list[RegisterError]:
    """Cross-references: each camera's site exists; ids are unique."""
    known = set(site_ids)
    errors: list[RegisterError] = []
    seen: set[str] = set()
    for i, camera in enumerate(cameras):
        if camera.site_id not in known:
            errors.append(
                RegisterError(
                    f"{prefix}[{i}].site_id", f"expected a known site, got {camera.site_id!r}"
                )
            )
        if camera.id in seen:
            errors.append(
                RegisterError(
                    f"{prefix}[{i}].id", f"expected a unique id, {camera.id!r} is repeated"
                )
            )
        seen.add(camera.id)
    return errors


def cameras_from_data(items: Any, prefix: str = "cameras") -> list[Camera]:
    """The ``cameras`` list of a register; ``RegisterInvalid`` names every error."""
    if not isinstance(items, list):
        raise RegisterInvalid([RegisterError(prefix, "expected a list")])
    problems = Problems()
    cameras = [camera_from_dict(item, problems, f"{prefix}[{i}]") for i, item in enumerate(items)]
    if problems.errors:
        raise RegisterInvalid(problems.errors)
    return [c for c in cameras if c is not None]


def parse_cameras_json(text: str) -> list[Camera]:
    """The cameras of a register JSON file (its ``cameras`` list, or a bare list)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegisterInvalid(
            [RegisterError("(file)", f"not JSON: {exc.msg}", exc.lineno)]
        ) from None
    bare = isinstance(data, list)
    items = data if bare else data.get("cameras", []) if isinstance(data, dict) else None
    try:
        return cameras_from_data(items, "" if bare else "cameras")
    except RegisterInvalid as exc:
        lines = json_line_map(text)
        raise RegisterInvalid(
            RegisterError(e.path, e.message, e.line or line_of(lines, e.path)) for e in exc.errors
        ) from None


# --- CSV (one camera a line; rules and masks stay in JSON) --------------------------------


def cameras_to_csv(cameras: Iterable[Camera]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for camera in cameras:
        row = camera_to_dict(camera)
        row["zones"] = " ".join(camera.zones)
        writer.writerow({k: row[k] for k in CSV_FIELDS})
    return out.getvalue()


def _csv_value(name: str, text: str) -> Any:
    kind = _SCALARS.get(name, str)
    text = text.strip()
    if kind is bool:
        lowered = text.lower()
        if lowered in ("true", "1", "oui", "yes"):
            return True
        if lowered in ("false", "0", "non", "no", ""):
            return False
        raise _Bad(name, "expected true or false")
    if kind is int or kind is float:
        try:
            return kind(text.replace(",", ".") if kind is float else text)
        except ValueError:
            raise _Bad(name, "expected a number") from None
    return text


def cameras_from_csv(text: str) -> list[Camera]:
    """Cameras from a CSV with the ``CSV_FIELDS`` header; errors name the line and field."""
    reader = csv.DictReader(io.StringIO(text))
    unknown = [f for f in reader.fieldnames or [] if f not in CSV_FIELDS and f != "password"]
    if unknown:
        raise RegisterInvalid([RegisterError(f, "unknown column", 1) for f in unknown])
    errors: list[RegisterError] = []
    cameras: list[Camera] = []
    for row in reader:
        line = reader.line_num
        data: dict[str, Any] = {}
        try:
            for name, value in row.items():
                if not value or value.strip() == "":
                    continue
                if name == "zones":
                    data["zones"] = value.split()
                else:
                    data[name] = _csv_value(name, value)
        except _Bad as exc:
            errors.append(RegisterError(exc.path, exc.message, line))
            continue
        problems = Problems()
        camera = camera_from_dict(data, problems)
        errors += [RegisterError(e.path, e.message, line) for e in problems.errors]
        if camera is not None:
            cameras.append(camera)
    if errors:
        raise RegisterInvalid(errors)
    return cameras
