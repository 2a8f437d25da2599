"""The recruitment funnel page: stages, outcomes and drop-off, with charts."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy.orm import Session

from bot import staff, vocab
from bot.console.charts import bar_chart
from bot.console.context import CONSOLE, in_thread, route
from bot.reports import funnel
from bot.screening.criteria import Trial


def _question_label(wording: Trial, fact_id: str, label: str) -> str:
    """A question's label in the page's wording (the funnel's own when unknown)."""
    try:
        return wording.question(fact_id).label
    except KeyError:
        return label


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
        t = console.t(request)
        wording = console.wording(request)
        stages = [
            (t("funnel.stage_started"), result.totals["started"]),
            (t("funnel.stage_consented"), result.totals["consented"]),
            (t("funnel.stage_completed"), result.totals["completed"]),
            (t("funnel.stage_referred"), result.totals["referred"]),
        ]
        outcomes = [(t(f"outcome.{o}"), result.totals[o]) for o in vocab.OUTCOMES] + [
            (t("funnel.still_running"), result.totals["running"])
        ]
        drop = [
            (_question_label(wording, fact_id, label), count)
            for fact_id, label, count in result.drop_off
        ]
        return console.render(
            request,
            "funnel.html",
            funnel=result,
            columns=funnel.COLUMNS,
            stage_chart=bar_chart(
                stages,
                title=t("funnel.chart_stages"),
                colour="#2f5d8a",
                width=500,
                label_width=180,
                empty=t("funnel.no_data"),
            ),
            outcome_chart=bar_chart(
                outcomes,
                title=t("funnel.chart_outcomes"),
                width=500,
                label_width=150,
                empty=t("funnel.no_data"),
            ),
            drop_chart=bar_chart(
                drop,
                title=t("funnel.chart_drop"),
                colour="#a8652a",
                empty=t("funnel.no_data"),
            ),
            raw=dict(request.query),
            problems=problems,
            channels=staff.screening_channels(session),
        )

    return await in_thread(request, work)
