"""The staff console and the referral e-mail in Chinese and English.

The catalogues (bot/console/i18n/en.yml, zh.yml) must have the same keys and
placeholders; the language is the account's choice, else the site's (before sign-in:
a cookie, else Accept-Language); codes, dates, numbers, the person's words and the
exports stay as they are in both languages.
"""

from __future__ import annotations

import dataclasses
import html
import re
import shutil
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import requests
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session
from support.staffdata import STAFF_ACCOUNTS, ConsoleHandle, LiveServer
from test_notify import ANSWER_WORDS, EMAIL, NAME, PHONE, T0, refer_someone

from bot import vocab
from bot.console import i18n
from bot.console.app import chinese_wording, make_app
from bot.console.charts import bar_chart
from bot.jobs.notify import deliver_outbox
from bot.reports.funnel import COLUMNS
from bot.screening import criteria
from bot.screening.criteria import CriteriaError, Trial, load_trial
from bot.settings import load_settings
from bot.store.models import Answer, OutboxMessage, Screening, StaffUser
from bot.store.transcripts import TrackerStore

if TYPE_CHECKING:
    from tests.conftest import SMTPServer

TEMPLATES = Path(i18n.__file__).parent.parent / "templates"
VIEWS = Path(i18n.__file__).parent.parent


class Browser:
    """A browser-like client: cookies kept, redirects not followed."""

    def __init__(self, base: str, accept_language: str | None = None) -> None:
        self.base = base
        self.http = requests.Session()
        if accept_language:
            self.http.headers["Accept-Language"] = accept_language
        self.csrf = ""

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=20, allow_redirects=False)

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(
            self.base + path, data=data, timeout=20, allow_redirects=False
        )

    def login(self, role: str) -> None:
        username, password = STAFF_ACCOUNTS[role]
        page = self.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text)
        assert token
        done = self.post(
            "/login",
            {"username": username, "password": password, "login_token": token[1]},
        )
        assert done.status_code == 303
        queue = self.get("/referrals")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', queue.text)
        assert csrf
        self.csrf = csrf[1]

    def choose(self, language: str, back: str = "/referrals") -> requests.Response:
        return self.post(
            "/language",
            {"language": language, "next": back, "csrf_token": self.csrf},
        )


