"""The JSON API (Bearer token, or the dashboard's session), health checks and metrics.

Every answer is the same object the CLI prints with `--format json`, built by the same
function (bot/readouts.py)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aiohttp import web

from bot import messages
from bot.core.events import CommandInvoked
from bot.core.refs import ChannelRef, UserRef
from bot.errors import UnknownPoll
from bot.metrics import CONTENT_TYPE
from bot.polls import export as exporting
from bot.polls.engagement import build_report
from bot.polls.results import PollResults
from bot.readouts import all_results, planned_runs, poll_summary, prompts_history, report_window
from bot.web.guard import api_refusal, json_error, open_to_all
from bot.web.keys import APP, STREAMS

log = logging.getLogger(__name__)

routes = web.RouteTableDef()

SCHEDULE_DAYS = 7
TALLY_EVERY = timedelta(seconds=1)  # live events are coalesced to at most one a second
HEARTBEAT = timedelta(seconds=15)  # keeps proxies from closing a quiet stream
WEB_USER = UserRef("web", "dashboard", "dashboard")


# -- health -----------------------------------------------------------------------------


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """The process runs and answers (says nothing else, so it needs no token)."""
    return web.json_response({"status": "ok"})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    if not open_to_all(request) and (refused := api_refusal(request)) is not None:
        return refused
    app = request.app[APP]
    try:
        await app.store.list_polls()
        database = "ok"
    except Exception as error:
        log.warning("readiness: the database does not answer: %s", error)
        database = "unavailable"
    platforms = app.platform_status()
    ready = database == "ok" and all(state == "ready" for state in platforms.values())
    body = {"ready": ready, "database": database, "platforms": platforms}
    return web.json_response(body, status=200 if ready else 503)


@routes.get("/metrics")
async def metrics(request: web.Request) -> web.Response:
    if not open_to_all(request) and (refused := api_refusal(request)) is not None:
        return refused
    body = request.app[APP].metrics.exposition()
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


# -- polls ------------------------------------------------------------------------------


def _poll_id(request: web.Request) -> str:
    return request.match_info["poll_id"]


async def poll_results(request: web.Request) -> PollResults:
    """The poll's results; HTTP 404 (JSON) for an unknown poll."""
    try:
        return await request.app[APP].polls.results(_poll_id(request))
    except UnknownPoll as unknown:
        raise web.HTTPNotFound(
            text=json.dumps({"error": str(unknown)}), content_type="application/json"
        ) from None


