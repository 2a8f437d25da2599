"""The console in a real browser: Debian's headless Chromium, driven by Selenium.

Sign in, open the queue, open a referral, change its status, add a note, reveal the
contact details, look at the funnel, then, as an admin, the audit trail and the
accounts; a screenshot of each step is saved under
``results/screenshots/``. The driver is Debian's ``/usr/bin/chromedriver``, named
explicitly, so Selenium Manager never downloads anything.

Skipped, with the reason, when Chromium, its driver or Selenium is missing, except
under ``CI=true``, where that is a failure (``scripts/setup-system.sh`` installs
them).
"""

from __future__ import annotations

import base64
import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from support import ROOT
from support.browser import chromium
from support.staffdata import CONTACT, STAFF_ACCOUNTS, ConsoleHandle

from bot import vocab
from bot.store.models import AuditEvent, Referral, StaffNote

SCREENSHOTS = ROOT / "results" / "screenshots"


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    """Headless Chromium with a fresh profile, through Debian's chromedriver."""
    with chromium(tmp_path / "profile") as driver:
        driver.implicitly_wait(5)
        yield driver
    shutil.rmtree(tmp_path / "profile", ignore_errors=True)


def screenshot(driver, name: str, *, at: str | None = None, full: bool = False) -> Path:
    """Save a PNG: the window (scrolled to element ``#at``), or the whole page."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if not full:
        if at:
            driver.execute_script(
                "document.getElementById(arguments[0]).scrollIntoView()", at
            )
        driver.save_screenshot(str(path))
        return path
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": min(size["height"], 6000),
                "scale": 1,
            },
        },
    )
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def flash_says(driver, text: str, seconds: float = 15) -> None:
    """Wait until the page's flash message contains ``text`` (fails on timeout)."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(d) -> bool:
        try:
            return any(text in e.text for e in d.find_elements(By.CLASS_NAME, "flash"))
        except StaleElementReferenceException:
            return False

    WebDriverWait(driver, seconds).until(shown, f"no flash saying {text!r}")


@pytest.fixture
def staff_world(staff_world):
    """This test reads the English console; the site's language (the default of
    every account that has not chosen) is Chinese unless set otherwise."""
    staff_world.settings = dataclasses.replace(staff_world.settings, site_language="en")
    return staff_world


def test_coordinator_works_a_referral_in_the_browser(
    console: ConsoleHandle, browser
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    driver = browser
    made = console.world.made
    likely = made["likely"].reference

    driver.get(console.url + "/referrals")  # not signed in: sent to sign in
    assert "/login" in driver.current_url
    screenshot(driver, "01-login")
    username, password = STAFF_ACCOUNTS["coordinator"]
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "sign-in").click()

    # Every click below submits a form: wait for the next page, not the old one.
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/referrals"))
    assert driver.current_url.endswith("/referrals"), driver.find_element(
        By.TAG_NAME, "main"
    ).text
    table = driver.find_element(By.TAG_NAME, "table").text
    for name in ("likely", "review", "ineligible"):
        assert made[name].reference in table
    screenshot(driver, "02-queue")

    driver.find_element(By.LINK_TEXT, likely).click()
    WebDriverWait(driver, 15).until(
        lambda d: d.current_url.endswith(f"/referrals/{likely}")
    )
    page = driver.find_element(By.TAG_NAME, "main").text
    assert "Exclusion 14 cannot be screened" in page
    assert CONTACT.phone not in page
    screenshot(driver, "03-referral", full=True)

    Select(driver.find_element(By.ID, "status")).select_by_value("contacted")
    driver.find_element(By.ID, "reason").send_keys("Called; will send lab results.")
    driver.find_element(By.ID, "change-status").click()
    flash_says(driver, "Status changed.")
    screenshot(driver, "04-status-changed")

    note = "Bilirubin 342 µmol/L confirmed by phone. <b>not bold</b>"
    driver.find_element(By.ID, "note-body").send_keys(note)
    driver.find_element(By.ID, "add-note").click()
    flash_says(driver, "Note added.")
    notes = driver.find_element(By.ID, "notes").text
    assert note in notes  # shown as text, not markup
    screenshot(driver, "05-note-added", at="notes")

    driver.find_element(By.ID, "reveal").click()
    WebDriverWait(driver, 15).until(
        lambda d: (
            d.find_elements(By.ID, "contact-phone")
            and d.find_element(By.ID, "contact-phone").text == CONTACT.phone
        )
    )
    screenshot(driver, "06-contacts-revealed")

    driver.get(console.url + "/funnel")
    assert len(driver.find_elements(By.TAG_NAME, "svg")) == 3
    screenshot(driver, "07-funnel", full=True)

    # An admin reads the audit trail of what the coordinator did.
    driver.find_element(By.XPATH, "//button[text()='Sign out']").click()
    flash_says(driver, "You are signed out.")
    admin, admin_password = STAFF_ACCOUNTS["admin"]
    driver.find_element(By.ID, "username").send_keys(admin)
    driver.find_element(By.ID, "password").send_keys(admin_password)
    driver.find_element(By.ID, "sign-in").click()
    # Wait for the sign-in to land before navigating, or the two requests race.
    WebDriverWait(driver, 15).until(lambda d: d.current_url.endswith("/referrals"))
    driver.get(console.url + "/admin/audit")
    WebDriverWait(driver, 15).until(lambda d: "/admin/audit" in d.current_url)
    trail = driver.find_element(By.TAG_NAME, "table").text
    assert f"cora referral.contacts_revealed {likely}" in trail
    screenshot(driver, "08-audit-trail")
    driver.get(console.url + "/admin/users")
    screenshot(driver, "09-accounts")

    with Session(bind=console.world.engine, future=True) as session:
        referral = session.execute(
            select(Referral).where(Referral.reference == likely)
        ).scalar_one()
        assert referral.status == vocab.REFERRAL_CONTACTED
        assert [n.body for n in session.execute(select(StaffNote)).scalars()] == [note]
        actions = [
            (e.actor, e.action)
            for e in session.execute(select(AuditEvent).order_by(AuditEvent.id))
            .scalars()
            .all()
            if e.actor == username
        ]
    assert actions == [
        ("cora", "login.succeeded"),
        ("cora", "referral.status_changed"),
        ("cora", "referral.note_added"),
        ("cora", "referral.contacts_revealed"),
        ("cora", "logout"),
    ]
    for name in ("01-login", "03-referral", "07-funnel"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 5_000
