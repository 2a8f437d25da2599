"""The public web widget in headless Chromium, against the running servers.

Uses the servers of ``conftest.py`` here (Rasa with ``--cors`` restricted to the
widget's origin, as ``scripts/run.sh`` does, and the widget server), and drives
Debian's ``chromium`` through ``chromedriver`` (Selenium): a whole screening by
clicking quick replies, typing free text and using the keyboard alone, a reload
half-way that must continue the same conversation, the result on screen and in the
database, "Start over", and axe-core (from npm, injected into the page) with no
serious or critical violation. Screenshots at desktop width, 360 px and 200 % zoom
are saved under ``results/screenshots/``. Then "delete my answers": the browser
must forget the conversation too (localStorage, the page, after a reload).

Skips with the reason when Chromium, chromedriver, Selenium, the npm packages or the
model are missing, except under ``CI=true``, where it must run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.browser import chromium
from support.services import need_service
from support.stack import (
    ROOT,
    Stack,
    last_line,
    message,
    screening_of,
    shown_outcome,
)

from bot.screening.criteria import load_trial
from ops.answers import LIKELY_REPLIES

pytestmark = pytest.mark.e2e

SCREENSHOTS = ROOT / "results" / "screenshots"
AXE = ROOT / "web" / "node_modules" / "axe-core" / "axe.min.js"
SOCKET_IO = ROOT / "web" / "node_modules" / "socket.io-client" / "dist"

START, DECLINE = message("ask_screening_consent")["buttons"]
SELF = message("ask_respondent")["buttons"][0]
TRIAL = load_trial()
QUESTIONS = {q.id: q.ask_self for q in TRIAL.questions}

#: Answers as a patient would give them: a quick reply where one fits, else typed.
ANSWERS = LIKELY_REPLIES


# --------------------------------------------------------------------------- #
# Servers and browser
# --------------------------------------------------------------------------- #


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium (tests/support/browser.py: Debian's, no downloads)."""
    with chromium(tmp_path_factory.mktemp("chromium") / "profile") as driver:
        driver.set_script_timeout(60)
        yield driver


class Widget:
    """The page as a person sees it."""

    def __init__(self, driver: Any, url: str):
        self.driver = driver
        self.url = url

    def wait(self, condition: Callable[[], Any], seconds: float = 60) -> Any:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out; bot said: {self.bot_texts()[-3:]}")

    def js(self, script: str, *args: Any) -> Any:
        return self.driver.execute_script(script, *args)

    def open(self) -> None:
        self.driver.get(self.url)
        self.wait(
            lambda: self.js("return !!document.querySelector('.tcw[data-ready]')")
        )
        self.js(
            """
            window.__typingSeen = false;
            const t = document.querySelector('.tcw-typing');
            new MutationObserver(() => { if (!t.hidden) window.__typingSeen = true; })
              .observe(t, {attributes: true});
            """
        )

    def bot_texts(self) -> list[str]:
        return self.js(
            "return [...document.querySelectorAll('.tcw-msg-bot')]"
            ".map(m => m.lastChild.textContent)"
        )

    def count(self) -> int:
        return self.js("return document.querySelectorAll('.tcw-msg').length")

    def replies(self) -> list[str]:
        return self.js(
            "return [...document.querySelectorAll('.tcw-reply')]"
            ".map(b => b.textContent)"
        )

    def turn(self, act: Callable[[], None]) -> list[str]:
        """Do something; wait for the assistant's answer; return its new texts."""
        bots = len(self.bot_texts())
        act()
        self.wait(lambda: len(self.bot_texts()) > bots)
        self.wait(
            lambda: self.js("return document.querySelector('.tcw-typing').hidden")
        )
        while True:  # a turn may be several messages: wait until they stop
            count = len(self.bot_texts())
            time.sleep(0.25)
            if count == len(self.bot_texts()):
                return self.bot_texts()[bots:]

    def click_reply(self, title: str) -> list[str]:
        from selenium.webdriver.common.by import By

        buttons = [
            b
            for b in self.driver.find_elements(By.CSS_SELECTOR, ".tcw-reply")
            if b.text == title
        ]
        assert buttons, f"no quick reply {title!r} in {self.replies()}"
        return self.turn(buttons[0].click)

    def type(self, text: str) -> list[str]:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys

        field = self.driver.find_element(By.CSS_SELECTOR, ".tcw-input")
        return self.turn(lambda: field.send_keys(text, Keys.ENTER))

    def answer(self, text: str) -> list[str]:
        return self.click_reply(text) if text in self.replies() else self.type(text)

    def session_id(self) -> str:
        return self.js(
            "const k = Object.keys(localStorage).find(k => k.startsWith('trial-chat'));"
            "return JSON.parse(localStorage.getItem(k)).sessionId"
        )

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.driver.save_screenshot(str(path))
        return path

    def full_screenshot(
        self, name: str, width: int, *, scale: int = 1, mobile: bool = False
    ) -> Path:
        """The whole page at ``width`` CSS pixels (tall enough for everything)."""
        self.js("window.scrollTo(0, 0)")
        height = self.js("return document.documentElement.scrollHeight")
        self.driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": scale,
                "mobile": mobile,
            },
        )
        try:
            time.sleep(0.3)  # let the log settle at its bottom
            return self.screenshot(name)
        finally:
            self.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    def overflows(self) -> bool:
        """True when the page scrolls sideways (text did not reflow)."""
        return self.js(
            "return document.documentElement.scrollWidth > "
            "document.documentElement.clientWidth + 1"
        )

    def axe(self) -> list[dict]:
        """axe-core's serious and critical WCAG 2.1 A/AA violations."""
        if not self.js("return !!window.axe"):
            self.js(AXE.read_text())
        result = self.driver.execute_async_script(
            """
            const done = arguments[arguments.length - 1];
            axe.run(document, {runOnly: {type: 'tag', values:
                ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
              .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact,
                  help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))
              .catch(e => done([{id: 'axe-error', impact: 'critical',
                                 help: String(e)}]));
            """
        )
        return [v for v in result if v["impact"] in ("serious", "critical")]


