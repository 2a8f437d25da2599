"""The public web widget in Chinese, in headless Chromium, against the running servers.

The servers of ``conftest.py`` here (the trained model with its Chinese data, the
action server, Rasa's socket.io channel, the widget server) and Debian's Chromium,
as in ``test_web_widget.py``. A person opens the page with ``?lang=zh`` and types a
whole screening in Chinese (``ops.answers.LIKELY_ZH``; the questions are recognised
in either language by ``ops.screening.asked_fact``). Half-way they press the
widget's "English" switch: the pending question comes again in English and every
label of the widget follows; a reload of the same ``?lang=zh`` address keeps the
choice; they answer one question in English, then type "请说中文", and the widget
follows the conversation back into Chinese. The result is on screen and in the
database; every message reached Rasa with the widget's language as metadata. The
Chinese privacy notice is one link away. Screenshots (desktop, 360 px, the switch,
the confirm dialog) are saved under ``results/screenshots/`` as ``widget-zh-*.png``;
axe-core finds no serious or critical violation.

Skips with the reason when Chromium, chromedriver, Selenium, the npm packages or the
model are missing, except under ``CI=true``, where it must run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.browser import chromium
from support.services import need_service
from support.stack import Stack, screening_of
from test_web_widget import AXE, SOCKET_IO, Widget

from bot.screening.language import has_cjk
from bot.screening.messages import catalogue
from ops.answers import LIKELY_REPLIES, LIKELY_ZH
from ops.screening import asked_fact

pytestmark = pytest.mark.e2e

#: How many questions are answered in Chinese before the switch to English.
SWITCH_AFTER = 8


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium with a profile of its own (nothing kept from other tests)."""
    with chromium(tmp_path_factory.mktemp("chromium-zh") / "profile") as driver:
        driver.set_script_timeout(60)
        yield driver


class ChineseWidget(Widget):
    """The widget, with what this test reads of its language."""

    def labels(self) -> dict[str, Any]:
        """The widget's language, its own labels and its switch, as shown."""
        return self.js(
            """
            const r = document.querySelector('.tcw');
            const text = s => r.querySelector(s).textContent;
            return {
              lang: r.lang,
              page: document.documentElement.lang,
              pressed: [...r.querySelectorAll('.tcw-lang[aria-pressed="true"]')]
                  .map(b => b.dataset.lang),
              switches: [...r.querySelectorAll('.tcw-lang')].map(
                  b => [b.tagName, b.lang, b.textContent]),
              own: [text('.tcw-title'), text('.tcw-restart'), text('.tcw-label'),
                    text('.tcw-send'), text('.tcw-link'), text('.tcw-notice'),
                    r.querySelector('.tcw-input').placeholder,
                    r.querySelector('.tcw-log').getAttribute('aria-label'),
                    r.querySelector('.tcw-replies').getAttribute('aria-label'),
                    r.querySelector('.tcw-langs').getAttribute('aria-label')],
            };
            """
        )

    def in_language(self, language: str) -> bool:
        """Whether the widget and every one of its labels speak ``language``."""
        labels = self.labels()
        own_cjk = [has_cjk(label) for label in labels["own"]]
        return (
            labels["pressed"] == [language]
            and labels["lang"] == ("zh-CN" if language == "zh" else "en")
            and all(own_cjk) == (language == "zh")
            and any(own_cjk) == (language == "zh")
        )

    def switch(self, language: str) -> list[str]:
        from selenium.webdriver.common.by import By

        button = self.driver.find_element(
            By.CSS_SELECTOR, f".tcw-lang[data-lang='{language}']"
        )
        return self.turn(button.click)

    def users(self) -> list[str]:
        return self.js(
            "return [...document.querySelectorAll('.tcw-msg-user')]"
            ".map(m => m.lastChild.textContent)"
        )


def asked(texts: list[str]) -> str | None:
    """The screening question the assistant's last messages ask (either language)."""
    return asked_fact([{"text": text} for text in texts])


def shown_outcome_zh(text: str) -> str | None:
    """Which Chinese result message ``text`` shows."""
    for outcome in ("likely_eligible", "needs_review", "ineligible"):
        first_line = catalogue("zh")[f"result_{outcome}"]["text"]
        first_line = first_line.strip().splitlines()[0]
        if first_line in text:
            return outcome
    return None


