"""The operator console in a real browser (Debian Chromium, Playwright) against ``vigie serve``.

Written against the console's DOM contract: ``body[data-user][data-role][data-live]``,
``#queue-rows tr.incident[data-incident][data-priority][data-state][data-holder]``, the
incident page's ``#claim``, ``ol#procedure li[data-step][data-status]``, ``form#close-form``,
``#incident-state[data-state]``. Panels are my-dc09-spt; every wait has a deadline.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from my_dc09_spt import dc09_spt

from tests.browser.conftest import Problems, login, require_playwright
from tests.e2e.wire import HOST
from tests.support.pipeline import example_keys
from tests.support.station import ProcessStation

require_playwright()
from playwright.sync_api import Page, expect  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.timeout(60)]

SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshot-console.png"
LIVE = 'body[data-live="connected"]'
ROWS = "#queue-rows tr.incident"
BUDGET = 1.0  # seconds from the panel's ACK (or the click) to every operator's screen

# Records, in the page, when a selector first matches (epoch seconds, the machine's clock,
# so comparable with Python's time.time()). A MutationObserver, not polling: the time is
# the DOM change's, not the next poll's.
_WATCH = """([key, selector]) => {
  window.__seen = window.__seen || {};
  delete window.__seen[key];
  const check = () => {
    if (!(key in window.__seen) && document.querySelector(selector)) {
      window.__seen[key] = Date.now() / 1000;
    }
  };
  new MutationObserver(check).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true});
  check();
}"""

# fetch() from the page, as the console's own script would: session cookie + CSRF token.
_FETCH = """async ([method, url, body]) => {
  const me = await (await fetch('/api/v1/me')).json();
  const init = {method, headers: {'X-CSRF-Token': me.csrf_token}};
  if (body !== null) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(url, init);
  const text = await answer.text();
  let json = null;
  try { json = JSON.parse(text); } catch (e) {}
  return {status: answer.status, json, text};
}"""


def fetch(page: Page, method: str, url: str, body: Any = None) -> dict[str, Any]:
    answer: dict[str, Any] = page.evaluate(_FETCH, [method, url, body])
    return answer


def watch(page: Page, key: str, selector: str) -> None:
    page.evaluate(_WATCH, [key, selector])


def seen_at(page: Page, key: str, timeout: float = 5.0) -> float:
    """When the watched selector first matched (epoch seconds)."""
    page.wait_for_function(
        "key => window.__seen && key in window.__seen", arg=key, timeout=timeout * 1000
    )
    return float(page.evaluate("key => window.__seen[key]", key))


def panel(station: ProcessStation, account: str, transport: str = "TCP") -> Any:
    spt = dc09_spt.dc09_spt(account)
    spt.set_path("main", "primary", HOST, station.dc09_port, account=account,
                 key=example_keys().get(account), type=transport, line=0)  # fmt: skip
    return spt


def on_console(page: Page, name: str) -> None:
    login(page, name)
    expect(page.locator(LIVE)).to_be_attached(timeout=5_000)
    expect(page.locator("body")).to_have_attribute("data-user", name)


# -- 1. sign-in page and lock-out (works without the console) ---------------------------


def test_login_page_in_french_and_five_wrong_passwords_lock_the_account(
    open_page: Callable[[str], Page], problems: Problems
) -> None:
    # Refused sign-ins answer 401 on purpose: the browser logs them.
    problems.allow(r"HTTP 401: POST .*/login$")
    problems.allow(r"status of 401")
    page = open_page("bob")
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_title(re.compile("Connexion"))
    expect(page.locator("label[for=name]")).to_have_text("Identifiant")
    expect(page.locator("label[for=password]")).to_have_text("Mot de passe")
    expect(page.locator("button[type=submit]")).to_have_text("Se connecter")
    expect(page.locator("[role=alert]")).to_have_count(0)

    alert = page.locator("p.error[role=alert]")

    def attempt(password: str) -> None:
        page.fill("#name", "bob")
        page.fill("#password", password)
        with page.expect_navigation(url=re.compile(r"/login$")):
            page.click("button[type=submit]")

    for _ in range(4):
        attempt("not the password")
        expect(alert).to_have_text("identifiant ou mot de passe incorrect")
        expect(page.locator("#name")).to_have_value("bob")
    attempt("not the password")
    locked = re.compile(r"^compte verrouillé jusqu'à \d\d:\d\d$")
    expect(alert).to_have_text(locked)

    attempt("correct horse battery")  # the right password, too late
    expect(alert).to_have_text(locked)
    assert not page.url.endswith("/console")
    assert page.context.request.get("/api/v1/me").status == 401


# -- 2. an operator is no administrator ------------------------------------------------


def test_an_operator_cannot_use_administrator_functions(
    open_page: Callable[[str], Page], problems: Problems
) -> None:
    problems.allow(r"HTTP 403: PUT .*/api/v1/sites/BOUL-MARTIN$")
    problems.allow(r"status of 403")
    alice = open_page("alice")
    on_console(alice, "alice")
    expect(alice.locator("body")).to_have_attribute("data-role", "operator")

    site = fetch(alice, "GET", "/api/v1/sites/BOUL-MARTIN")  # reading is the console's
    assert site["status"] == 200, site["text"]
    body = dict(site["json"])  # as sent back: without the read-only fields
    body.pop("transmitters", None)
    for contact in body.get("contacts", []):
        contact.pop("has_secret_word", None)
        contact.pop("has_duress_word", None)
    refused = fetch(alice, "PUT", "/api/v1/sites/BOUL-MARTIN", body)
    assert refused["status"] == 403, refused["text"]
    assert refused["json"]["detail"] == "droit requis : register.edit"

    # The same request from an administrator goes through: the 403 was the role's.
    admin = open_page("admin")
    on_console(admin, "admin")
    accepted = fetch(admin, "PUT", "/api/v1/sites/BOUL-MARTIN", body)
    assert accepted["status"] == 200, accepted["text"]


# -- 3. two operators, one alarm --------------------------------------------------------


def test_two_operators_see_the_alarm_and_the_claim_live_and_one_closes_it(
    open_page: Callable[[str], Page], station: ProcessStation
) -> None:
    alice, bob = open_page("alice"), open_page("bob")
    on_console(alice, "alice")
    on_console(bob, "bob")
    expect(alice.locator(ROWS)).to_have_count(0)
    expect(bob.locator(ROWS)).to_have_count(0)

    # -- the alarm reaches both screens within a second of the panel's ACK -------------
    for page in (alice, bob):
        watch(page, "row", ROWS)
    panel(station, "1001").send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
    acked = time.time()  # send_msg returns once the receiver ACKed (it raises otherwise)
    delays = {name: seen_at(page, "row") - acked for name, page in (("alice", alice), ("bob", bob))}
    print(f"ACK -> row on screen: {delays}")
    assert all(delay < BUDGET for delay in delays.values()), delays

    row_a = alice.locator(ROWS)
    expect(row_a).to_have_count(1)
    incident = row_a.get_attribute("data-incident")
    assert incident and re.fullmatch(r"\d+", incident), incident
    expect(row_a).to_have_attribute("id", f"incident-{incident}")
    expect(row_a).to_have_attribute("data-state", "waiting")
    expect(row_a).to_have_attribute("data-site", "BOUL-MARTIN")
    expect(row_a).to_have_class(re.compile(r"\bprio-\d+\b"))
    row_b = bob.locator(f"#incident-{incident}")
    expect(row_b).to_have_count(1)
    expect(row_b).to_have_attribute("data-holder", "")  # nobody holds it yet

    # -- alice opens and claims it; bob sees the holder within a second ----------------
    row_a.locator("a.open").click()
    alice.wait_for_url(re.compile(rf"/console/incidents/{incident}$"))
    expect(alice.locator(LIVE)).to_be_attached(timeout=5_000)
    expect(alice.locator("#site-card")).to_be_visible()
    expect(alice.locator("ol#timeline li.alarm")).to_have_count(1)
    watch(bob, "held", f'#incident-{incident}[data-holder="alice"]')
    clicked = time.time()
    alice.locator("button#claim").click()
    held = seen_at(bob, "held") - clicked
    print(f"alice's click -> holder on bob's screen: {held:.3f} s")
    assert held < BUDGET, f"bob saw alice's claim after {held:.3f} s"
    expect(alice.locator("#incident-state")).to_have_attribute("data-state", "claimed")
    expect(alice.locator("#incident-holder")).to_contain_text("alice")
    expect(row_b.locator("span.holder")).to_contain_text("alice")

    # -- the procedure, every step done; then the close ----------------------------------
    steps = alice.locator("ol#procedure li[data-step]")
    numbers = [steps.nth(i).get_attribute("data-step") for i in range(steps.count())]
    assert numbers, "no procedure steps shown"
    for number in numbers:
        step = alice.locator(f'ol#procedure li[data-step="{number}"]')
        note = step.locator("input[name=note]")
        if note.count():
            note.fill("fait")
        step.locator('button[data-action="done"]').click()
        expect(alice.locator(f'ol#procedure li[data-step="{number}"]')).to_have_attribute(
            "data-status", "done"
        )

    form = alice.locator("form#close-form")
    form.locator("select[name=outcome]").select_option("false_alarm_user")
    form.locator("textarea[name=comment]").fill("Code erroné du gérant, mot de passe OK")
    form.locator("button[type=submit]").click()
    expect(alice.locator("#incident-state")).to_have_attribute("data-state", "closed")
    expect(row_b).to_have_count(0, timeout=2_000)

    # -- the main courante holds alice's steps -------------------------------------------
    entries = fetch(alice, "GET", f"/api/v1/logbook?incident={incident}&limit=1000")
    assert entries["status"] == 200, entries["text"]
    step_entries = [e for e in entries["json"] if e["data"].get("action") == "step"]
    assert sorted(str(e["data"]["step"]) for e in step_entries) == sorted(numbers)
    assert {e["author"] for e in step_entries} == {"alice"}
    actions = [e["data"].get("action") for e in entries["json"]]
    assert "claim" in actions and "close" in actions


# -- 4. the README's screenshot ---------------------------------------------------------


def test_console_screenshot_with_alarms_of_several_priorities(
    open_page: Callable[[str], Page],
    station: ProcessStation,
    problems: Problems,
    tmp_path: Path,
) -> None:
    chef = open_page("chef")
    on_console(chef, "chef")
    panel(station, "1003", "UDP").send_msg("SIA-DCS", {"code": "HA", "zone": 5, "area": 1})
    panel(station, "1004").send_msg("ADM-CID", {"code": 110, "q": 1, "zone": 6, "area": 2})
    panel(station, "1001").send_msg("SIA-DCS", {"code": "BA", "zone": 3, "area": 1})
    panel(station, "1002", "UDP").send_msg("SIA-DCS", {"code": "BA", "zone": 2, "area": 1})

    rows = chef.locator(ROWS)
    expect(rows).to_have_count(4, timeout=5_000)
    sites = [rows.nth(i).get_attribute("data-site") for i in range(4)]
    assert sites[:2] == ["BANQUE-PARTDIEU", "ENTREPOT-VENISSIEUX"], sites  # hold-up, fire first
    priorities = [int(rows.nth(i).get_attribute("data-priority") or "0") for i in range(4)]
    assert priorities == sorted(priorities) and len(set(priorities)) >= 3, priorities

    fire = rows.nth(1).get_attribute("data-incident")
    claimed = fetch(chef, "POST", f"/api/v1/incidents/{fire}/claim")
    assert claimed["status"] == 200, claimed["text"]
    expect(rows.nth(1)).to_have_attribute("data-holder", "chef")
    expect(rows.nth(1).locator("span.holder")).to_contain_text("chef")

    shot = tmp_path / "console.png"
    chef.screenshot(path=str(shot))
    problems.assert_none()  # only a console without errors goes into the README
    if os.environ.get("VIGIE_SCREENSHOT"):  # `make screenshot`: keeps `make test` read-only
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)
