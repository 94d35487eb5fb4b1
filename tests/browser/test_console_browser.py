"""The hub console in a real browser: the officer's walk, and the refusals, with screenshots."""
from __future__ import annotations

import dataclasses
import random
import time

import openpyxl
import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By

from console_helpers import PASSWORD, PROTECTION, add_device, add_user, edit, publish_sensitive_form, submit
from sync.server.console import auth
from sync_helpers import LiveServer, make_hub

HH = "household_needs"
CONCERN = "Synthetic concern, not a real one"
SETTLEMENTS = ["Synthivka", "Vyhadanivka", "Testopil", "Primirne", "Zrazkove"]


@pytest.fixture
def hub_server(tmp_path):
    hub = make_hub(tmp_path / "hub")
    rnd = random.Random(7)
    add_device(hub, "laptop-north-01", "north")
    add_device(hub, "laptop-north-02", "north")
    add_device(hub, "laptop-south-01", "south")
    now = int(time.time() * 1000)
    north = []
    for day in range(5, -1, -1):
        for dev in ("laptop-north-01", "laptop-north-02"):
            north += submit(hub, dev, "north", [
                {"consent": "yes", "oblast": "UA63", "raion": "UA6312", "settlement": rnd.choice(SETTLEMENTS),
                 "displacement_status": rnd.choice(["idp", "returnee", "host"]), "hh_size": rnd.randint(1, 8),
                 "priority_needs": " ".join(rnd.sample(["food", "water", "heating", "hygiene"], 2)),
                 "shelter_condition": rnd.choice(["light", "medium", "heavy"]),
                 "members": [{"member_age": rnd.randint(1, 80), "member_sex": rnd.choice(["female", "male"])}]}
                for _ in range(rnd.randint(3, 9))], at_ms=now - day * 86_400_000 + rnd.randint(0, 3_600_000))
    south = submit(hub, "laptop-south-01", "south", [{"consent": "yes", "settlement": "Pivdenne", "hh_size": 3}], at_ms=now)
    edit(hub, "laptop-north-02", "north", north[-1], {"hh_size": 6})
    edit(hub, "laptop-north-01", "north", north[-1], {"hh_size": 7})  # at the same time: a conflict
    publish_sensitive_form(hub, tmp_path)
    protection = submit(hub, "laptop-north-01", "north", [
        {"consent": "yes", "settlement": "Synthivka", "hh_size": 4, "needs": "food heating", "concern": CONCERN,
         "phone": "+380 67 000 00 00"}], form_id=PROTECTION)
    add_user(hub, "olena.admin", "admin")
    add_user(hub, "taras.viewer", "viewer", ["north"])
    add_user(hub, "iryna.lead", "lead", ["north"])
    with LiveServer(hub) as server:
        server.console = server.server.config.app.state.console
        server.ids = {"north": north, "south": south, "protection": protection}
        yield server
    hub.close()


def sign_in(browser, url, name, password=PASSWORD):
    if "/console/login" not in browser.current_url:
        browser.get(url + "/console/login")
    browser.find_element(By.ID, "name").send_keys(name)
    browser.find_element(By.ID, "password").send_keys(password)
    start = time.monotonic()
    browser.find_element(By.ID, "signin").click()
    wait_for(browser, "Sign out" if password == PASSWORD else "Wrong")
    return time.monotonic() - start


def text(browser):
    for _ in range(100):
        try:
            return browser.find_element(By.TAG_NAME, "body").text
        except (StaleElementReferenceException, NoSuchElementException):  # the page was being replaced
            time.sleep(0.05)
        except WebDriverException as exc:
            # The driver's other word for a page replaced under it mid-read.
            if "does not belong to the document" not in str(exc):
                raise
            time.sleep(0.05)
    raise AssertionError("the page never settled")