def asked(texts: list[str]) -> str | None:
    """The screening question the assistant's last messages ask, if any."""
    for text in reversed(texts):
        for fact, wording in QUESTIONS.items():
            if wording in text:
                return fact
    return None


def stored(driver: Any) -> str:
    """Everything this page's origin keeps in localStorage, as one string."""
    return driver.execute_script("return JSON.stringify(Object.entries(localStorage))")


def recorded(stack: Stack, session_id: str) -> Any:
    """The widget's screening (the socket.io session id is the conversation key)."""
    return screening_of(stack, "socketio", session_id)


# --------------------------------------------------------------------------- #
# The test
# --------------------------------------------------------------------------- #


def test_a_whole_screening_in_the_widget(stack: Stack, browser: Any):
    if not (AXE.exists() and SOCKET_IO.exists()):
        need_service("web/node_modules missing: run `npm ci` in web/ (make web)")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    page = Widget(browser, f"{stack.widget_url}/")
    page.open()

    # The page asks for no language: the widget starts in English, the page's, as
    # a hint only (tests/e2e/channels/test_web_widget_zh.py tests the switch).
    assert page.js(
        "return [...document.querySelectorAll('.tcw-lang[aria-pressed=\"true\"]')]"
        ".map(b => b.dataset.lang)"
    ) == ["en"]

    # The assistant opens the conversation; its options are buttons.
    page.wait(lambda: page.replies() == [START, DECLINE])
    assert last_line("ask_screening_consent") in "\n".join(page.bot_texts())
    assert page.axe() == []
    page.screenshot("widget-desktop-start.png")

    # Keyboard only: from the message field, Shift+Tab reaches the last option.
    field = browser.find_element(By.CSS_SELECTOR, ".tcw-input")
    field.click()
    field.send_keys(Keys.SHIFT, Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.text == DECLINE
    assert page.js(
        "return getComputedStyle(document.activeElement).outlineStyle"
    ) not in ("none", "")
    focused.send_keys(Keys.SHIFT, Keys.TAB)  # back to the first option
    texts = page.turn(lambda: browser.switch_to.active_element.send_keys(Keys.ENTER))
    assert any(last_line("ask_respondent") in t for t in texts)
    assert page.js("return window.__typingSeen") is True

    texts = page.click_reply(SELF)
    asked_facts: list[str] = []
    reloaded = False
    for _ in range(45):
        fact = asked(texts)
        if fact is None:
            break
        asked_facts.append(fact)
        if len(asked_facts) == 6 and not reloaded:
            # Reload half-way: the conversation and its options come back.
            before = page.count()
            options = page.replies()
            browser.refresh()
            page.open()
            assert page.count() == before
            assert page.replies() == options
            reloaded = True
        texts = page.answer(ANSWERS[fact])
    else:
        raise AssertionError(f"no result after 45 turns: {asked_facts}")

    assert reloaded
    # The result is on screen, and the database holds the same outcome. (That these
    # answers give likely_eligible is the dialogue's test: tests/e2e/test_rest.py.)
    outcome = shown_outcome("\n".join(texts))
    assert outcome is not None, texts
    assert len(set(asked_facts)) >= 10  # a whole screening, not an early exit
    screening = recorded(stack, page.session_id())
    assert (screening.outcome, screening.channel) == (outcome, "socketio")

    # Nothing of the long conversation leaks out of the log into the page's height.
    assert page.js(
        "return document.documentElement.scrollHeight <= document.body.scrollHeight + 1"
    )
    assert page.axe() == []
    page.full_screenshot("widget-desktop.png", 1280)

    # A phone 360 px wide: no sideways scrolling; the same at 200 % zoom (a 1280 x
    # 900 window at 200 % is a 640 x 450 CSS px viewport). Whole-page screenshots.
    for width, height, name in (
        (360, 800, "widget-phone-360.png"),
        (640, 450, "widget-zoom-200.png"),
    ):
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {
                "width": width,
                "height": height,
                "deviceScaleFactor": 2,
                "mobile": width == 360,
            },
        )
        try:
            assert not page.overflows(), f"sideways scrolling at {width} px"
            if width == 360:
                assert page.axe() == []
            page.full_screenshot(name, width, scale=2, mobile=width == 360)
        finally:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Start over: asks first, then starts again.
    browser.find_element(By.CSS_SELECTOR, ".tcw-restart").click()
    dialog = browser.find_element(By.CSS_SELECTOR, ".tcw-dialog")
    assert dialog.get_attribute("open") is not None
    assert browser.switch_to.active_element.text == "Cancel"
    assert page.axe() == []
    page.screenshot("widget-start-over.png")
    texts = page.turn(
        browser.find_element(By.CSS_SELECTOR, ".tcw-dialog .tcw-primary").click
    )
    assert texts, "no answer to Start over"
    assert recorded(stack, page.session_id()).outcome == outcome

    # The privacy notice is one link away.
    link = browser.find_element(By.LINK_TEXT, "Privacy notice")
    link.click()
    page.wait(lambda: "Privacy notice" in browser.title)
    assert "{{" not in browser.page_source
    assert page.axe() == []


