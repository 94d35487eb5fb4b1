"""Duplicate households on the console's Review page, in a real browser: a lead of one team sees
the cross-team pair without the other team's answers and cannot decide it; an administrator
decides it, in English and in Ukrainian, with screenshots."""
from __future__ import annotations

import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from console_helpers import add_device, add_user, submit
from distributions import hub_cli
from rules import domain
from sync.server import duplicates, hub_decisions
from sync_helpers import LiveServer, make_hub
from tests.browser.test_console_browser import sign_in, wait_for
from tests.unit.distributions.test_review import HOUSEHOLDS


@pytest.fixture
def hub_pairs(tmp_path):
    hub = make_hub(tmp_path / "hub")
    add_device(hub, "laptop-north-01", "north")
    add_device(hub, "laptop-south-01", "south")
    now = int(time.time() * 1000)
    # N-1 and E-1 by north, S-7 and E-2 by south: two cross-team pairs; N-3 (the twin) never pairs.
    north = submit(hub, "laptop-north-01", "north", [HOUSEHOLDS[0], HOUSEHOLDS[2], HOUSEHOLDS[3]], form_id=None,
                   kind="household", at_ms=now)
    south = submit(hub, "laptop-south-01", "south", [HOUSEHOLDS[1], HOUSEHOLDS[4]], form_id=None, kind="household",
                   at_ms=now + 1000)
    hub_decisions.store_pairs(hub, hub_cli.hub_pairs(duplicates.households(hub)))
    add_user(hub, "olena.admin", "admin")
    add_user(hub, "iryna.lead", "lead", ["north"])
    with LiveServer(hub) as server:
        server.ids = {"N-1": north[0], "E-1": north[2], "S-7": south[0], "E-2": south[1]}
        yield server
    hub.close()


def test_a_cross_team_pair_is_decided_in_the_browser(browser, hub_pairs, shots):
    url, hub, ids = hub_pairs.url, hub_pairs.hub, hub_pairs.ids
    sign_in(browser, url, "iryna.lead")
    browser.get(url + "/console/review")
    page = wait_for(browser, "Duplicate households")
    assert browser.find_element(By.ID, "pair-count").text == "2"
    assert "Шевченко Олександр Петрович" in page and "Aleksandr Shevchenko" not in page
    assert "+380671234567" not in page and "its answers are not shown" in page
    assert not browser.find_elements(By.CSS_SELECTOR, "form.decide")  # a pair across two teams: not hers
    browser.find_element(By.ID, "logout").click()
    wait_for(browser, "signed out")

    sign_in(browser, url, "olena.admin")
    browser.get(url + "/console/review")
    page = wait_for(browser, "Duplicate households")
    assert "Aleksandr Shevchenko" in page and "names match across scripts" in page and "••••••" in page
    browser.save_screenshot(str(shots / "console-en-review-households.png"))
    form = next(f for f in browser.find_elements(By.CSS_SELECTOR, "form.decide")
                if f.find_element(By.NAME, "b").get_attribute("value") == ids["S-7"])
    Select(form.find_element(By.NAME, "verdict")).select_by_value("same")
    Select(form.find_element(By.NAME, "keep")).select_by_value(ids["N-1"])
    form.find_element(By.NAME, "reason").send_keys("Moved south and registered again")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_for(browser, "Decided: same.")
    assert browser.find_element(By.ID, "pair-count").text == "1"
    held = hub.records()
    assert held[ids["S-7"]]["fields"][domain.LINK_FIELD] == ids["N-1"]
    assert held[ids["S-7"]]["fields"]["dedup/" + ids["N-1"]]["verdict"] == "same"
    assert [a for (a,) in hub.db.execute("SELECT actor FROM events WHERE event = 'hub_dedup_decision'")] == ["olena.admin"]

    # The other pair, in Ukrainian: "different".
    browser.find_element(By.LINK_TEXT, "Українська").click()
    wait_for(browser, "Дублікати домогосподарств")
    form = browser.find_element(By.CSS_SELECTOR, "form.decide")
    Select(form.find_element(By.NAME, "verdict")).select_by_value("different")
    form.find_element(By.NAME, "reason").send_keys("Різні люди")
    browser.save_screenshot(str(shots / "console-uk-review-households.png"))
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page = wait_for(browser, "Немає дублікатів домогосподарств")
    assert "Вирішено: різні." in page
    assert hub_decisions.verdict(hub, ids["E-1"], ids["E-2"]) == "different"
