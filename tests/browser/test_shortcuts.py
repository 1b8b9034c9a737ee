"""The incident page's keyboard shortcuts (issue 4 §8), shown in ``#shortcuts``: D marks
the first open step done, A goes to the next contact's call form, C to the close form's
comment, Esc back to the queue; ignored while typing."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.conftest import require_playwright
from tests.browser.test_console import LIVE, ROWS, on_console, panel
from tests.support.station import ProcessStation

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

STEP = "ol#procedure > li[data-step]"


def test_incident_page_shortcuts(open_page: Callable[[str], Page], station: ProcessStation) -> None:
    alice = open_page("alice")
    on_console(alice, "alice")
    panel(station, "1001").send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
    row = alice.locator(f'{ROWS}[data-site="BOUL-MARTIN"]')
    expect(row).to_have_count(1, timeout=5_000)
    incident = row.get_attribute("data-incident")
    row.locator("a.open").click()
    alice.wait_for_url(re.compile(rf"/console/incidents/{incident}$"))
    expect(alice.locator(LIVE)).to_be_attached(timeout=5_000)
    alice.locator("button#claim").click()
    expect(alice.locator("#incident-state")).to_have_attribute("data-state", "claimed")
    expect(alice.locator("#shortcuts")).to_contain_text("D")
    expect(alice.locator("a#evidence")).to_have_attribute(
        "href", f"/api/v1/incidents/{incident}/evidence.pdf"
    )

    # typing a D in a note is only typing
    note = alice.locator(f'{STEP}[data-step="1"] input[name=note]')
    note.fill("")
    note.press("D")
    expect(note).to_have_value("D")
    expect(alice.locator(f'{STEP}[data-step="1"]')).to_have_attribute("data-status", "open")
    note.fill("")
    note.evaluate("element => element.blur()")

    # D: step 1 done
    with alice.expect_navigation():
        alice.keyboard.press("d")
    expect(alice.locator(f'{STEP}[data-step="1"]')).to_have_attribute("data-status", "done")
    expect(alice.locator(f'{STEP}[data-step="2"]')).to_have_attribute("data-status", "open")

    # A: the first contact's call form; C: the close comment
    first = alice.locator("ul#contacts > li[data-contact]").first
    alice.keyboard.press("a")
    expect(first.locator("form.call select[name=result]")).to_be_focused()
    alice.evaluate("() => document.activeElement && document.activeElement.blur()")
    alice.keyboard.press("c")
    expect(alice.locator("#close-form textarea[name=comment]")).to_be_focused()
    alice.evaluate("() => document.activeElement && document.activeElement.blur()")

    # Esc: back to the queue
    with alice.expect_navigation(url=re.compile(r"/console$")):
        alice.keyboard.press("Escape")
