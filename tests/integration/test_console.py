"""The staff console over real HTTP: the app served on a loopback port, ``requests``.

Routes are enumerated from the application's router, so a route added later is
covered by the access-control tests without touching them.
"""

from __future__ import annotations

import csv
import dataclasses
import html
import io
import json
import re
from collections.abc import Iterator

import pytest
import requests
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from support.staffdata import CONTACT, STAFF_ACCOUNTS, ConsoleHandle

from bot import staff, vocab
from bot.console.app import CONSOLE
from bot.store.models import AuditEvent, Referral, StaffNote, StaffSession, StaffUser
from bot.store.transcripts import HIDDEN

PUBLIC = {("GET", "/login"), ("POST", "/login")}


class Client:
    """A signed-in (or not) browser-like client of the console."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.csrf = ""

    def get(self, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        return self.http.get(self.base + path, timeout=20, **kwargs)

    def post(
        self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs
    ) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.csrf)
        return self.http.post(self.base + path, data=data, timeout=20, **kwargs)

    def login(self, username: str, password: str) -> requests.Response:
        page = self.get("/login")
        token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
        response = self.post(
            "/login",
            {"username": username, "password": password, "login_token": token},
            csrf=False,
        )
        if response.status_code == 303:
            self.refresh_csrf()
        return response

    def refresh_csrf(self) -> None:
        page = self.get("/referrals")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        self.csrf = match.group(1) if match else ""


@pytest.fixture
def staff_world(staff_world):
    """These tests read the English console; the site's language (the default of
    every account that has not chosen) is Chinese unless set otherwise."""
    staff_world.settings = dataclasses.replace(staff_world.settings, site_language="en")
    return staff_world


def signed_in(console: ConsoleHandle, role: str) -> Client:
    username, password = STAFF_ACCOUNTS[role]
    client = Client(console.url)
    assert client.login(username, password).status_code == 303
    assert client.csrf
    return client


@pytest.fixture
def admin(console: ConsoleHandle) -> Client:
    return signed_in(console, "admin")


@pytest.fixture
def coordinator(console: ConsoleHandle) -> Client:
    return signed_in(console, "coordinator")


@pytest.fixture
def investigator(console: ConsoleHandle) -> Client:
    return signed_in(console, "investigator")


def db(console: ConsoleHandle) -> Iterator[Session]:
    return Session(bind=console.world.engine, future=True)


def audit_actions(console: ConsoleHandle, action: str) -> list[AuditEvent]:
    with db(console) as session:
        return list(
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == action)
                .order_by(AuditEvent.id)
            ).scalars()
        )


def routes(console: ConsoleHandle) -> list[tuple[str, str, str, object]]:
    """(method, canonical path, concrete path, handler) of every route."""
    likely = console.world.made["likely"].reference
    user_id = console.world.user_ids["ivan"]
    found = []
    for route in console.app.router.routes():
        canonical = route.resource.canonical
        concrete = canonical.replace("{reference}", likely).replace(
            "{user_id}", str(user_id)
        )
        found.append((route.method, canonical, concrete, route.handler))
    return found


def referral(console: ConsoleHandle, name: str = "likely") -> Referral:
    with db(console) as session:
        return session.execute(
            select(Referral).where(
                Referral.reference == console.world.made[name].reference
            )
        ).scalar_one()


# --------------------------------------------------------------------------- #
# Access control
# --------------------------------------------------------------------------- #


def test_route_table_is_what_the_console_declares(console: ConsoleHandle) -> None:
    declared = {(m, c) for m, c, _, _ in routes(console)}
    assert ("GET", "/referrals") in declared and ("POST", "/exports") in declared
    assert len(declared) >= 19
    for method, canonical, _, handler in routes(console):
        if (method, canonical) in PUBLIC or method == "HEAD":
            continue
        assert getattr(handler, "permission", None) in staff.PERMISSIONS, canonical


def test_every_route_refuses_anonymous_access(console: ConsoleHandle) -> None:
    anonymous = Client(console.url)
    secret_words = [CONTACT.phone, CONTACT.name, "hepatitis B for 20 years"]
    checked = 0
    for method, canonical, path, _ in routes(console):
        if (method, canonical) in PUBLIC:
            continue
        response = anonymous.http.request(
            method,
            console.url + path,
            data={"x": "1"},
            allow_redirects=False,
            timeout=20,
        )
        if method in ("GET", "HEAD"):
            assert response.status_code == 303, (method, path)
            assert response.headers["Location"].startswith("/login?next="), path
        else:
            assert response.status_code == 401, (method, path)
        for word in secret_words:
            assert word not in response.text
        checked += 1
    assert checked >= 17
    # A forged session cookie is no better than none.
    anonymous.http.cookies.set("console_session", "forged-token")
    assert anonymous.get("/referrals").status_code == 303


def test_each_role_reaches_exactly_what_it_may(console: ConsoleHandle) -> None:
    likely = console.world.made["likely"].reference
    harmless = {
        # POST bodies that change nothing even when allowed.
        "/logout": None,
        f"/referrals/{likely}/status": {"status": "no-such-status"},
        f"/referrals/{likely}/notes": {"body": ""},
        f"/referrals/{likely}/assignee": {"assignee": "999999"},
        "/exports": {"format": "nope"},
        "/admin/users": {"username": "x"},
        "/admin/erase": {"reference": "SCR-NOPE22", "confirm": "different"},
    }
    for role in vocab.STAFF_ROLES:
        client = signed_in(console, role)
        for method, canonical, path, handler in routes(console):
            if (method, canonical) in PUBLIC or method == "HEAD" or path == "/logout":
                continue
            allowed = staff.can(role, handler.permission)
            if method == "GET":
                response = client.get(path)
                expected = {303} if path == "/" else {200}
            else:
                data = harmless.get(path, {})
                if canonical == "/admin/users/{user_id}":
                    data = {"role": "investigator", "active": "1"}
                response = client.post(path, data)
                expected = {200, 303, 400, 404}
            if allowed:
                assert response.status_code in expected, (role, method, path)
            else:
                assert response.status_code == 403, (role, method, path)
                assert "does not allow" in response.text
    denied = audit_actions(console, "access.denied")
    assert {e.actor for e in denied} == {"cora", "ivan"}


def test_investigator_cannot_reveal_contacts_or_export_them(
    console: ConsoleHandle, investigator: Client
) -> None:
    likely = console.world.made["likely"].reference
    page = investigator.get(f"/referrals/{likely}")
    assert page.status_code == 200
    assert "not shown to the investigator role" in page.text
    assert investigator.post(f"/referrals/{likely}/reveal").status_code == 403
    refused = investigator.post("/exports", {"format": "json", "with_contacts": "1"})
    assert refused.status_code == 403
    plain = investigator.post("/exports", {"format": "json"})
    assert plain.status_code == 200
    assert CONTACT.phone not in plain.text
    assert audit_actions(console, "referral.contacts_revealed") == []


# --------------------------------------------------------------------------- #
# Sign-in, sessions, CSRF, lockout
# --------------------------------------------------------------------------- #


def test_session_cookie_is_httponly_strict_and_rotated(console: ConsoleHandle) -> None:
    client = Client(console.url)
    planted = "planted-by-attacker"
    client.http.cookies.set("console_session", planted, domain="127.0.0.1", path="/")
    response = client.login("cora", STAFF_ACCOUNTS["coordinator"][1])
    assert response.status_code == 303
    header = response.headers["Set-Cookie"]
    match = re.search(r"console_session=([^;]+);([^,]*)", header)
    assert match, header
    token, attributes = match.group(1), match.group(2).lower()
    assert "httponly" in attributes and "samesite=strict" in attributes
    assert "path=/" in attributes and "secure" not in attributes
    assert token != planted and len(token) >= 40
    with db(console) as session:
        stored = session.execute(select(StaffSession.id)).scalars().all()
    assert token not in stored  # only its hash is stored
    assert staff.session_key(token) in stored
    assert staff.session_key(planted) not in stored


def test_secure_cookies_when_configured(staff_world) -> None:
    import dataclasses

    from support.staffdata import LiveServer

    from bot.console import make_app

    settings = dataclasses.replace(staff_world.settings, console_secure_cookies=True)
    server = LiveServer(
        make_app(
            settings,
            engine=staff_world.engine,
            trial=staff_world.trial,
            hasher=staff_world.hasher,
            clock=staff_world.clock,
        )
    )
    server.start()
    try:
        page = requests.get(server.url + "/login", timeout=20)
        assert "__Host-console_login=" in page.headers["Set-Cookie"]
        assert "Secure" in page.headers["Set-Cookie"]
        assert "Strict-Transport-Security" in page.headers
    finally:
        server.stop()


def test_sign_out_ends_the_session(console: ConsoleHandle, admin: Client) -> None:
    token = admin.http.cookies.get("console_session")
    assert admin.post("/logout").status_code == 303
    replay = Client(console.url)
    replay.http.cookies.set("console_session", token)
    assert replay.get("/referrals").status_code == 303
    assert len(audit_actions(console, "logout")) == 1


def test_session_times_out_when_idle(console: ConsoleHandle, admin: Client) -> None:
    clock = console.world.clock
    clock.advance(minutes=29)
    assert admin.get("/referrals").status_code == 200  # activity renews it
    clock.advance(minutes=29)
    assert admin.get("/referrals").status_code == 200
    clock.advance(minutes=31)
    expired = admin.get("/referrals")
    assert expired.status_code == 303
    assert "msg=expired" in expired.headers["Location"]
    assert "timed out" in admin.get(expired.headers["Location"]).text
    # The expired session is gone; a form posted with it is refused.
    assert admin.post("/referrals/x/notes", {"body": "late"}).status_code == 401
    with db(console) as session:
        assert session.execute(select(func.count(StaffSession.id))).scalar() == 0


def test_session_has_an_absolute_lifetime(
    console: ConsoleHandle, admin: Client
) -> None:
    clock = console.world.clock
    for _ in range(24):  # active every 29 minutes for 11.6 hours
        clock.advance(minutes=29)
        assert admin.get("/exports").status_code == 200
    clock.advance(minutes=29)  # 12 hours and 5 minutes after signing in
    assert admin.get("/exports").status_code == 303


def test_csrf_token_is_required_on_every_state_changing_route(
    console: ConsoleHandle, admin: Client
) -> None:
    likely = console.world.made["likely"].reference
    bodies = {
        f"/referrals/{likely}/status": {"status": "contacted"},
        f"/referrals/{likely}/notes": {"body": "should not be stored"},
        f"/referrals/{likely}/assignee": {"assignee": "1"},
        f"/referrals/{likely}/reveal": {},
        "/exports": {"format": "json"},
        "/admin/users": {"username": "mallory", "password": "x" * 20, "role": "admin"},
        "/admin/erase": {"reference": likely, "confirm": likely},
        "/logout": {},
    }
    posts = [
        (canonical, path)
        for method, canonical, path, _ in routes(console)
        if method == "POST" and (method, canonical) not in PUBLIC
    ]
    assert len(posts) >= 9
    for _canonical, path in posts:
        data = bodies.get(path, {"role": "admin", "active": "1"})
        missing = admin.post(path, data, csrf=False)
        assert missing.status_code == 403, path
        for forgery in ("forged", "ünïcode-tøken"):
            forged = admin.post(path, {**data, "csrf_token": forgery}, csrf=False)
            assert forged.status_code == 403, path
        cross_site = admin.post(path, data, headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403, path
    # Nothing happened.
    with db(console) as session:
        assert referral(console).status == vocab.REFERRAL_NEW
        assert session.execute(select(func.count(StaffNote.id))).scalar() == 0
        assert (
            session.execute(
                select(StaffUser).where(StaffUser.username == "mallory")
            ).first()
            is None
        )
    assert audit_actions(console, "export.created") == []
    assert audit_actions(console, "referral.contacts_revealed") == []
    # The header form of the token works too (for scripts).
    ok = admin.post(
        f"/referrals/{likely}/notes",
        {"body": "via header"},
        csrf=False,
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert ok.status_code == 303


def test_login_form_needs_its_token(console: ConsoleHandle) -> None:
    client = Client(console.url)
    response = client.post(
        "/login",
        {"username": "ada", "password": STAFF_ACCOUNTS["admin"][1]},
        csrf=False,
    )
    assert response.status_code == 403
    assert "expired" in response.text
    client.http.cookies.set("console_login", "cookie-value", domain="127.0.0.1")
    unicode_token = client.post(
        "/login",
        {"username": "ada", "password": "x", "login_token": "tøken"},
        csrf=False,
    )
    assert unicode_token.status_code == 403
    assert audit_actions(console, "login.succeeded") == []


def test_lockout_after_five_failures(console: ConsoleHandle) -> None:
    client = Client(console.url)
    for _ in range(5):
        failed = client.login("cora", "wrong password here")
        assert failed.status_code == 401
        assert "Sign-in failed" in failed.text
    # Locked: even the right password is refused, with the same message.
    locked = client.login("cora", STAFF_ACCOUNTS["coordinator"][1])
    assert locked.status_code == 401
    assert "locked for 15 minutes" in locked.text
    with db(console) as session:
        user = session.execute(
            select(StaffUser).where(StaffUser.username == "cora")
        ).scalar_one()
        assert user.locked_until is not None
    failures = audit_actions(console, "login.failed")
    assert [e.detail["reason"] for e in failures] == ["bad_password"] * 5 + ["locked"]
    assert len(audit_actions(console, "account.locked")) == 1

    console.world.clock.advance(minutes=16)
    assert client.login("cora", STAFF_ACCOUNTS["coordinator"][1]).status_code == 303
    assert len(audit_actions(console, "login.succeeded")) == 1


def test_unknown_user_and_deactivated_user_are_refused(
    console: ConsoleHandle, admin: Client
) -> None:
    assert Client(console.url).login("nobody", "whatever password").status_code == 401
    ivan = console.world.user_ids["ivan"]
    investigator = signed_in(console, "investigator")
    assert (
        admin.post(f"/admin/users/{ivan}", {"role": "investigator"}).status_code == 303
    )
    # Deactivated (the "active" box unticked): the open session ends at once.
    assert investigator.get("/referrals").status_code == 303
    again = Client(console.url).login("ivan", STAFF_ACCOUNTS["investigator"][1])
    assert again.status_code == 401
    reasons = [e.detail["reason"] for e in audit_actions(console, "login.failed")]
    assert reasons == ["unknown_user", "inactive"]


def test_login_redirects_only_to_local_paths(console: ConsoleHandle) -> None:
    client = Client(console.url)
    page = client.get("/login?next=https://evil.example/x")
    token = re.search(r'name="login_token" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/login",
        {
            "username": "ada",
            "password": STAFF_ACCOUNTS["admin"][1],
            "login_token": token,
            "next": "//evil.example/x",
        },
        csrf=False,
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/referrals"


def test_every_page_carries_the_security_headers(
    console: ConsoleHandle, admin: Client
) -> None:
    for path in ("/login", "/referrals", "/funnel", "/no/such/page"):
        response = admin.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Cache-Control"] == "no-store"
        assert "<script" not in response.text
        assert " style=" not in response.text  # the CSP allows only the style block


# --------------------------------------------------------------------------- #
# Queue and referral
# --------------------------------------------------------------------------- #


def test_queue_lists_referrals_newest_first_with_counts(
    console: ConsoleHandle, coordinator: Client
) -> None:
    made = console.world.made
    page = coordinator.get("/referrals")
    assert page.status_code == 200
    order = [made[n].reference for n in ("ineligible", "review", "likely")]
    positions = [page.text.index(ref) for ref in order]
    assert positions == sorted(positions)
    assert made["stopped"].reference not in page.text  # not referred
    assert "<b>3</b>All referrals" in page.text
    assert "<b>3</b>New" in page.text

    by_outcome = coordinator.get("/referrals?outcome=needs_review")
    assert made["review"].reference in by_outcome.text
    assert made["likely"].reference not in by_outcome.text
    by_channel = coordinator.get("/referrals?channel=telegram")
    assert made["review"].reference in by_channel.text
    assert made["ineligible"].reference not in by_channel.text
    by_date = coordinator.get("/referrals?date_from=2026-11-03&date_to=2026-11-03")
    assert made["review"].reference in by_date.text
    assert made["likely"].reference not in by_date.text
    by_status = coordinator.get("/referrals?status=contacted")
    assert "No referrals match" in by_status.text
    search = coordinator.get("/referrals?q=" + made["likely"].reference[-4:].lower())
    assert made["likely"].reference in search.text


def test_referral_detail_shows_criteria_words_and_hides_contacts(
    console: ConsoleHandle, coordinator: Client
) -> None:
    likely = console.world.made["likely"].reference
    page = coordinator.get(f"/referrals/{likely}")
    assert page.status_code == 200
    body = html.unescape(page.text)
    words = re.sub(r"<[^>]+>", "", body)
    # Criteria with the registry's words, the person's words and the value.
    assert "Inclusion 2" in body and "APASL definition of ACLF" in body
    assert "“bilirubin 342 umol/L” → 342 µmol/L" in words
    assert "“INR 1.8” → 1.8" in words
    assert "“yes, hepatitis B for 20 years” → Yes" in words
    assert "Met: excluded" not in body  # no exclusion applies to this person
    assert "Exclusion 14 cannot be screened" in body
    # The transcript is there, without the contact details typed in the chat.
    assert "What phone number should they call?" in body
    assert HIDDEN in body
    for secret in (CONTACT.phone, CONTACT.name, CONTACT.email, CONTACT.best_time):
        assert secret not in body
    assert audit_actions(console, "referral.contacts_revealed") == []


def test_reveal_shows_contacts_once_and_is_audited(
    console: ConsoleHandle, coordinator: Client
) -> None:
    likely = console.world.made["likely"].reference
    revealed = coordinator.post(f"/referrals/{likely}/reveal")
    assert revealed.status_code == 200
    body = html.unescape(revealed.text)
    assert CONTACT.phone in body and CONTACT.name in body
    assert "Name: Li Wei" in body  # the transcript is shown whole too
    events = audit_actions(console, "referral.contacts_revealed")
    assert [(e.actor, e.target) for e in events] == [("cora", likely)]
    assert CONTACT.phone not in json.dumps([e.detail for e in events])
    again = coordinator.get(f"/referrals/{likely}")
    assert CONTACT.phone not in html.unescape(again.text)


def test_status_workflow_and_its_audit(
    console: ConsoleHandle, coordinator: Client
) -> None:
    likely = console.world.made["likely"].reference
    path = f"/referrals/{likely}/status"
    skipped = coordinator.post(path, {"status": "enrolled"})
    assert skipped.status_code == 400
    assert "cannot become enrolled" in skipped.text
    no_reason = coordinator.post(path, {"status": "not_enrolled"})
    assert no_reason.status_code == 400
    assert "Give the reason" in no_reason.text
    for step in ("contacted", "records_checked", "scheduled", "enrolled"):
        response = coordinator.post(path, {"status": step, "reason": f"now {step}"})
        assert response.status_code == 303, step
    assert referral(console).status == vocab.REFERRAL_ENROLLED
    page = coordinator.get(f"/referrals/{likely}")
    assert "This referral is closed" in page.text
    events = audit_actions(console, "referral.status_changed")
    assert [(e.detail["from"], e.detail["to"]) for e in events] == [
        ("new", "contacted"),
        ("contacted", "records_checked"),
        ("records_checked", "scheduled"),
        ("scheduled", "enrolled"),
    ]
    assert {e.actor for e in events} == {"cora"}

    review = console.world.made["review"].reference
    ended = coordinator.post(
        f"/referrals/{review}/status",
        {"status": "not_enrolled", "reason": "platelets 40 before onset"},
    )
    assert ended.status_code == 303
    assert referral(console, "review").status_reason == "platelets 40 before onset"


def test_notes_and_assignee(console: ConsoleHandle, investigator: Client) -> None:
    likely = console.world.made["likely"].reference
    note = investigator.post(
        f"/referrals/{likely}/notes", {"body": "Borderline: check INR trend."}
    )
    assert note.status_code == 303
    cora = console.world.user_ids["cora"]
    assigned = investigator.post(
        f"/referrals/{likely}/assignee", {"assignee": str(cora)}
    )
    assert assigned.status_code == 303
    page = investigator.get(f"/referrals/{likely}")
    assert "Borderline: check INR trend." in page.text
    assert referral(console).assignee_id == cora
    assert len(audit_actions(console, "referral.note_added")) == 1
    assert audit_actions(console, "referral.assigned")[0].detail == {"assignee": "cora"}
    mine = investigator.get(f"/referrals?assignee={cora}")
    assert likely in mine.text


def test_unknown_reference_is_a_plain_404(admin: Client) -> None:
    for path in ("/referrals/SCR-NOPE22", "/referrals/%3Cscript%3E"):
        response = admin.get(path)
        assert response.status_code == 404
        assert "Not found" in response.text
    assert admin.post("/referrals/SCR-NOPE22/notes", {"body": "x"}).status_code == 404


# --------------------------------------------------------------------------- #
# Bad input
# --------------------------------------------------------------------------- #

NASTY = [
    "<script>alert('x')</script>",
    "'; DROP TABLE referrals; --",
    '" OR 1=1 --',
    "Robert'); DELETE FROM staff_notes WHERE ('1'='1",
    "<img src=x onerror=alert(1)>",
    "%_\\ wildcard",
    "多语言 ✓ émoji 🙂",
]


def test_script_and_sql_in_notes_are_stored_verbatim_and_shown_escaped(
    console: ConsoleHandle, coordinator: Client
) -> None:
    likely = console.world.made["likely"].reference
    for body in NASTY:
        response = coordinator.post(f"/referrals/{likely}/notes", {"body": body})
        assert response.status_code == 303, body
    page = coordinator.get(f"/referrals/{likely}")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
    with db(console) as session:
        stored = session.execute(select(StaffNote.body).order_by(StaffNote.id)).all()
        assert [row[0] for row in stored] == NASTY
        # The tables the SQL-ish notes name are still there.
        assert session.execute(text("SELECT count(*) FROM referrals")).scalar() == 3
        assert session.execute(text("SELECT count(*) FROM staff_notes")).scalar() == 7


def test_script_and_sql_in_search_fields_are_harmless(
    console: ConsoleHandle, coordinator: Client
) -> None:
    for value in NASTY:
        response = coordinator.get("/referrals", params={"q": value})
        assert response.status_code == 200, value
        assert "<script>alert" not in response.text
        assert "<img src=x" not in response.text
    for value in NASTY[:2]:  # script-ish and SQL-ish in every other field
        for name in ("status", "outcome", "channel", "date_from", "assignee", "page"):
            response = coordinator.get("/referrals", params={name: value})
            assert response.status_code == 200, (name, value)
            assert "<script>alert" not in response.text
        funnel = coordinator.get("/funnel", params={"channel": value, "date_to": value})
        assert funnel.status_code == 200
        assert "<script>alert" not in funnel.text
    response = coordinator.get("/referrals", params={"q": NASTY[0]})
    assert "&lt;script&gt;" in response.text
    assert "No referrals match" in response.text
    garbage = coordinator.get("/referrals", params={"date_from": "31/12/2026"})
    assert "From date not understood" in garbage.text
    unknown = coordinator.get("/referrals", params={"status": "approved"})
    assert "Unknown status ignored" in unknown.text
    assert referral(console).status == vocab.REFERRAL_NEW


def test_huge_notes_are_refused_with_a_message(
    console: ConsoleHandle, coordinator: Client
) -> None:
    likely = console.world.made["likely"].reference
    path = f"/referrals/{likely}/notes"
    at_limit = coordinator.post(path, {"body": "a" * staff.NOTE_MAX_CHARS})
    assert at_limit.status_code == 303
    over = coordinator.post(path, {"body": "b" * (staff.NOTE_MAX_CHARS + 1)})
    assert over.status_code == 400
    assert "The note is too long (5,001 characters; the limit is 5,000)" in over.text
    huge = coordinator.post(path, {"body": "c" * 60_000})
    assert huge.status_code == 400 and "too long" in huge.text
    enormous = coordinator.post(path, {"body": "d" * 2_000_000})
    assert enormous.status_code == 413
    assert "too large" in enormous.text
    empty = coordinator.post(path, {"body": "   "})
    assert empty.status_code == 400 and "The note is empty" in empty.text
    nul = coordinator.post(path, {"body": "nul\x00byte\x07 ok"})
    assert nul.status_code == 303
    with db(console) as session:
        bodies = session.execute(select(StaffNote.body).order_by(StaffNote.id)).all()
        assert [len(b[0]) for b in bodies] == [staff.NOTE_MAX_CHARS, len("nulbyte ok")]
    assert coordinator.get(f"/referrals/{likely}").status_code == 200


def test_bad_form_values_never_crash(console: ConsoleHandle, admin: Client) -> None:
    likely = console.world.made["likely"].reference
    cases = [
        (f"/referrals/{likely}/assignee", {"assignee": "not-a-number"}),
        (f"/referrals/{likely}/assignee", {"assignee": "99999"}),
        (f"/referrals/{likely}/status", {"status": NASTY[0]}),
        ("/admin/users", {"username": NASTY[0], "password": "x", "role": "boss"}),
        ("/admin/users/not-a-number", {"role": "admin"}),
        ("/admin/users/424242", {"role": "admin"}),
        ("/admin/erase", {"reference": NASTY[1], "confirm": NASTY[1]}),
        ("/exports", {"format": NASTY[2]}),
    ]
    for path, data in cases:
        response = admin.post(path, data)
        assert response.status_code in (400, 404), (path, response.status_code)
        assert "<script>alert" not in response.text
    assert admin.get("/admin/audit", params={"action": NASTY[0]}).status_code == 200


# --------------------------------------------------------------------------- #
# Funnel, exports, accounts, erasure
# --------------------------------------------------------------------------- #


def test_funnel_page_has_the_chart_and_the_weekly_table(
    console: ConsoleHandle, investigator: Client
) -> None:
    page = investigator.get("/funnel")
    assert page.status_code == 200
    assert page.text.count("<svg") == 3
    assert "Conversations started" in page.text
    assert "2026-W45" in page.text and "telegram" in page.text
    stopped_at = html.unescape(page.text)
    assert "fluid in the belly" in stopped_at  # the stopped screening's next question


def test_exports_download_and_are_audited(
    console: ConsoleHandle, coordinator: Client
) -> None:
    made = console.world.made
    as_json = coordinator.post("/exports", {"format": "json"})
    assert as_json.status_code == 200
    assert "attachment" in as_json.headers["Content-Disposition"]
    document = as_json.json()
    assert len(document["screenings"]) == 5
    assert CONTACT.phone not in as_json.text

    with_contacts = coordinator.post(
        "/exports", {"format": "csv", "with_contacts": "1"}
    )
    rows = list(csv.DictReader(io.StringIO(with_contacts.text)))
    by_ref = {row["record_id"]: row for row in rows}
    assert by_ref[made["likely"].reference]["contact_phone"] == CONTACT.phone
    assert by_ref[made["stopped"].reference]["contact_phone"] == ""

    fhir = coordinator.post("/exports", {"format": "fhir"})
    assert fhir.json()["resourceType"] == "Bundle"
    dictionary = coordinator.post("/exports", {"format": "redcap-dictionary"})
    assert dictionary.text.startswith("Variable / Field Name")

    events = audit_actions(console, "export.created")
    assert [
        (e.actor, e.detail["format"], e.detail["with_contacts"]) for e in events
    ] == [
        ("cora", "json", False),
        ("cora", "csv", True),
        ("cora", "fhir", False),
        ("cora", "redcap-dictionary", False),
    ]


def test_admin_manages_accounts(console: ConsoleHandle, admin: Client) -> None:
    weak = admin.post(
        "/admin/users", {"username": "nina", "password": "short", "role": "coordinator"}
    )
    assert weak.status_code == 400 and "at least 12 characters" in weak.text
    created = admin.post(
        "/admin/users",
        {"username": "nina", "password": "a long passphrase", "role": "coordinator"},
    )
    assert created.status_code == 303
    assert Client(console.url).login("nina", "a long passphrase").status_code == 303
    ada = console.world.user_ids["ada"]
    self_demote = admin.post(
        f"/admin/users/{ada}", {"role": "coordinator", "active": "1"}
    )
    assert self_demote.status_code == 400
    assert "own role" in self_demote.text
    assert [e.target for e in audit_actions(console, "user.created")][-1] == "nina"


def test_admin_erases_a_person_by_reference(
    console: ConsoleHandle, admin: Client
) -> None:
    made = console.world.made
    likely = made["likely"].reference
    mismatch = admin.post("/admin/erase", {"reference": likely, "confirm": "SCR-OTHER"})
    assert mismatch.status_code == 400
    done = admin.post(
        "/admin/erase", {"reference": likely.lower(), "confirm": likely.lower()}
    )
    assert done.status_code == 200
    assert "Deleted 1 screening" in done.text
    assert admin.get(f"/referrals/{likely}").status_code == 404
    tracker = console.app[CONSOLE].tracker
    assert tracker.events(made["likely"].sender) == []
    assert tracker.events(made["review"].sender) != []
    erased = audit_actions(console, "person.erased")
    assert [(e.actor, e.target) for e in erased] == [("ada", likely)]
    assert erased[0].detail["transcript_events"] > 20
    assert [e.target for e in audit_actions(console, "screening.deleted")] == [likely]
    again = admin.post("/admin/erase", {"reference": likely, "confirm": likely})
    assert again.status_code == 404
    audit_page = admin.get("/admin/audit?action=person.erased")
    assert likely in audit_page.text