def test_a_whole_screening_in_chinese_with_the_switch_used_midway(
    stack: Stack, browser: Any
):
    if not (AXE.exists() and SOCKET_IO.exists()):
        need_service("web/node_modules missing: run `npm ci` in web/ (make web)")
    from selenium.webdriver.common.by import By

    zh = catalogue("zh")  # the Chinese catalogue (here, not at collection)
    start, decline = zh["ask_screening_consent"]["buttons"]
    for_myself = zh["ask_respondent"]["buttons"][0]
    page = ChineseWidget(browser, f"{stack.widget_url}/?lang=zh")
    browser.get(f"{stack.widget_url}/privacy.html")
    page.js("localStorage.clear()")
    page.open()

    # The page and the widget are in Chinese; the switch is two real buttons,
    # each in its own language, 中文 pressed.
    labels = page.labels()
    assert labels["page"] == "zh-CN"
    assert labels["switches"] == [
        ["BUTTON", "zh-CN", "中文"],
        ["BUTTON", "en", "English"],
    ]
    assert page.in_language("zh"), labels
    page.wait(lambda: page.replies() == [start, decline])
    assert all(has_cjk(text) for text in page.bot_texts()), page.bot_texts()
    assert page.axe() == []
    page.screenshot("widget-zh-start.png")

    page.click_reply(start)
    texts = page.click_reply(for_myself)
    asked_facts: list[str] = []
    switched = back = False
    for _ in range(50):
        fact = asked(texts)
        if fact is None:
            break
        asked_facts.append(fact)
        if len(asked_facts) == SWITCH_AFTER and not switched:
            # The switch: the request is the person's message, the question comes
            # again in English, and the widget's labels follow.
            switched = True
            texts = page.switch("en")
            assert page.users()[-1] == "English"
            assert asked(texts) == fact, texts
            assert not has_cjk(texts[-1]), texts
            assert page.in_language("en"), page.labels()
            assert page.axe() == []
            page.screenshot("widget-zh-switched-to-english.png")
            # A reload of the same ?lang=zh address keeps the person's choice.
            before = page.count()
            browser.refresh()
            page.open()
            assert page.count() == before
            assert page.in_language("en"), page.labels()
            texts = page.type(LIKELY_REPLIES[fact])
            next_fact = asked(texts)
            assert next_fact is not None and next_fact != fact, texts
            assert not has_cjk(texts[-1]), texts
            # Typed, not the switch: the widget follows the conversation back.
            texts = page.type("请说中文")
            assert asked(texts) == next_fact, texts
            assert has_cjk(texts[-1]), texts
            page.wait(lambda: page.in_language("zh"), 10)
            back = True
            asked_facts.append(next_fact)
            texts = page.type(LIKELY_ZH[next_fact])
            continue
        texts = page.type(LIKELY_ZH[fact])
        assert has_cjk(texts[-1]), (fact, texts)  # Chinese, before and after
    else:
        raise AssertionError(f"no result after 50 turns: {asked_facts}")

    assert switched and back
    assert len(set(asked_facts)) >= 10, asked_facts  # a whole screening
    outcome = shown_outcome_zh("\n".join(texts))
    assert outcome is not None, texts
    session_id = page.session_id()
    screening = screening_of(stack, "socketio", session_id)
    assert (screening.outcome, screening.channel) == (outcome, "socketio")
    assert page.in_language("zh")

    # Every message reached Rasa with the widget's choice as metadata.
    from bot.store.transcripts import TrackerStore

    store = TrackerStore(f"sqlite:///{stack.env['TRACKER_DB']}")
    try:
        said = [e for e in store.events(session_id) if e["event"] == "user"]
    finally:
        store.dispose()
    chosen = {e["text"]: (e.get("metadata") or {}).get("language") for e in said}
    assert chosen["English"] == "en" and chosen["请说中文"] == "en", chosen
    assert chosen[LIKELY_ZH["age"]] == "zh", chosen
    assert set(chosen.values()) == {"zh", "en"}, chosen

    # Desktop and a 360 px phone: no sideways scrolling, no violation.
    assert page.axe() == []
    page.full_screenshot("widget-zh-desktop.png", 1280)
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 360, "height": 800, "deviceScaleFactor": 2, "mobile": True},
    )
    try:
        assert not page.overflows(), "sideways scrolling at 360 px"
        assert page.axe() == []
        page.full_screenshot("widget-zh-phone-360.png", 360, scale=2, mobile=True)
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # Start over, in Chinese: the dialog asks first; the assistant starts again.
    browser.find_element(By.CSS_SELECTOR, ".tcw-restart").click()
    dialog = browser.find_element(By.CSS_SELECTOR, ".tcw-dialog")
    assert dialog.get_attribute("open") is not None
    assert browser.switch_to.active_element.text == "取消"
    assert has_cjk(dialog.text)
    assert page.axe() == []
    page.screenshot("widget-zh-start-over.png")
    texts = page.turn(
        browser.find_element(By.CSS_SELECTOR, ".tcw-dialog .tcw-primary").click
    )
    assert texts and all(has_cjk(text) for text in texts), texts
    assert page.users()[-1] == "重新开始"

    # The Chinese privacy notice is one link away.
    browser.find_element(By.LINK_TEXT, "隐私说明").click()
    page.wait(lambda: "隐私说明" in browser.title)
    assert page.js("return document.documentElement.lang") == "zh-CN"
    assert "{{" not in browser.page_source
    assert page.axe() == []