def wait_for(browser, needle: str, timeout: float = 15.0) -> str:
    """The page's text once it shows ``needle`` (a click's navigation may still be under way)."""
    deadline = time.monotonic() + timeout
    while True:
        page = text(browser)
        if needle in page or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_an_officer_walks_through_the_console(browser, hub_server, shots):
    url, hub = hub_server.url, hub_server.hub
    browser.get(url + "/console/data")
    assert "/console/login" in browser.current_url  # no session: the sign-in page
    browser.save_screenshot(str(shots / "console-en-login.png"))
    sign_in(browser, url, "olena.admin")
    assert browser.current_url.endswith("/console/data") and "olena.admin" in text(browser)  # back where it was going
    browser.get(url + "/console/")
    assert "laptop-south-01" in text(browser) and "Submissions per form" in text(browser)
    browser.save_screenshot(str(shots / "console-en-overview.png"))

    # an enrollment code, as text and as a QR code
    browser.get(url + "/console/devices")
    browser.find_element(By.ID, "team").send_keys("north")
    browser.find_element(By.ID, "make-code").click()
    wait_for(browser, "One-time enrollment code")
    code = browser.find_element(By.ID, "enroll-code").text
    assert len(code.replace("-", "")) >= 16 and browser.find_elements(By.CSS_SELECTOR, ".qr svg")
    assert hub.db.execute("SELECT team FROM enroll_codes")[0][0] == "north"
    browser.save_screenshot(str(shots / "console-en-devices-code.png"))

    # the data table, a filter on an answer, a record's view
    browser.get(url + "/console/data")
    browser.find_element(By.LINK_TEXT, HH).click()
    wait_for(browser, "Household needs assessment")
    assert len(browser.find_elements(By.CSS_SELECTOR, "a.record-link")) == 50
    browser.save_screenshot(str(shots / "console-en-data.png"))
    browser.find_element(By.CSS_SELECTOR, "#a-field option[value='settlement']").click()
    browser.find_element(By.ID, "a-value").send_keys("pivdenne")
    browser.find_element(By.ID, "a-apply").click()
    wait_for(browser, "Filtered on an answer")
    links = browser.find_elements(By.CSS_SELECTOR, "a.record-link")
    assert len(links) == 1 and "pivdenne" not in browser.current_url.lower()
    browser.get(url + f"/console/records/{hub_server.ids['north'][-1]}")
    history = browser.find_element(By.ID, "history").text
    assert "laptop-north-02 #" in history and history.count("#") == 3
    browser.save_screenshot(str(shots / "console-en-record.png"))

    # an export download
    browser.get(url + f"/console/data/{HH}")
    browser.find_element(By.CSS_SELECTOR, "#x-lang option[value='Українська (uk)']").click()
    browser.find_element(By.ID, "x-download").click()
    # the export runs in the background; its page reloads itself until the file is ready
    assert "100%" in wait_for(browser, "Download the file", timeout=60)
    browser.save_screenshot(str(shots / "console-en-export.png"))
    browser.find_element(By.ID, "x-file").click()
    target = browser.downloads / f"{HH}.xlsx"
    for _ in range(200):
        if target.exists():
            break
        time.sleep(0.05)
    wb = openpyxl.load_workbook(target, read_only=True)
    assert wb.sheetnames == [HH, "members"]
    wb.close()
    assert {"export", "export_download"} <= {r[0] for r in hub.db.execute("SELECT event, actor FROM events") if r[1] == "olena.admin"}

    # an analyst token: made once, shown once
    browser.get(url + "/console/tokens")
    browser.find_element(By.ID, "token-name").send_keys("PowerBI north")
    browser.find_element(By.ID, "token-teams").send_keys("north")
    browser.find_element(By.ID, "make-token").click()
    wait_for(browser, "Copy it now")
    token = browser.find_element(By.ID, "token-value").text
    assert token.startswith("fbt_") and token[4:12] in browser.find_element(By.ID, "tokens").text
    browser.save_screenshot(str(shots / "console-en-tokens.png"))

    browser.get(url + "/console/usb")
    browser.save_screenshot(str(shots / "console-en-usb.png"))
    browser.get(url + "/console/forms")
    assert browser.find_elements(By.ID, "publish-button")
    browser.save_screenshot(str(shots / "console-en-forms.png"))
    # Ukrainian
    browser.find_element(By.LINK_TEXT, "Українська").click()
    assert "Огляд" in wait_for(browser, "Огляд")
    browser.get(url + "/console/")
    browser.save_screenshot(str(shots / "console-uk-overview.png"))
    browser.get(url + f"/console/data/{HH}")
    browser.save_screenshot(str(shots / "console-uk-data.png"))

    # sign out: the session is over, here and at the server
    browser.find_element(By.ID, "logout").click()
    wait_for(browser, "Ви вийшли")
    assert "/console/login" in browser.current_url
    browser.get(url + "/console/data")
    assert "/console/login" in browser.current_url
    assert hub.db.execute("SELECT count(*) FROM web_sessions")[0][0] == 0


