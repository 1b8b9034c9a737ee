"""The incident's work in a real browser (issue 4 §3): calls with the secret word, a guard
dispatched and on site, back to normal, the close; a duress answer reorders the other
operator's queue live.

DOM contract: ``ul#contacts > li[data-contact] form.call`` (``select[name=result]``,
``input[name=word]``), ``ol#calls > li[data-result]``, ``form#dispatch-form``
(``select[name=kind]``, ``select[name=provider_id]``),
``ol#dispatches > li[data-dispatch][data-stage]`` with ``button[data-stage]`` and
``textarea[name=report]``, ``section#back-to-normal`` (``input[name=rearmed]``,
``input[name=checked]``), ``#duress``, ``span#incident-priority[data-priority]``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.conftest import require_playwright
from tests.browser.test_console import LIVE, ROWS, fetch, on_console, panel
from tests.support.station import ProcessStation

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]


def _claimed_burglary(alice: Page, station: ProcessStation) -> str:
    """A burglary at the bakery (account 1001, zone 3), opened and claimed by alice."""
    panel(station, "1001").send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
    row = alice.locator(f'{ROWS}[data-site="BOUL-MARTIN"]')
    expect(row).to_have_count(1, timeout=5_000)
    incident = row.get_attribute("data-incident")
    assert incident
    row.locator("a.open").click()
    alice.wait_for_url(re.compile(rf"/console/incidents/{incident}$"))
    expect(alice.locator(LIVE)).to_be_attached(timeout=5_000)
    alice.locator("button#claim").click()
    expect(alice.locator("#incident-state")).to_have_attribute("data-state", "claimed")
    return incident


def _call(page: Page, contact: str, result: str, word: str = "") -> None:
    form = page.locator(f'ul#contacts > li[data-contact="{contact}"] form.call')
    form.locator("select[name=result]").select_option(result)
    form.locator("input[name=word]").fill(word)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_calls_guard_back_to_normal_and_close(
    open_page: Callable[[str], Page], station: ProcessStation
) -> None:
    alice = open_page("alice")
    on_console(alice, "alice")
    incident = _claimed_burglary(alice, station)

    # -- calls: nobody answers, then a wrong word, then the right one -------------------
    _call(alice, "C2", "no_answer")
    _call(alice, "C1", "reached", "Brioche")
    _call(alice, "C1", "reached", "pain d'epices")
    calls = alice.locator("ol#calls > li[data-result]")
    expect(calls).to_have_count(3)
    results = [calls.nth(i).get_attribute("data-result") for i in range(3)]
    assert results == ["no_answer", "secret_wrong", "secret_ok"]
    expect(alice.locator("#duress")).to_have_count(0)
    expect(alice.locator("span#incident-priority")).to_have_attribute("data-priority", "4")

    # -- a guard dispatched; on the way, on site -----------------------------------------
    form = alice.locator("form#dispatch-form")
    form.locator("select[name=kind]").select_option("provider")
    form.locator("select[name=provider_id]").select_option("PRESTA-RHONE-SECU")
    with alice.expect_navigation():
        form.locator("button[type=submit]").click()
    sent = alice.locator('ol#dispatches > li[data-dispatch="1"]')
    expect(sent).to_have_attribute("data-stage", "requested")
    expect(sent).to_contain_text("Rhône Sécurité Intervention")
    for stage in ("on_the_way", "on_site"):
        with alice.expect_navigation():
            sent.locator(f'button[data-stage="{stage}"]').click()
        expect(sent).to_have_attribute("data-stage", stage)
    expect(sent.locator('[data-time="on_site"]')).to_have_count(1)
    sent.locator("textarea[name=report]").fill("Porte forcée, site sécurisé par l'agent")
    with alice.expect_navigation():
        sent.locator('button[data-stage="finished"]').click()
    expect(sent).to_have_attribute("data-stage", "finished")
    expect(sent.locator("p.report")).to_contain_text("Porte forcée")

    # -- back to normal ------------------------------------------------------------------
    section = alice.locator("section#back-to-normal")
    section.locator("input[name=rearmed]").check()
    section.locator("input[name=checked]").check()
    with alice.expect_navigation():
        section.locator("button[type=submit]").click()
    expect(section.locator("input[name=rearmed]")).to_be_checked()
    expect(section.locator("input[name=checked]")).to_be_checked()

    # -- every step, then the close with an outcome ---------------------------------------
    steps = alice.locator("ol#procedure li[data-step]")
    for number in [steps.nth(i).get_attribute("data-step") for i in range(steps.count())]:
        step = alice.locator(f'ol#procedure li[data-step="{number}"]')
        step.locator("input[name=note]").fill("fait")
        step.locator('button[data-action="done"]').click()
        expect(alice.locator(f'ol#procedure li[data-step="{number}"]')).to_have_attribute(
            "data-status", "done"
        )
    close = alice.locator("form#close-form")
    close.locator("select[name=outcome]").select_option("real_intrusion")
    close.locator("textarea[name=comment]").fill("Intrusion réelle, agent sur place")
    close.locator("button[type=submit]").click()
    expect(alice.locator("#incident-state")).to_have_attribute("data-state", "closed")

    # -- the main courante: alice's calls and dispatch, never the word ---------------------
    entries = fetch(alice, "GET", f"/api/v1/logbook?incident={incident}&limit=1000")
    assert entries["status"] == 200, entries["text"]
    kinds = [e["kind"] for e in entries["json"]]
    assert kinds.count("call") == 3 and kinds.count("dispatch") == 4
    work = [e for e in entries["json"] if e["kind"] in ("call", "dispatch")]
    assert {e["author"] for e in work} == {"alice"}
    text = " ".join(e["text"] for e in entries["json"]).casefold()
    assert "brioche" not in text and "épices" not in text and "epices" not in text
    (closing,) = [e for e in entries["json"] if e["data"].get("action") == "close"]
    assert closing["data"]["back_to_normal"]["rearmed"] is True


def test_a_duress_answer_reorders_the_other_operators_queue(
    open_page: Callable[[str], Page], station: ProcessStation
) -> None:
    alice, bob = open_page("alice"), open_page("bob")
    on_console(alice, "alice")
    on_console(bob, "bob")
    incident = _claimed_burglary(alice, station)
    # then a fire at the warehouse (priority 2): first in bob's queue
    panel(station, "1004").send_msg("ADM-CID", {"code": 110, "q": 1, "zone": 6, "area": 2})
    rows = bob.locator(ROWS)
    expect(rows).to_have_count(2, timeout=5_000)
    expect(rows.nth(0)).to_have_attribute("data-site", "ENTREPOT-VENISSIEUX")
    expect(rows.nth(1)).to_have_attribute("data-incident", incident)

    _call(alice, "C1", "reached", "Baguette tradition")
    expect(alice.locator("#duress")).to_have_text("Contrainte — prévenir la police")
    expect(alice.locator("span#incident-priority")).to_have_attribute("data-priority", "1")
    expect(alice.locator("ol#calls > li[data-result]")).to_have_attribute("data-result", "duress")
    expect(alice.locator("ol#procedure li.urgent")).to_have_count(1)
    # bob's queue: the bakery now first, at priority 1, without reloading
    expect(rows.nth(0)).to_have_attribute("data-incident", incident, timeout=2_000)
    expect(rows.nth(0)).to_have_attribute("data-priority", "1")
    expect(rows.nth(1)).to_have_attribute("data-site", "ENTREPOT-VENISSIEUX")
