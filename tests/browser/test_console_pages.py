"""The main courante, handover and supervisor pages in a real browser (Chromium,
Playwright) against ``vigie serve``.

DOM contract: ``table#holders|#escalations|#load``, ``form#handover-new``
(``textarea[name=notes]``), ``ol#handovers > li[data-handover][data-state]`` with
``button#sign-{id}``, ``table#logbook-table tbody tr[data-entry]``, ``form#logbook-add``,
``#chain-status[data-ok]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.conftest import Problems, login, require_playwright
from tests.browser.test_console import LIVE, ROWS, panel
from tests.support.station import ProcessStation

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]


def test_an_operator_gets_a_403_page_on_the_supervisor_view(
    open_page: Callable[[str], Page], problems: Problems
) -> None:
    problems.allow(r"HTTP 403: GET .*/console/supervisor$")
    problems.allow(r"status of 403 .*/console/supervisor\)$")
    alice = open_page("alice")
    login(alice, "alice")
    expect(alice.locator('a[href="/console/supervisor"]')).to_have_count(0)
    answer = alice.goto("/console/supervisor")
    assert answer is not None and answer.status == 403
    expect(alice.locator("#forbidden")).to_contain_text("supervise")
    expect(alice.locator("table#holders")).to_have_count(0)


def test_a_supervisor_sees_who_holds_what_after_a_claim(
    open_page: Callable[[str], Page], station: ProcessStation
) -> None:
    alice, chef = open_page("alice"), open_page("chef")
    login(alice, "alice")
    expect(alice.locator(LIVE)).to_be_attached(timeout=5_000)
    panel(station, "1001").send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
    row = alice.locator(ROWS)
    expect(row).to_have_count(1)
    incident = row.get_attribute("data-incident")
    assert incident
    alice.goto(f"/console/incidents/{incident}")
    alice.click("#claim")
    expect(alice.locator("#incident-state")).to_have_attribute("data-state", "claimed")

    login(chef, "chef")
    chef.click('a[href="/console/supervisor"]')
    expect(chef).to_have_url(re.compile(r"/console/supervisor$"))
    holder = chef.locator('table#holders tr[data-holder="alice"]')
    expect(holder).to_have_count(1)
    expect(holder.locator(f'a[data-incident="{incident}"]')).to_have_count(1)
    expect(chef.locator('table#load tr[data-operator="alice"] td.claimed')).to_have_text("1")


def test_a_handover_signed_by_both_and_the_main_courante(
    open_page: Callable[[str], Page],
) -> None:
    alice, bob = open_page("alice"), open_page("bob")
    login(alice, "alice")
    alice.goto("/console/handover")
    alice.fill("form#handover-new textarea[name=notes]", "Rappeler le gérant de la boulangerie")
    alice.click("form#handover-new button[type=submit]")
    item = alice.locator('ol#handovers > li[data-state="open"]').first
    expect(item).to_contain_text("Rappeler le gérant")
    number = item.get_attribute("data-handover")
    assert number
    expect(alice.locator(f"#sign-{number}")).to_have_count(0)  # not her own

    login(bob, "bob")
    bob.goto("/console/handover")
    bob.click(f"#sign-{number}")
    signed = bob.locator(f'ol#handovers > li[data-handover="{number}"]')
    expect(signed).to_have_attribute("data-state", "signed")
    expect(signed.locator('[data-signer="alice"]')).to_have_count(1)
    expect(signed.locator('[data-signer="bob"]')).to_have_count(1)

    alice.goto("/console/logbook?kind=handover")
    expect(alice.locator("#chain-status")).to_have_attribute("data-ok", "true")
    rows = alice.locator("table#logbook-table tbody tr[data-entry]")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("prend la relève")

    # a manual entry through the page; the 5 s refresh keeps it on bob's screen
    bob.goto("/console/logbook")
    alice.goto("/console/logbook")
    alice.fill("form#logbook-add textarea[name=text]", "Ronde extérieure faite, RAS")
    alice.click("form#logbook-add button[type=submit]")
    mine = alice.locator("table#logbook-table tbody tr[data-entry]").first
    expect(mine).to_contain_text("Ronde extérieure faite, RAS")
    expect(bob.locator("table#logbook-table tbody tr", has_text="Ronde extérieure")).to_have_count(
        1, timeout=8_000
    )
