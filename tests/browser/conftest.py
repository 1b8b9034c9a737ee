"""Browser fixtures: Debian's Chromium driven by Playwright (sync API), no pytest plugin.

* ``browser``: one Chromium for this package, launched from ``$CHROMIUM`` or
  ``/usr/bin/chromium`` (never ``playwright install``: webstack.md §1). Missing browser:
  the tests skip, unless ``CI`` is set, where they fail so a broken install is noticed.
  Package scope, not session: while Playwright's sync API is started, the main thread has
  a running event loop, and later tests calling ``asyncio.run()`` would fail.
* ``station``: a fresh SQLite database with ``examples/register.json`` and four users
  (``vigie user add``), served by ``vigie serve`` in its own process.
* ``open_page(name)``: a page in a browser context of its own for ``name`` (one context a
  user, so each has their own cookies); console errors, page errors and failed requests
  are recorded and must be none at teardown (``/favicon.ico`` aside).
* ``login(page, name)``: signs in through the real form.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.pipeline import import_example_register
from tests.support.station import ProcessStation, start_process
from vigie.adapters.db.engine import make_engine

try:
    from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
except ImportError:  # pragma: no cover - the test extra installs it
    sync_playwright = None  # type: ignore[assignment]

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Appended to Playwright's own flags (which already hold --no-sandbox, --disable-dev-shm-usage
# and a fresh --user-data-dir): no network but the loopback station.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}

PASSWORD = "correct horse battery"
USERS: dict[str, tuple[str, str | None]] = {  # name: (role, CNAPS card)
    "alice": ("operator", "CAR-069-2031-01-01-20190000001"),
    "bob": ("operator", "CAR-069-2031-01-01-20190000002"),
    "chef": ("supervisor", "CAR-069-2031-01-01-20190000003"),
    "admin": ("admin", None),
}
CARD_EXPIRY = "2099-12-31"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: the browser tests must run)", pytrace=False)
    pytest.skip(reason)


def require_playwright() -> None:
    """At a test module's import: skip it without Playwright (fail when ``CI`` is set)."""
    if sync_playwright is None:
        if os.environ.get("CI"):
            raise ImportError("playwright is not installed (pip install -e '.[test]')")
        pytest.skip("playwright is not installed", allow_module_level=True)


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if sync_playwright is None:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


# -- the station ------------------------------------------------------------------------


def _add_users(db_url: str) -> None:
    """``vigie user add`` for every user, the four processes side by side."""
    running = []
    for name, (role, card) in USERS.items():
        args = [sys.executable, "-m", "vigie.entrypoints.cli", "user", "add", name,
                "--role", role, "--password-stdin", "--db", db_url]  # fmt: skip
        if card is not None:
            args += ["--card", card, "--card-expiry", CARD_EXPIRY]
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        running.append((name, process))
    for name, process in running:
        output, _ = process.communicate(PASSWORD + "\n", timeout=60)
        assert process.returncode == 0, f"vigie user add {name}: {output}"


@pytest.fixture
def station(tmp_path: Path) -> Iterator[ProcessStation]:
    db_url = f"sqlite:///{tmp_path / 'vigie.db'}"
    engine = make_engine(db_url)
    import_example_register(engine)
    engine.dispose()
    _add_users(db_url)
    started = start_process(db_url, tmp_path / "serve.log")
    try:
        yield started
    finally:
        started.stop()


# -- pages, and what went wrong in them ------------------------------------------------


@dataclass
class Problems:
    """Console errors, uncaught exceptions and failed requests of every page of a test."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """An error this test provokes on purpose (e.g. the 401 of a refused sign-in)."""
        self.allowed.append(re.compile(pattern))

    def record(self, who: str, what: str) -> None:
        if "favicon.ico" in what or any(p.search(what) for p in self.allowed):
            return
        self.seen.append(f"[{who}] {what}")

    def watch(self, who: str, page: Page) -> None:
        def on_console(message: Any) -> None:
            if message.type == "error":
                where = message.location.get("url", "")
                self.record(who, f"console: {message.text} ({where})")

        def on_response(response: Any) -> None:
            if response.status >= 400:
                request = response.request
                self.record(who, f"HTTP {response.status}: {request.method} {request.url}")

        page.on("console", on_console)
        page.on("pageerror", lambda error: self.record(who, f"page error: {error}"))
        page.on(
            "requestfailed",
            lambda request: self.record(
                who, f"request failed: {request.method} {request.url} {request.failure}"
            ),
        )
        page.on("response", on_response)

    def assert_none(self) -> None:
        assert not self.seen, "browser problems:\n" + "\n".join(self.seen)


@pytest.fixture
def problems() -> Problems:
    return Problems()


@pytest.fixture
def open_page(
    browser: Browser, station: ProcessStation, problems: Problems
) -> Iterator[Callable[[str], Page]]:
    """``open_page(name)``: a fresh page in ``name``'s own browser context."""
    contexts: list[BrowserContext] = []

    def open_(name: str) -> Page:
        context = browser.new_context(
            base_url=station.http, viewport=VIEWPORT, locale="fr-FR", timezone_id="Europe/Paris"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.watch(name, page)
        return page

    yield open_
    try:
        problems.assert_none()
    finally:
        for context in contexts:
            context.close()


def login(page: Page, name: str, password: str = PASSWORD) -> None:
    """Sign in through the real form; returns on the console (``/console``)."""
    page.goto("/login")
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation(url=re.compile(r"/console$")):
        page.click("button[type=submit]")