def text_of(response: requests.Response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", response.text))


def account_language(console: ConsoleHandle, username: str) -> str | None:
    with Session(bind=console.world.engine, future=True) as session:
        return session.execute(
            select(StaffUser.language).where(StaffUser.username == username)
        ).scalar_one()


# --------------------------------------------------------------------------- #
# The catalogues
# --------------------------------------------------------------------------- #


def test_the_catalogues_have_the_same_keys_and_placeholders() -> None:
    catalogues = {lang: i18n.catalogue(lang) for lang in i18n.LANGUAGES}
    assert i18n.catalogue_problems(catalogues) == []
    assert len(catalogues["zh"]) > 200


def test_the_catalogue_check_finds_a_missing_key_and_a_changed_placeholder() -> None:
    en = {"a": "Page {page} of {pages}", "b": "Save"}
    zh = {"a": "第 {page} 页，共 {total} 页"}
    problems = i18n.catalogue_problems({"en": en, "zh": zh})
    assert any(p.startswith("a: placeholders differ") for p in problems)
    assert "b: missing in zh" in problems


def test_every_key_the_console_uses_is_in_both_catalogues() -> None:
    used: set[str] = set()
    for file in [*TEMPLATES.glob("*.html"), *VIEWS.rglob("*.py")]:
        source = file.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", source))
        used |= set(
            re.findall(r'"((?:exports|error|funnel)\.(?!html")[a-z_0-9]+)"', source)
        )
    # Keys built from codes in the templates.
    used = {k for k in used if not k.endswith("_")}
    used |= {f"funnel.col_{c}" for c in COLUMNS if c not in vocab.OUTCOMES}
    used |= {f"status.{s}" for s in vocab.REFERRAL_STATUSES}
    used |= {f"outcome.{o}" for o in (*vocab.OUTCOMES, "running")}
    used |= {
        f"verdict.{k}_{v}" for k in ("inclusion", "exclusion") for v in vocab.VERDICTS
    }
    assert len(used) > 150
    for language in i18n.LANGUAGES:
        missing = sorted(k for k in used if k not in i18n.catalogue(language))
        assert missing == [], language


def test_the_chinese_catalogue_uses_the_staff_terms() -> None:
    zh = i18n.catalogue("zh")
    assert zh["outcome.likely_eligible"] == "可能符合"
    assert zh["outcome.needs_review"] == "需人工复核"
    assert zh["outcome.ineligible"] == "不符合"
    assert zh["kind.inclusion"] == "纳入标准" and zh["kind.exclusion"] == "排除标准"
    assert (zh["nav.referrals"], zh["nav.exports"], zh["nav.audit"]) == (
        "转介",
        "导出",
        "访问记录",
    )
    # Nothing was left in English by mistake (codes aside).
    english = {k: v for k, v in zh.items() if not re.search(r"[\u4e00-\u9fff]", v)}
    assert set(english) <= {
        "lang.html",
        "exports.fhir",
        "nav.who",
        "value.on",
        "queue.newer",
        "queue.older",
        "referral.back",
        "referral.colon",
        "referral.criterion",
    }, english


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
        ("en-GB,en;q=0.9,zh-CN;q=0.8", "en"),
        ("fr-FR, zh-Hans;q=0.5, en;q=0.4", "zh"),
        ("en;q=0.2, zh-TW;q=0.7", "zh"),
        ("zh;q=0, en;q=0.1", "en"),
        ("de, fr;q=0.9", None),
        ("", None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.from_accept_language(header) == expected


def test_site_language_setting() -> None:
    assert load_settings({}).site_language == "zh"
    assert load_settings({"SITE_LANGUAGE": "en"}).site_language == "en"
    with pytest.raises(ValueError, match="SITE_LANGUAGE"):
        load_settings({"SITE_LANGUAGE": "fr"})


# --------------------------------------------------------------------------- #
# Choosing the language
# --------------------------------------------------------------------------- #


def test_before_sign_in_the_site_language_then_the_browser_then_the_switch(
    console: ConsoleHandle,
) -> None:
    assert console.world.settings.site_language == "zh"
    plain = Browser(console.url).get("/login")
    assert '<html lang="zh-Hans">' in plain.text and "登录" in plain.text
    assert "用户名" in plain.text and "Username" not in plain.text
    assert f"连续登录失败 {console.world.settings.login_max_failures} 次" in plain.text

    english_browser = Browser(console.url, accept_language="en-US,en;q=0.9")
    page = english_browser.get("/login")
    assert '<html lang="en">' in page.text and "Username" in page.text

    # The switch on the sign-in page: a link that sets a cookie, nothing else.
    switched = english_browser.get("/login?lang=zh&next=/funnel")
    assert "用户名" in switched.text
    assert 'name="next" value="/funnel"' in switched.text
    assert english_browser.http.cookies.get(i18n.LANGUAGE_COOKIE) == "zh"
    assert "用户名" in english_browser.get("/login").text  # remembered


def test_an_account_starts_in_the_site_language_and_keeps_its_choice(
    console: ConsoleHandle,
) -> None:
    cora = Browser(console.url)
    cora.login("coordinator")
    assert account_language(console, "cora") is None
    queue = cora.get("/referrals")
    assert "转介列表" in queue.text and "退出登录" in queue.text
    assert 'value="zh"' in queue.text and 'value="en"' in queue.text

    chosen = cora.choose("en", back="/funnel?channel=rest")
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == "/funnel?channel=rest"
    assert account_language(console, "cora") == "en"
    assert "Recruitment funnel" in cora.get("/funnel").text
    # The switch comes back to the page it is on, without the last message.
    page = cora.get("/referrals?status=new&msg=note")
    assert 'name="next" value="/referrals?status=new"' in page.text

    # Another browser, another session of the same account: still English,
    # whatever that browser prefers.
    elsewhere = Browser(console.url, accept_language="zh-CN")
    elsewhere.login("coordinator")
    assert "Referral queue" in elsewhere.get("/referrals").text

    # Someone else's account is not affected.
    ivan = Browser(console.url)
    ivan.login("investigator")
    assert "转介列表" in ivan.get("/referrals").text


def test_the_switch_needs_the_csrf_token_and_a_known_language(
    console: ConsoleHandle,
) -> None:
    cora = Browser(console.url)
    cora.login("coordinator")
    forged = cora.post("/language", {"language": "en", "next": "/referrals"})
    assert forged.status_code == 403
    assert "表单已过期" in text_of(forged)
    assert account_language(console, "cora") is None
    unknown = cora.choose("fr")
    assert unknown.status_code == 400 and "不支持该语言" in text_of(unknown)
    assert account_language(console, "cora") is None
    outside = cora.choose("en", back="//evil.example/")
    assert outside.headers["Location"] == "/referrals"
    signed_out = Browser(console.url).post("/language", {"language": "en"})
    assert signed_out.status_code == 401


def test_a_choice_made_on_the_sign_in_page_becomes_the_accounts(
    console: ConsoleHandle,
) -> None:
    ivan = Browser(console.url)
    ivan.get("/login?lang=en")
    ivan.login("investigator")
    assert account_language(console, "ivan") == "en"
    assert "Referral queue" in ivan.get("/referrals").text


def test_error_pages_and_refusals_in_chinese(console: ConsoleHandle) -> None:
    ivan = Browser(console.url)
    ivan.login("investigator")
    missing = ivan.get("/referrals/SCR-NOSUCH")
    assert missing.status_code == 404 and "未找到" in missing.text
    denied = ivan.get("/admin/users")
    assert denied.status_code == 403
    assert "您的角色（investigator）无权执行此操作。" in text_of(denied)


# --------------------------------------------------------------------------- #
# The referral page
# --------------------------------------------------------------------------- #


def tiny_chinese_wording(tmp_path: Path) -> Trial:
    """The project's criteria with a small Chinese wording file beside a copy."""
    source = Path(criteria.DEFAULT_TRIAL_FILE)
    copy = tmp_path / source.name
    shutil.copyfile(source, copy)
    overlay = {
        "language": "zh",
        "questions": {
            "age": {"label": "年龄", "ask": {"self": "请问您今年多大年纪？"}},
        },
        "criteria": {"inc_age": {"summary": "年龄 18 至 70 岁"}},
    }
    criteria.overlay_path(copy, "zh").write_text(
        yaml.safe_dump(overlay, allow_unicode=True), encoding="utf-8"
    )
    return load_trial(str(copy), language="zh")


@pytest.fixture
def worded_console(staff_world, tmp_path: Path) -> Iterator[ConsoleHandle]:
    """The console with a Chinese wording of the criteria."""
    tracker = TrackerStore(staff_world.tracker_url)
    app = make_app(
        staff_world.settings,
        engine=staff_world.engine,
        tracker=tracker,
        trial=staff_world.trial,
        trial_zh=tiny_chinese_wording(tmp_path),
        hasher=staff_world.hasher,
        clock=staff_world.clock,
    )
    server = LiveServer(app)
    server.start()
    try:
        yield ConsoleHandle(server.url, app, staff_world)
    finally:
        server.stop()
        tracker.dispose()


def test_the_referral_page_in_chinese_keeps_registry_words_codes_and_what_was_said(
    worded_console: ConsoleHandle,
) -> None:
    console = worded_console
    likely = console.world.made["likely"].reference
    said = "我今年四十五了，属猪的"
    with Session(bind=console.world.engine, future=True) as session:
        answer = session.execute(
            select(Answer)
            .join(Screening)
            .where(Screening.reference == likely, Answer.fact_id == "age")
            .where(Answer.superseded.is_(False))
        ).scalar_one()
        answer.as_given = said
        session.commit()

    cora = Browser(console.url)
    cora.login("coordinator")
    page = cora.get(f"/referrals/{likely}")
    assert page.status_code == 200
    words = text_of(page)
    # The criterion: Chinese summary and question, the registry's English words.
    assert "纳入标准 1：年龄 18 至 70 岁" in words
    assert "注册原文：“18 years old ≤ age ≤ 70 years old" in words
    assert "向患者提问：“请问您今年多大年纪？”" in words
    assert "纳入标准 2" in words and "APASL definition of ACLF" in words
    assert "排除标准 14 无法通过预筛查判断" in words
    # The person's words as written; numbers and units unchanged.
    assert f"“{said}” → 45 岁" in words  # the value recorded, unchanged
    assert "“bilirubin 342 umol/L” → 342 µmol/L" in words
    assert "“INR 1.8” → 1.8" in words
    assert "“yes, hepatitis B for 20 years” → 是" in words
    # Codes, dates and the reference as they are.
    assert likely in words and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", words)
    assert "可能符合" in words and "新转介" in words
    # The transcript shows what was said, in the language it was said in.
    assert "What phone number should they call?" in words
    assert "助手 ·" in words
    # Criteria without Chinese wording fall back to the English summary.
    assert "纳入标准 2：Sudden liver failure on top of long-term liver disease" in words


def test_without_the_chinese_wording_file_the_console_uses_english(
    monkeypatch: pytest.MonkeyPatch, trial: Trial
) -> None:
    def missing(*_: object, **__: object) -> Trial:
        raise CriteriaError("cannot read criteria wording aclf-ucmsc.zh.yml")

    monkeypatch.setattr("bot.console.app.load_trial", missing)
    assert chinese_wording(trial) is trial


def test_a_wording_of_other_criteria_is_not_used(tmp_path: Path, trial: Trial) -> None:
    worded = tiny_chinese_wording(tmp_path)
    assert chinese_wording(dataclasses.replace(trial, version="another")) is not worded


def test_exports_are_the_same_in_both_languages(console: ConsoleHandle) -> None:
    ada = Browser(console.url)
    ada.login("admin")
    downloads: dict[str, dict[str, bytes]] = {}
    for language in ("zh", "en"):
        ada.choose(language)
        page = ada.get("/exports")
        assert ("导出" if language == "zh" else "Exports") in page.text
        downloads[language] = {}
        for fmt in ("json", "csv", "redcap-dictionary", "fhir"):
            got = ada.post("/exports", {"format": fmt, "csrf_token": ada.csrf})
            assert got.status_code == 200, fmt
            downloads[language][fmt] = got.content
    # The FHIR Bundle gets a fresh id on every download; all else is equal.
    uuid = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    for fmt in ("json", "csv", "redcap-dictionary", "fhir"):
        zh, en = (uuid.sub(b"ID", downloads[lang][fmt]) for lang in ("zh", "en"))
        assert zh == en, fmt
    assert "record_id" in downloads["zh"]["csv"].decode("utf-8")


# --------------------------------------------------------------------------- #
# The referral e-mail
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_referral_email_is_in_the_site_language_and_private(
    language: str, session_factory, settings, smtp_server: SMTPServer
) -> None:
    settings = dataclasses.replace(
        settings,
        smtp_host="127.0.0.1",
        smtp_port=smtp_server.port,
        site_language=language,
    )
    reference = refer_someone(session_factory, settings)
    assert deliver_outbox(session_factory, settings, now=T0).sent == 1
    envelope = smtp_server.messages[0]
    mail = message_from_bytes(envelope.original_content, policy=policy.default)
    body = mail.get_content()
    link = f"http://console.test:8080/referrals/{reference}"
    if language == "zh":
        assert mail["Subject"] == f"新的预筛查转介 {reference}"
        assert f"编号：{reference}" in body
        assert "预筛查结果：需人工复核（needs_review）" in body
        assert "不包含任何健康信息或联系方式" in body
    else:
        assert mail["Subject"] == f"New pre-screening referral {reference}"
        assert "Pre-screening outcome: needs_review (Needs review)" in body
    assert link in body
    raw = envelope.original_content.decode("utf-8", "replace") + body
    for private in (PHONE, "138 0013", NAME, EMAIL, ANSWER_WORDS, "342", "INR"):
        assert private not in raw
    # The row holds what was sent.
    with session_factory() as session:
        row = session.execute(select(OutboxMessage)).scalar_one()
        assert (row.subject, row.body) == (mail["Subject"], body.replace("\r\n", "\n"))


def test_charts_fit_chinese_labels_and_say_no_data_in_the_page_language() -> None:
    long_label = "最近四周内有没有出现过意识模糊或特别嗜睡的情况"  # 23 characters
    svg = str(bar_chart([(long_label, 3)], title="筛查中止的位置"))
    shown = re.search(r'text-anchor="end" fill="#222">([^<]+)<', svg)
    assert shown and shown[1].endswith("…") and len(shown[1]) <= 17
    assert f"<title>{long_label}: 3</title>" in svg  # the whole label on hover
    assert "Hepatic encephalopathy grade" in str(
        bar_chart([("Hepatic encephalopathy grade", 1)], title="x")
    )
    assert "暂无数据" in str(bar_chart([], title="x", empty="暂无数据"))
