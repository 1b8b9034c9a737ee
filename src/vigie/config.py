"""Vigie's settings: typed, checked once at start, from VIGIE_* variables and options.

A bad value stops the start with one line naming the field and what it expected
(design invariant 6): ``ConfigError`` carries that line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from vigie.domain.register import AlarmKind
from vigie.domain.video_disk import parse_min_free

__all__ = ["DEFAULT_DATABASE_URL", "ConfigError", "Settings", "load_settings"]

DEFAULT_DATABASE_URL = "sqlite:///var/vigie.db"


class ConfigError(Exception):
    """A setting is wrong; the message is the one line to show."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VIGIE_", extra="forbid", frozen=True)

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///path or postgresql+psycopg://user@host/db",
    )
    host: str = Field(default="0.0.0.0", description="address the listeners bind")
    dc09_port: int = Field(default=12000, ge=0, le=65535, description="DC-09 port (0: any free)")
    http_port: int = Field(default=8000, ge=0, le=65535, description="HTTP API port (0: any free)")
    listener_name: str = Field(default="", description="this receiver's name in the journal")
    advertise_url: str = Field(
        default="",
        description="base URL where the other nodes reach this process's HTTP API, e.g. "
        "http://10.0.0.12:8000 (scale-out live views); empty: http://host:http_port unless "
        "bound to every address",
    )
    max_connections: int = Field(default=5000, ge=1, description="open TCP connections at most")
    idle_timeout: float = Field(default=300.0, gt=0, description="seconds before an idle TCP close")
    max_frame_size: int = Field(default=1024, ge=64, le=65536, description="bytes per frame")
    timestamp_past: int = Field(default=40, ge=0, description="seconds a frame may be old")
    timestamp_future: int = Field(default=20, ge=0, description="seconds a frame may be ahead")
    duplicate_window: float = Field(
        default=600.0, ge=0, description="seconds in which an identical frame is a retransmission"
    )
    nak_bad_frames: bool = Field(
        default=True, description="NAK frames with a bad CRC or length (else drop silently)"
    )
    commit_batch: int = Field(default=500, ge=1, le=10000, description="frames per commit at most")
    processor: bool = Field(
        default=True,
        description="run the processing worker here (a receiver-only host sets false)",
    )
    flood_window: int = Field(
        default=300, ge=0, description="seconds in which a zone repeating is one alarm"
    )
    reminder_after: float = Field(
        default=30.0, gt=0, description="minutes before an unrestored alarm is recalled"
    )
    priorities: dict[str, int] = Field(
        default_factory=dict,
        description='priority by alarm kind, 1 = most urgent, e.g. {"fire": 1, "holdup": 2}',
    )
    escalate_after: float = Field(
        default=120.0, gt=0, description="seconds an incident may wait unclaimed before escalation"
    )
    transmitter_refresh: float = Field(
        default=2.0, gt=0, description="seconds between reloads of the transmitter list"
    )
    trust_identity_headers: bool = Field(
        default=False,
        description="take the user from X-Vigie-User/Role/Card (only behind an "
        "authenticating reverse proxy that sets them)",
    )

    console_poll: float = Field(
        default=10.0,
        gt=0,
        description="seconds between the consoles' whole re-reads of the queue, a safety net: "
        "changes made by this process wake them at once, and on PostgreSQL LISTEN/NOTIFY "
        "wakes them for changes made by the others",
    )
    video: bool = Field(
        default=True, description="run the camera workers here (a receiver-only host sets false)"
    )
    video_root: Path = Field(
        default=Path("var/video"),
        description="folder of recordings, snapshots, incident clips and exports",
    )
    segment_seconds: float = Field(
        default=10.0, ge=2, le=60, description="seconds per recorded segment"
    )
    video_loss_after: float = Field(
        default=10.0, ge=1, le=600, description="seconds without image before a video loss alarm"
    )
    video_min_free: str = Field(
        default="5%",
        description="free space kept on the video disk, a share (5%) or a size (2G); "
        "below it the oldest recordings not under a legal hold are deleted",
    )
    secret_key: str = Field(
        default="",
        description="Fernet key (base64) encrypting camera credentials; empty: a key file "
        "created beside the video folder",
    )
    person_model: Path | None = Field(
        default=None,
        description="person detector model file (ONNX YOLO, or Darknet .weights with "
        "person_config); none: OpenCV's HOG detector",
    )
    person_config: Path | None = Field(default=None, description="Darknet .cfg of the model")
    person_threshold: float = Field(default=0.5, gt=0, lt=1, description="person score")
    mqtt_url: str = Field(
        default="", description="mqtt://host:port of an NVR's broker (Frigate); empty: none"
    )
    frigate_topic: str = Field(default="frigate", description="Frigate's MQTT topic prefix")
    frigate_url: str = Field(
        default="", description="Frigate's HTTP address, for its snapshots and clips"
    )
    webhook_token: str = Field(
        default="", description="bearer token of POST /api/v1/video/events; empty: disabled"
    )
    onvif_events: bool = Field(
        default=False,
        description="subscribe to the ONVIF events (motion, tampering, image faults, video "
        "loss) of every enabled camera that has an ONVIF address",
    )

    @field_validator("person_model", "person_config")
    @classmethod
    def _model_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("an existing model file")
        return value

    @field_validator("video_min_free")
    @classmethod
    def _min_free(cls, value: str) -> str:
        parse_min_free(value)  # ValueError: the message says what is expected
        return value.strip()

    @field_validator("advertise_url")
    @classmethod
    def _advertise(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            return ""
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or len(value) > 255:
            raise ValueError("an http://host:port URL (at most 255 characters)")
        if parts.query or parts.fragment:
            raise ValueError("a base URL without ?query or #fragment")
        return value

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt(cls, value: str) -> str:
        if value and not value.startswith(("mqtt://", "mqtts://")):
            raise ValueError("an mqtt://host:port URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "sqlite+", "postgresql:", "postgresql+")):
            raise ValueError("a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("priorities")
    @classmethod
    def _known_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        kinds = {kind.value for kind in AlarmKind}
        unknown = sorted(set(value) - kinds)
        if unknown:
            raise ValueError(f"alarm kinds among {sorted(kinds)}, not {unknown}")
        if any(p < 1 for p in value.values()):
            raise ValueError("priorities of 1 or more")
        return value

    def advertised_url(self) -> str:
        """Where the other nodes reach this HTTP API: the setting, else the bind address
        when it is one address and the port is fixed, else "" (not reachable)."""
        if self.advertise_url:
            return self.advertise_url
        if self.host in ("", "0.0.0.0", "::") or self.http_port == 0:
            return ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.http_port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        _, _, path = self.database_url.partition(":///")
        return Path(path) if path and path != ":memory:" else None


def load_settings(**overrides: Any) -> Settings:
    """Build the settings; options given on the command line win over the environment."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc)) from None


def _one_line(exc: ValidationError) -> str:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "settings"
    env = f"VIGIE_{field.upper()}"
    message = first["msg"].removeprefix("Value error, ")
    got = first.get("input")
    return f"configuration error: {field} ({env}): {message}; got {got!r}"