def test_deleting_answers_in_the_widget_forgets_them_in_the_browser(
    stack: Stack, browser: Any
):
    """On a shared phone, "delete my answers" must not leave the conversation in
    the browser: after the erasure, localStorage holds neither the messages nor
    the session id, the page shows only the confirmation, and a reload brings
    nothing back."""
    if not (AXE.exists() and SOCKET_IO.exists()):
        need_service("web/node_modules missing: run `npm ci` in web/ (make web)")
    from bot.store.transcripts import TrackerStore

    page = Widget(browser, f"{stack.widget_url}/")
    # A new person on this browser: forget what was kept, on a page of the same
    # origin without the widget (which could store its state again meanwhile).
    browser.get(f"{stack.widget_url}/privacy.html")
    page.js("localStorage.clear()")
    page.open()
    page.wait(lambda: page.replies() == [START, DECLINE])
    assert not page.js("return document.querySelector('.tcw-msg-user')")
    page.click_reply(START)
    texts = page.click_reply(SELF)
    said = []
    for _ in range(2):  # a couple of answers
        fact = asked(texts)
        assert fact is not None, texts
        said.append(ANSWERS[fact])
        texts = page.answer(ANSWERS[fact])
    old_id = page.session_id()
    old_question = QUESTIONS["age"]
    assert old_id in stored(browser) and old_question in stored(browser)
    assert recorded(stack, old_id).channel == "socketio"

    texts = page.type("delete my answers")
    assert "cannot be undone" in "\n".join(texts), texts
    assert page.replies() == ["Yes, delete", "No, keep them"]
    done = message("erasure_done")["text"].strip()
    [yes] = [
        b
        for b in browser.find_elements("css selector", ".tcw-reply")
        if b.text == "Yes, delete"
    ]
    yes.click()
    # The confirmation, then the mark: the earlier messages leave the page.
    page.wait(lambda: page.bot_texts() == [done])

    # The browser's copy is gone: no old message, no old session id.
    page.wait(lambda: old_id not in stored(browser), 10)
    kept = stored(browser)
    assert "trial-chat" not in kept, kept
    for old in [old_id, old_question, "delete my answers", *said]:
        assert old not in kept, old
    # The page shows the confirmation only, announced in the live log as usual.
    assert page.count() == 1 and page.bot_texts() == [done]
    assert page.replies() == []
    page.wait(lambda: page.js("return document.querySelector('.tcw-typing').hidden"))
    log = browser.find_element("css selector", ".tcw-log")
    assert log.get_attribute("aria-live") == "polite"
    assert log.text.endswith(done)
    assert page.axe() == []
    page.screenshot("widget-erased.png")
    # The server forgot too: no screening, no transcript of the old session id.
    with pytest.raises(AssertionError, match="no screening"):
        recorded(stack, old_id)
    store = TrackerStore(f"sqlite:///{stack.env['TRACKER_DB']}")
    try:
        assert not [e for e in store.events(old_id) if e["event"] == "user"]
    finally:
        store.dispose()

    # The next message starts a new conversation under a new session id.
    texts = page.type("hello")
    assert any(last_line("ask_screening_consent") in t for t in texts), texts
    new_id = page.session_id()
    assert new_id != old_id and old_id not in stored(browser)

    # A reload brings back the new conversation only.
    browser.refresh()
    page.open()
    users = page.js(
        "return [...document.querySelectorAll('.tcw-msg-user')]"
        ".map(m => m.lastChild.textContent)"
    )
    assert users == ["hello"]
    shown = "\n".join(page.bot_texts())
    assert old_question not in shown and done not in shown
    assert page.session_id() == new_id
    assert old_id not in stored(browser)


