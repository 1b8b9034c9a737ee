from __future__ import annotations

import pytest

from vigie.config import ConfigError, load_settings


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings()
    assert (settings.dc09_port, settings.http_port) == (12000, 8000)
    assert settings.database_url == "sqlite:///var/vigie.db"
    assert (settings.timestamp_past, settings.timestamp_future) == (40, 20)


def test_environment_is_read_and_options_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_DC09_PORT", "15000")
    monkeypatch.setenv("VIGIE_HTTP_PORT", "9000")
    settings = load_settings(http_port=9100)
    assert (settings.dc09_port, settings.http_port) == (15000, 9100)


def test_a_bad_value_is_one_line_naming_the_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_DC09_PORT", "70000")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert "dc09_port (VIGIE_DC09_PORT)" in message and "65535" in message and "70000" in message


def test_an_unknown_database_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"database_url.*sqlite:/// or postgresql"):
        load_settings(database_url="mysql://x")


def test_priorities_are_configurable_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIE_PRIORITIES", '{"fire": 1, "holdup": 2}')
    assert load_settings().priorities == {"fire": 1, "holdup": 2}
    monkeypatch.setenv("VIGIE_PRIORITIES", '{"flood": 1}')
    with pytest.raises(ConfigError, match=r"priorities \(VIGIE_PRIORITIES\): alarm kinds among"):
        load_settings()
