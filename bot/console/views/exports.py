"""The exports page: JSON, REDCap CSV and dictionary, FHIR R4 (audited downloads)."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from bot import staff
from bot.console.context import CONSOLE, Staff, in_thread, route
from bot.console.middleware import forbidden
from bot.reports import export

#: The formats offered, by code, with the catalogue key of their description.
#: The exports themselves do not depend on the console's language.
EXPORT_CHOICES = {
    "json": "exports.json",
    "csv": "exports.csv",
    "redcap-dictionary": "exports.redcap_dictionary",
    "fhir": "exports.fhir",
}


@route("GET", "/exports", permission=staff.EXPORT)
async def exports_page(request: web.Request) -> web.StreamResponse:
    """Choose an export."""
    console = request.app[CONSOLE]
    return console.render(request, "exports.html", choices=EXPORT_CHOICES, error=None)


@route("POST", "/exports", permission=staff.EXPORT)
async def exports_download(request: web.Request) -> web.StreamResponse:
    """Download an export (audited); contacts only for roles allowed to see them."""
    console = request.app[CONSOLE]
    who: Staff = request["staff"]
    form = await request.post()
    fmt = str(form.get("format") or "")
    with_contacts = form.get("with_contacts") == "1"
    if fmt not in EXPORT_CHOICES:
        return console.render(
            request,
            "exports.html",
            status=400,
            choices=EXPORT_CHOICES,
            error=console.t(request)("exports.choose"),
        )
    if with_contacts and not who.can(staff.EXPORT_CONTACTS):
        raise forbidden(console.t(request)("exports.contacts_denied", role=who.role))

    def work(session: Session) -> web.StreamResponse:
        now = console.clock()
        options = export.ExportOptions(with_contacts=with_contacts)
        if fmt == "redcap-dictionary":
            text = export.redcap_data_dictionary(console.trial, options)
            media, name, count = "text/csv", "prescreening-redcap-dictionary.csv", 0
        else:
            screenings = export.load_screenings(session)
            text, media, name = export.render(
                fmt, console.trial, screenings, options, now=now
            )
            count = len(screenings)
        staff.audit(
            session,
            who.username,
            "export.created",
            None,
            now,
            format=fmt,
            with_contacts=with_contacts,
            screenings=count,
        )
        return web.Response(
            text=text,
            content_type=media,
            charset="utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return await in_thread(request, work)
