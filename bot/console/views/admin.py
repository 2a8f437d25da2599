"""Admin pages: staff accounts, erasing a person's data, the audit trail."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import staff
from bot.console.context import CONSOLE, Staff, in_thread, route
from bot.jobs.retention import erase_person
from bot.store.models import (
    AuditEvent,
    StaffUser,
)


def _users_page(
    request: web.Request,
    session: Session,
    *,
    status: int = 200,
    error: str | None = None,
) -> web.Response:
    console = request.app[CONSOLE]
    users = session.execute(select(StaffUser).order_by(StaffUser.username)).scalars()
    return console.render(
        request,
        "admin_users.html",
        status=status,
        users=list(users),
        error=error,
        now=console.clock(),
    )


@route("GET", "/admin/users", permission=staff.MANAGE_USERS)
async def users_page(request: web.Request) -> web.StreamResponse:
    """Staff accounts."""
    return await in_thread(request, lambda session: _users_page(request, session))


@route("POST", "/admin/users", permission=staff.MANAGE_USERS)
async def users_create(request: web.Request) -> web.StreamResponse:
    """Create a staff account (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()

    def work(session: Session) -> web.StreamResponse:
        try:
            staff.create_user(
                session,
                username=str(form.get("username") or ""),
                password=str(form.get("password") or ""),
                role=str(form.get("role") or ""),
                actor=who.username,
                hasher=console.hasher,
                now=console.clock(),
            )
        except staff.StaffError as exc:
            session.rollback()
            return _users_page(request, session, status=400, error=str(exc))
        return web.HTTPSeeOther("/admin/users?msg=user_created")

    return await in_thread(request, work)


@route("POST", "/admin/users/{user_id}", permission=staff.MANAGE_USERS)
async def users_update(request: web.Request) -> web.StreamResponse:
    """Change an account's role, activity, lock or password (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    raw_id = request.match_info["user_id"]

    def work(session: Session) -> web.StreamResponse:
        user = session.get(StaffUser, int(raw_id)) if raw_id.isdigit() else None
        if user is None:
            raise web.HTTPNotFound()
        actor = session.get(StaffUser, who.user_id)
        try:
            changed = staff.update_user(
                session,
                user,
                actor=actor,
                now=console.clock(),
                role=str(form.get("role") or "") or None,
                active=form.get("active") == "1",
                unlock=form.get("unlock") == "1",
                new_password=str(form.get("new_password") or "") or None,
                hasher=console.hasher,
            )
        except staff.StaffError as exc:
            session.rollback()
            return _users_page(request, session, status=400, error=str(exc))
        msg = "user_updated" if changed else "user_unchanged"
        return web.HTTPSeeOther(f"/admin/users?msg={msg}")

    return await in_thread(request, work)


@route("GET", "/admin/erase", permission=staff.ERASE)
async def erase_page(request: web.Request) -> web.StreamResponse:
    """Delete a person's data on request."""
    console = request.app[CONSOLE]
    return console.render(
        request, "admin_erase.html", report=None, error=None, value=""
    )


@route("POST", "/admin/erase", permission=staff.ERASE)
async def erase_submit(request: web.Request) -> web.StreamResponse:
    """Delete everything about the person behind a reference (audited)."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    reference = staff.clean_text(str(form.get("reference") or "")).strip()[:32]
    confirm = staff.clean_text(str(form.get("confirm") or "")).strip()

    def work(session: Session) -> web.StreamResponse:
        if not reference or confirm.upper() != reference.upper():
            return console.render(
                request,
                "admin_erase.html",
                status=400,
                report=None,
                value=reference,
                error=console.t(request)("erase.mismatch"),
            )
        report = erase_person(
            session, console.tracker, reference, actor=who.username, now=console.clock()
        )
        if not report.found:
            return console.render(
                request,
                "admin_erase.html",
                status=404,
                report=None,
                value=reference,
                error=console.t(request)("erase.not_found"),
            )
        return console.render(
            request, "admin_erase.html", report=report, error=None, value=""
        )

    return await in_thread(request, work)


@route("GET", "/admin/audit", permission=staff.READ_AUDIT)
async def audit_page(request: web.Request) -> web.StreamResponse:
    """The latest audit events."""
    console = request.app[CONSOLE]
    action = staff.clean_text(request.query.get("action")).strip()[:64]

    def work(session: Session) -> web.StreamResponse:
        query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        if action:
            query = query.where(AuditEvent.action == action)
        events = session.execute(query.limit(300)).scalars().all()
        return console.render(request, "admin_audit.html", events=events, action=action)

    return await in_thread(request, work)
