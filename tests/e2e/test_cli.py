"""The ``vigie`` command line and the HTTP API, as an operator uses them.

Every command runs as a real subprocess (``python -m vigie.entrypoints.cli``); the panel
simulator talks to a real ``vigie serve`` process over loopback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.station import IDENTITY, ProcessStation, free_port, start_process

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(90)]

KEY_HEX = "00112233445566778899AABBCCDDEEFF"
KEY_TEXT = "correct-horse-16"


def vigie(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vigie.entrypoints.cli", *args],
        capture_output=True, text=True, timeout=30, env=env,
    )  # fmt: skip


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return result.stdout + result.stderr


def test_transmitter_add_and_list_never_print_keys(sqlite_url: str) -> None:
    added = vigie("transmitter", "add", "1234", "--key-hex", KEY_HEX, "--label", "Agence",
                  "--db", sqlite_url)  # fmt: skip
    assert added.returncode == 0, _output(added)
    assert "1234" in added.stdout and "AES-128 (hex)" in added.stdout
    text = vigie("transmitter", "add", "ABCD", "--key-text", KEY_TEXT, "--db", sqlite_url)
    assert text.returncode == 0, _output(text)
    plain = vigie("transmitter", "add", "5678", "--ignore-timestamp", "--db", sqlite_url)
    assert plain.returncode == 0, _output(plain)

    listed = vigie("transmitter", "list", "--db", sqlite_url)
    assert listed.returncode == 0, _output(listed)
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()[1:-1]}
    assert set(lines) == {"1234", "ABCD", "5678"}
    assert "AES-128 (hex)" in lines["1234"] and "Agence" in lines["1234"]
    assert "AES-128 (text)" in lines["ABCD"]
    assert "none" in lines["5678"] and "ignored" in lines["5678"]
    assert "3 transmitter(s)" in listed.stdout
    for result in (added, text, plain, listed):
        out = _output(result)
        for secret in (KEY_HEX, KEY_HEX.lower(), KEY_TEXT, KEY_TEXT.encode().hex()):
            assert secret not in out, "a key was printed"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--key-hex", "00112233"], "32, 48 or 64 hex digits"),
        (["--key-hex", "Z" * 32], "only 0-9 and A-F"),
        (["--key-text", "short"], "16, 24 or 32 characters"),
        (["--key-hex", KEY_HEX, "--key-text", KEY_TEXT], "not both"),
    ],
    ids=["hex-length", "hex-digits", "text-length", "both"],
)
def test_bad_key_exits_2_with_a_clear_message(
    sqlite_url: str, args: list[str], reason: str
) -> None:
    result = vigie("transmitter", "add", "1234", *args, "--db", sqlite_url)
    assert result.returncode == 2, _output(result)
    assert reason in result.stderr
    assert "Traceback" not in _output(result)
    for secret in (KEY_HEX, KEY_TEXT, "Z" * 32):
        assert secret not in _output(result)
    assert "0 transmitter(s)" in vigie("transmitter", "list", "--db", sqlite_url).stdout


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[ProcessStation]:
    for args in (["1234", "--key-hex", KEY_HEX], ["5678"]):
        result = vigie("transmitter", "add", *args, "--db", sqlite_url)
        assert result.returncode == 0, _output(result)
    server = start_process(sqlite_url, tmp_path / "serve.log", trust_identity_headers=True)
    try:
        yield server
    finally:
        server.stop()


def _simulate(server: ProcessStation, *args: str) -> str:
    result = vigie("simulate", "panel", "--port", str(server.dc09_port), *args)
    assert result.returncode == 0, _output(result)
    return result.stdout


def test_simulated_panel_is_acked_and_served_by_the_api(served: ProcessStation) -> None:
    out = _simulate(served, "--account", "1234", "--event", "BA", "--zone", "3", "--tcp",
                    "--key-hex", KEY_HEX)  # fmt: skip
    assert "<- ACK" in out and '"*ACK"0001L0#1234[' in out
    assert KEY_HEX not in out
    out = _simulate(served, "--account", "1234", "--event", "FA", "--zone", "7", "--area", "2",
                    "--udp", "--key-hex", KEY_HEX)  # fmt: skip
    assert "<- ACK" in out
    out = _simulate(served, "--account", "5678", "--protocol", "ADM-CID", "--event", "130",
                    "--zone", "4", "--area", "1")  # fmt: skip
    assert "<- ACK" in out and '"ACK"0001L0#5678[]' in out

    api = served.http
    signals = httpx.get(
        f"{api}/api/v1/signals", params={"account": "1234"}, headers=IDENTITY, timeout=5
    ).json()
    assert [s["transport"] for s in signals] == ["udp", "tcp"]  # newest first
    udp, tcp = signals
    expected_keys = {
        "id", "received_at", "transport", "peer", "protocol", "encrypted", "sequence",
        "receiver", "prefix", "account", "events", "extended", "raw", "reply_kind", "duplicate",
    }  # fmt: skip
    assert expected_keys <= set(tcp)
    assert isinstance(tcp["id"], int) and udp["id"] > tcp["id"]
    assert tcp["received_at"].endswith("+00:00")
    assert tcp["peer"].startswith("127.0.0.1:")
    assert (tcp["protocol"], tcp["encrypted"], tcp["sequence"]) == ("SIA-DCS", True, "0001")
    assert (tcp["receiver"], tcp["prefix"], tcp["account"]) == (None, "0", "1234")
    assert tcp["reply_kind"] == "ACK" and tcp["duplicate"] is False
    assert tcp["raw"].startswith("\n") and '"*SIA-DCS"0001L0#1234[' in tcp["raw"]
    assert tcp["extended"] == []
    (event,) = tcp["events"]
    assert (event["code"], event["zone"], event["user"], event["area"]) == ("BA", "3", None, None)
    assert event["qualifier"] is None and event["category"] == "intrusion"
    assert event["description_fr"] and event["description_en"]
    assert event["description_fr"] != event["description_en"]
    (event,) = udp["events"]
    assert (event["code"], event["zone"], event["area"], event["category"]) == (
        "FA", "7", "2", "fire",
    )  # fmt: skip

    (cid,) = httpx.get(f"{api}/api/v1/signals?account=5678", headers=IDENTITY, timeout=5).json()
    assert (cid["protocol"], cid["encrypted"], cid["transport"]) == ("ADM-CID", False, "tcp")
    (event,) = cid["events"]
    assert (event["code"], event["qualifier"], event["zone"], event["area"]) == (
        "130", "1", "004", "01",
    )  # fmt: skip

    oldest_first = httpx.get(
        f"{api}/api/v1/signals", params={"order": "asc", "limit": 2}, headers=IDENTITY
    ).json()
    assert [s["id"] for s in oldest_first] == sorted(s["id"] for s in oldest_first)
    assert len(oldest_first) == 2

    health = httpx.get(f"{api}/healthz", timeout=5)
    assert health.status_code == 200 and health.json()["status"] == "ok"


BAD_QUERIES = [
    ({"limit": "0"}, "limit"),
    ({"limit": "abc"}, "limit"),
    ({"order": "sideways"}, "order"),
    ({"since": "yesterday"}, "since"),
    ({"account": "A" * 40}, "account"),
]


def test_bad_query_parameter_is_422_with_the_reason(served: ProcessStation) -> None:
    for params, field in BAD_QUERIES:
        response = httpx.get(
            f"{served.http}/api/v1/signals", params=params, headers=IDENTITY, timeout=5
        )
        assert response.status_code == 422, params
        detail = response.json()["detail"]
        assert any(field in item["loc"] and item["msg"] for item in detail), detail


def test_bad_port_setting_stops_serve_with_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, VIGIE_DC09_PORT="abc")
    result = vigie("serve", "--db", f"sqlite:///{tmp_path / 'v.db'}", "--host", "127.0.0.1",
                   "--http-port", str(free_port()), env=env)  # fmt: skip
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "dc09_port" in lines[0] and "VIGIE_DC09_PORT" in lines[0] and "'abc'" in lines[0]
    assert "Traceback" not in result.stderr