@routes.get("/api/polls")
async def list_polls(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    found = await all_results(request.app[APP].polls)
    return web.json_response([poll_summary(r) for r in found])


@routes.get("/api/polls/{poll_id}")
async def poll(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    return web.json_response((await poll_results(request)).to_json())


@routes.post("/api/polls/{poll_id}/{action:open|close}")
async def open_or_close(request: web.Request) -> web.Response:
    if (refused := api_refusal(request, changes=True)) is not None:
        return refused
    await poll_results(request)  # 404 first
    text = await staff_action(request, request.match_info["action"])
    outcome = await poll_results(request)
    return web.json_response({"message": text, "poll": outcome.to_json()})


@dataclass
class _Reply:
    texts: list[str] = field(default_factory=list)

    async def reply_private(self, text: str) -> None:
        self.texts.append(text)


async def staff_action(request: web.Request, action: str) -> str:
    """Open or close as the staff commands do (same rules, same replies): the running
    bot posts the poll or its results right after."""
    reply = _Reply()
    command = CommandInvoked(
        WEB_USER, ChannelRef("web", "dashboard"), action, (_poll_id(request),), True, reply
    )
    await request.app[APP].handle(command)
    return " ".join(reply.texts)


@routes.get("/api/polls/{poll_id}/export.csv")
async def export_csv(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    rows = await _vote_rows(request)
    out = io.StringIO()
    exporting.write_csv(rows, out, raw_ids=False)
    return _download(out.getvalue(), "text/csv", f"{_poll_id(request)}-votes.csv")


@routes.get("/api/polls/{poll_id}/export.json")
async def export_json(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    rows = [row.as_dict(False) for row in await _vote_rows(request)]
    body = json.dumps(rows, indent=2, ensure_ascii=False)
    return _download(body, "application/json", f"{_poll_id(request)}-votes.json")


async def _vote_rows(request: web.Request) -> list[exporting.VoteRow]:
    app = request.app[APP]
    try:
        definition = await app.polls.definition(_poll_id(request))
    except UnknownPoll as unknown:
        raise web.HTTPNotFound(
            text=json.dumps({"error": str(unknown)}), content_type="application/json"
        ) from None
    return await exporting.vote_rows(app.store, definition, app.config.zone, raw_ids=False)


def _download(body: str, content_type: str, name: str) -> web.Response:
    response = web.Response(text=body, content_type=content_type, charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- live events ------------------------------------------------------------------------


@routes.get("/api/polls/{poll_id}/events")
async def events(request: web.Request) -> web.StreamResponse:
    """Server-Sent Events: `state` (first, and on open/close) and `tally` (first, and
    whenever the tally changes, at most once a second), each with the results object."""
    if (refused := api_refusal(request)) is not None:
        return refused
    first = await poll_results(request)
    stream = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx: pass events on at once
        }
    )
    await stream.prepare(request)
    task = asyncio.current_task()
    if task is not None:
        request.app[STREAMS].add(task)  # ended at shutdown
    try:
        await _follow(request, stream, first)
    except (asyncio.CancelledError, ConnectionResetError):
        pass
    finally:
        if task is not None:
            request.app[STREAMS].discard(task)
    return stream


async def _follow(request: web.Request, stream: web.StreamResponse, first: PollResults) -> None:
    app = request.app[APP]
    clock = app.clock
    sent: dict[str, Any] | None = None
    current = first
    seen = app.changes.count
    while True:
        data = current.to_json()
        if sent is None or data["state"] != sent["state"]:
            await _send(stream, "state", data)
        if sent is None or _tally(data) != _tally(sent):
            await _send(stream, "tally", data)
            # Coalesce: a burst of votes gives one event a second, the newest.
            await clock.sleep_until(clock.now() + TALLY_EVERY, asyncio.Event())
        sent = data
        if app.changes.count == seen:
            await clock.sleep_until(clock.now() + HEARTBEAT, app.changes.event)
        if app.changes.count == seen:
            await stream.write(b": still here\n\n")
            continue
        seen = app.changes.count
        current = await app.polls.results(current.id)


def _tally(data: dict[str, Any]) -> tuple[Any, ...]:
    return (data["total_votes"], data["voters"], [o["votes"] for o in data["options"]])


async def _send(stream: web.StreamResponse, name: str, data: dict[str, Any]) -> None:
    payload = json.dumps(data, ensure_ascii=False)
    await stream.write(f"event: {name}\ndata: {payload}\n\n".encode())


# -- schedule, prompts, report ------------------------------------------------------------


@routes.get("/api/schedule")
async def schedule(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    try:
        days = int(request.query.get("days", SCHEDULE_DAYS))
    except ValueError:
        days = 0
    if not 1 <= days <= 366:
        return json_error(400, messages.WEB_BAD_DAYS.format())
    app = request.app[APP]
    start = app.clock.now()
    runs = await planned_runs(app.config, app.polls, start, start + timedelta(days=days))
    return web.json_response([run.to_json() for run in runs])


@routes.get("/api/prompts")
async def prompts(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    app = request.app[APP]
    posts = await app.store.prompt_posts()
    return web.json_response(prompts_history(app.config, posts))


def query_date(request: web.Request, name: str) -> date | None:
    value = request.query.get(name)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise web.HTTPBadRequest(
            text=json.dumps({"error": messages.WEB_BAD_DATE.format(name=name)}),
            content_type="application/json",
        ) from None


@routes.get("/api/report")
async def report(request: web.Request) -> web.Response:
    if (refused := api_refusal(request)) is not None:
        return refused
    app = request.app[APP]
    now = app.clock.now()
    today = now.astimezone(app.config.zone).date()
    first, last = report_window(today, query_date(request, "since"), query_date(request, "until"))
    if first > last:
        return json_error(400, messages.WEB_DATES_REVERSED.format())
    found = await build_report(app.store, app.config.zone, first, last, now)
    return web.json_response(found.to_json())
