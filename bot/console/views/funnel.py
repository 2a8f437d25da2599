"""The recruitment funnel page: stages, outcomes and drop-off, with charts."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from bot import staff, vocab
from bot.console.charts import bar_chart
from bot.console.context import CONSOLE, in_thread, route
from bot.reports import funnel


@route("GET", "/funnel", permission=staff.VIEW)
async def funnel_page(request: web.Request) -> web.StreamResponse:
    """Conversations started, consented, completed, outcomes, drop-off."""
    console = request.app[CONSOLE]
    problems: list[str] = []
    date_from, date_to = staff.parse_period(request.query, problems)
    channel = staff.parse_channel(request.query)

    def work(session: Session) -> web.StreamResponse:
        result = funnel.compute_funnel(
            session,
            console.trial,
            console.tracker,
            date_from=date_from,
            date_to=date_to,
            channel=channel,
            now=console.clock(),
        )
        stages = [
            ("Conversations started", result.totals["started"]),
            ("Consented to screening", result.totals["consented"]),
            ("Completed", result.totals["completed"]),
            ("Referred to the team", result.totals["referred"]),
        ]
        outcomes = [
            (staff.OUTCOME_LABELS[o], result.totals[o]) for o in vocab.OUTCOMES
        ] + [("Still running", result.totals["running"])]
        return console.render(
            request,
            "funnel.html",
            funnel=result,
            columns=funnel.COLUMNS,
            stage_chart=bar_chart(
                stages,
                title="Funnel stages",
                colour="#2f5d8a",
                width=500,
                label_width=180,
            ),
            outcome_chart=bar_chart(
                outcomes, title="Screening outcomes", width=500, label_width=150
            ),
            drop_chart=bar_chart(
                [(label, count) for _, label, count in result.drop_off],
                title="Where screenings stopped",
                colour="#a8652a",
            ),
            raw=dict(request.query),
            problems=problems,
            channels=staff.screening_channels(session),
        )

    return await in_thread(request, work)
