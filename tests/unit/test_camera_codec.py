"""Cameras in the register file: round trip, errors naming the field and the line."""

from __future__ import annotations

import json
from datetime import time
from pathlib import Path
from typing import Any

import pytest

from vigie.domain.register_set import RegisterInvalid
from vigie.domain.video import Camera, LineRule, RuleSchedule, ZoneRule
from vigie.services.camera_codec import (
    camera_to_dict,
    cameras_from_csv,
    cameras_from_data,
    cameras_to_csv,
    parse_cameras_json,
)
from vigie.services.register_io import parse_register_json

EXAMPLE = Path(__file__).parents[2] / "examples" / "register.json"

FULL = Camera(
    id="PHARMA-01-CAM1",
    site_id="PHARMA-01",
    name="Entrée officine",
    main_url="rtsp://10.0.0.20:554/main",
    sub_url="rtsp://10.0.0.20:554/sub",
    username="viewer",
    password="s3cret",
    zones=("1", "2"),
    retention_days=15,
    privacy_masks=(((0.7, 0.0), (1.0, 0.0), (1.0, 0.3)),),
    zone_rules=(
        ZoneRule(
            "porte",
            ((0.1, 0.2), (0.4, 0.2), (0.4, 0.9)),
            person=True,
            schedules=(RuleSchedule(time(20), time(7), (0, 1, 2, 3, 4)),),
        ),
    ),
    line_rules=(LineRule("seuil", (0.0, 0.5), (1.0, 0.5), "left_to_right"),),
    person_detection=True,
)


def test_round_trip_with_credentials() -> None:
    (back,) = cameras_from_data([camera_to_dict(FULL, credentials=True)])
    assert back == FULL


def test_export_shape_has_no_password() -> None:
    data = camera_to_dict(FULL)
    assert "password" not in data and data["has_password"] is True
    (back,) = cameras_from_data([data])  # an export can be imported again
    assert back.password == ""


def _errors(items: list[Any]) -> list[str]:
    with pytest.raises(RegisterInvalid) as refused:
        cameras_from_data(items)
    return [f"{e.path}: {e.message}" for e in refused.value.errors]


def test_errors_name_the_camera_and_the_field() -> None:
    good = {"id": "C", "site_id": "S", "name": "N", "main_url": "rtsp://h/1"}
    assert _errors([good, good, dict(good, retention_days=31)]) == [
        "cameras[2].retention_days: expected 1 to 30 days (CSI L252-5)"
    ]
    assert _errors([dict(good, main_url="ftp://x", colour="red")]) == [
        "cameras[0].colour: unknown field",
        "cameras[0].main_url: expected an rtsp:// or http:// address",
    ]
    assert _errors([dict(good, privacy_masks=[[[0, 0], [2, 0], [1, 1]]])]) == [
        "cameras[0].privacy_masks: expected points with x and y between 0 and 1"
    ]
    assert _errors([dict(good, zone_rules=[{"name": "z", "polygon": [[0, 0], [1, 0]]}])]) == [
        "cameras[0].zone_rules[0].polygon: expected at least 3 points"
    ]


def test_json_errors_carry_their_line() -> None:
    text = json.dumps(
        {
            "cameras": [
                {
                    "id": "C",
                    "site_id": "S",
                    "name": "N",
                    "main_url": "rtsp://h",
                    "retention_days": 60,
                }
            ]
        },
        indent=2,
    )
    with pytest.raises(RegisterInvalid) as refused:
        parse_cameras_json(text)
    (error,) = refused.value.errors
    assert error.path == "cameras[0].retention_days"
    assert error.line is not None and "60" in text.splitlines()[error.line - 1]


def test_the_register_import_checks_cameras_and_their_site() -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    site = data["sites"][0]["id"]
    data["cameras"] = [
        {"id": "C1", "site_id": site, "name": "N", "main_url": "rtsp://h/1"},
        {"id": "C2", "site_id": "NOWHERE", "name": "N", "main_url": "rtsp://h/2"},
    ]
    with pytest.raises(RegisterInvalid) as refused:
        parse_register_json(json.dumps(data), hasher=lambda word: "h:" + word)
    assert [(e.path, e.message) for e in refused.value.errors] == [
        ("cameras[1].site_id", "expected a known site, got 'NOWHERE'")
    ]
    data["cameras"][1]["retention_days"] = 90
    with pytest.raises(RegisterInvalid) as refused:
        parse_register_json(json.dumps(data), hasher=lambda word: "h:" + word)
    assert "cameras[1].retention_days" in [e.path for e in refused.value.errors]
    del data["cameras"][1]
    parse_register_json(json.dumps(data), hasher=lambda word: "h:" + word)


def test_csv_round_trip_and_line_numbers() -> None:
    text = cameras_to_csv([FULL])
    (back,) = cameras_from_csv(text)
    assert (back.id, back.zones, back.retention_days, back.password) == (
        FULL.id, FULL.zones, 15, "",
    )  # fmt: skip
    bad = text + "C2,S,N,rtsp,rtsp://h,,,,,45,5.0,false,true\n"
    with pytest.raises(RegisterInvalid) as refused:
        cameras_from_csv(bad)
    (error,) = refused.value.errors
    assert (error.line, error.path) == (3, "retention_days")