def _socketio_conversation(stack: Stack, origin: str) -> list[str]:
    """Connect as a browser on ``origin`` would, say hi; the bot's replies."""
    import asyncio

    import socketio

    async def talk() -> list[str]:
        client = socketio.AsyncClient(reconnection=False)
        replies: list[str] = []
        confirmed = asyncio.Event()
        got_reply = asyncio.Event()
        client.on("session_confirm", lambda *_: confirmed.set())

        def on_reply(data: Any) -> None:
            replies.append(data.get("text") or "")
            got_reply.set()

        client.on("bot_uttered", on_reply)
        await client.connect(
            stack.rasa_url,
            headers={"Origin": origin},
            socketio_path="/socket.io",
            transports=["polling"],
            wait_timeout=30,
        )
        try:
            session = "origin" + "0" * 26
            await client.emit("session_request", {"session_id": session})
            await asyncio.wait_for(confirmed.wait(), 30)
            await client.emit("user_uttered", {"message": "hi", "session_id": session})
            await asyncio.wait_for(got_reply.wait(), 60)
        finally:
            await client.disconnect()
        return replies

    return asyncio.run(talk())


def test_socketio_refuses_browsers_on_other_sites(stack: Stack):
    import socketio

    assert stack.widget_url is not None
    widget_origin = stack.widget_url

    replies = _socketio_conversation(stack, widget_origin)
    assert replies and "automated helper" in replies[0]

    with pytest.raises(socketio.exceptions.ConnectionError):
        _socketio_conversation(stack, "https://evil.example")
    assert "refused a connection from another origin" in stack.log("rasa")