def test_the_console_refuses(browser, hub_server, shots):
    url, hub, console = hub_server.url, hub_server.hub, hub_server.console
    console.settings = dataclasses.replace(console.settings, failure_delay_s=1.0)
    # a wrong password: refused, and slowed
    took = sign_in(browser, url, "taras.viewer", "not the password")
    assert "Wrong user name or password." in wait_for(browser, "Wrong") and took >= 1.0
    browser.save_screenshot(str(shots / "console-en-login-refused.png"))
    sign_in(browser, url, "taras.viewer")
    assert "taras.viewer" in text(browser)
    # a viewer of north asks for south's record and export
    browser.get(url + f"/console/records/{hub_server.ids['south'][0]}")
    assert "team you do not work with" in text(browser) and "Pivdenne" not in text(browser)
    browser.save_screenshot(str(shots / "console-en-refused.png"))
    browser.get(url + f"/console/data/{HH}/export?format=xlsx&team=south")
    assert "team you do not work with" in text(browser)
    assert not list(browser.downloads.iterdir())
    # a form whose CSRF token was taken out
    browser.get(url + f"/console/data/{HH}")
    browser.execute_script("document.querySelector('#answer-filter input[name=csrf]').remove()")
    browser.find_element(By.ID, "a-value").send_keys("x")
    browser.find_element(By.ID, "a-apply").click()
    assert "nothing was changed" in wait_for(browser, "nothing was changed")
    # an expired session
    hub.db.execute("UPDATE web_sessions SET last_seen = last_seen - ?", ((console.settings.idle_s + 5) * 1000,))
    browser.get(url + "/console/")
    assert "/console/login" in browser.current_url and "Your session has ended" in text(browser)
    # a disabled account, with the right password
    auth.disable_user(hub.db, "taras.viewer")
    sign_in(browser, url, "taras.viewer")
    assert "This account is disabled" in wait_for(browser, "disabled") and "/console/login" in browser.current_url


def test_a_lead_reveals_cleans_and_resolves(browser, hub_server, shots):
    url, hub = hub_server.url, hub_server.hub
    rid = hub_server.ids["protection"][0]
    # a viewer sees the sensitive answers masked, and no way to reveal them
    sign_in(browser, url, "taras.viewer")
    browser.get(url + f"/console/records/{rid}")
    page = wait_for(browser, "Synthivka")
    assert CONCERN not in page and "••••••" in page and not browser.find_elements(By.ID, "reveal")
    assert not browser.find_elements(By.ID, "edit-form")
    browser.find_element(By.ID, "logout").click()
    wait_for(browser, "signed out")

    sign_in(browser, url, "iryna.lead")
    browser.get(url + f"/console/records/{rid}")
    assert CONCERN not in wait_for(browser, "Synthivka")
    browser.find_element(By.ID, "reveal").click()
    page = wait_for(browser, CONCERN)
    assert CONCERN in page and "+380 67 000 00 00" in page and "/reveal" in browser.current_url
    assert [(a, d) for e, a, d in hub.db.execute("SELECT event, actor, detail FROM events") if e == "sensitive_revealed"] == [
        ("iryna.lead", f"{rid}: concern, phone")]
    browser.save_screenshot(str(shots / "console-en-record-revealed.png"))

    # data cleaning: the edit form on the record page
    browser.get(url + f"/console/records/{rid}")
    browser.find_element(By.CSS_SELECTOR, "#edit-box summary").click()
    field = browser.find_element(By.ID, "e-settlement")
    field.clear()
    field.send_keys("Vyhadanivka")
    browser.find_element(By.CSS_SELECTOR, "#e-needs input[value='water']").click()
    browser.save_screenshot(str(shots / "console-en-record-edit.png"))
    browser.find_element(By.ID, "edit-save").click()
    page = wait_for(browser, "Saved.")
    assert "Saved." in page and "iryna.lead" in browser.find_element(By.ID, "history").text
    assert hub.records()[rid]["fields"]["settlement"] == "Vyhadanivka"
    assert hub.records()[rid]["fields"]["needs"].split() == ["food", "water", "heating"]
    assert hub.records()[rid]["fields"]["concern"] == CONCERN  # a masked answer is left as it was

    # review: both values, who made each; resolved in bulk
    browser.get(url + "/console/review")
    page = wait_for(browser, "Open conflicts")
    assert "laptop-north-01" in page and "laptop-north-02" in page
    browser.save_screenshot(str(shots / "console-en-review.png"))
    conflicts = hub.conflicts()
    assert len(conflicts) == 2
    for c in conflicts:
        browser.find_element(By.CSS_SELECTOR, f"input[name=conflict][value='{c['id']}']").click()
    browser.find_element(By.ID, "bulk-keep").click()
    assert "No open conflicts." in wait_for(browser, "No open conflicts.")
    assert hub.conflicts() == [] and {c["resolution"] for c in hub.conflicts(include_resolved=True)} == {"kept"}
    browser.find_element(By.LINK_TEXT, "Українська").click()
    wait_for(browser, "Перевірка")
    browser.get(url + f"/console/records/{rid}")
    wait_for(browser, "Vyhadanivka")
    browser.save_screenshot(str(shots / "console-uk-record.png"))
