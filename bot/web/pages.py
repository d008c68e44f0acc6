"""The dashboard's pages, rendered on the server (Jinja2); a little JavaScript keeps a
poll's chart live. Every page but the sign-in needs a session."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from aiohttp import web

from bot import i18n, messages
from bot.core.content import PollMessage
from bot.errors import UnknownPoll
from bot.polls import export as exporting
from bot.polls.engagement import build_report
from bot.readouts import all_results, planned_runs, prompts_history, question_text, report_window
from bot.storage.base import PollState
from bot.web.api import query_date, staff_action
from bot.web.auth import SESSION_COOKIE, SESSION_LIFETIME, Notice, Session
from bot.web.guard import CSRF_FIELD, client_of, csrf_ok, session_of
from bot.web.keys import APP, GATE, SETTINGS
from bot.web.present import poll_view, short_time, votes_over_time, when

if TYPE_CHECKING:
    import jinja2

routes = web.RouteTableDef()


@cache
def templates() -> jinja2.Environment:
    """The pages' templates, loaded with the first page shown: a bot whose dashboard
    nobody opens starts without Jinja2 (~2 MB, ~20 ms)."""
    import jinja2
    import markupsafe

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    # The pages' words come from the same catalogs as the chat's, in the store's locale.
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.gettext, ngettext=i18n.ngettext, pgettext=i18n.pgettext, newstyle=True
    )
    env.globals.update(
        fmt=i18n.skeleton,
        long_day=i18n.long_day,
        percent=i18n.percent,
        number=i18n.number,
        Markup=markupsafe.Markup,  # a link or <code> inside a translated sentence
    )
    return env


SCHEDULE_DAYS = 14
DONE = "done"  # query parameter naming the form result a page shows
Page = Callable[[web.Request, Session], Awaitable[web.StreamResponse]]


def render(
    request: web.Request, name: str, session: Session | None, status: int = 200, **context: Any
) -> web.Response:
    app = request.app[APP]
    prefix = request.app[SETTINGS].prefix

    def static(filename: str) -> str:
        return prefix + str(request.app.router["static"].url_for(filename=filename))

    notice = session.notice if session is not None else None
    flash = notice.text if notice and request.query.get(DONE) == notice.key else None
    page = (
        templates()
        .get_template(name)
        .render(
            lang=i18n.active().replace("_", "-"),
            run_kinds={kind: text.format() for kind, text in messages.WEB_RUN_KINDS.items()},
            store=app.config.settings.store.name,
            prefix=prefix,
            static=static,
            csrf=session.csrf if session else "",
            csrf_field=CSRF_FIELD,
            signed_in=session is not None,
            path=request.path,
            flash=flash,
            **context,
        )
    )
    return web.Response(text=page, content_type="text/html", charset="utf-8", status=status)


def signed_in(page: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Pages for signed-in staff: others go to the sign-in form (and come back)."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        session = session_of(request)
        if session is None:
            back = quote(request.path_qs, safe="/")
            raise web.HTTPSeeOther(f"{request.app[SETTINGS].prefix}/login?next={back}")
        return await page(request, session)

    return guarded


def go(request: web.Request, path: str) -> web.Response:
    """See other page (a plain response, so cookies can be set on it)."""
    return web.Response(status=303, headers={"Location": request.app[SETTINGS].prefix + path})


def _next(value: str) -> str:
    """Only our own pages: never an open redirect to another site."""
    # "//host" and "/\\host" are other sites to a browser.
    own = value.startswith("/") and not value.startswith(("//", "/\\"))
    return value if own and "\n" not in value and "\r" not in value else "/"


# -- signing in ---------------------------------------------------------------------------


@routes.get("/login")
async def login_form(request: web.Request) -> web.Response:
    gate = request.app[GATE]
    return render(
        request,
        "login.html",
        None,
        next=_next(request.query.get("next", "/")),
        error=None if gate.token else messages.WEB_NO_TOKEN_SET.format(),
        has_token=gate.token is not None,
    )


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    gate = request.app[GATE]
    form = await request.post()
    target = _next(str(form.get("next", "/")))
    client = client_of(request)
    wait = gate.wait_left(client)
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        error = messages.WEB_TOO_MANY_TRIES.format(seconds=seconds)
        return render(request, "login.html", None, 429, next=target, error=error, has_token=True)
    if not gate.token_matches(str(form.get("token", ""))):
        gate.failed(client)
        error = (
            messages.WEB_BAD_TOKEN.format() if gate.token else messages.WEB_NO_TOKEN_SET.format()
        )
        return render(
            request, "login.html", None, 401, next=target, error=error, has_token=bool(gate.token)
        )
    gate.succeeded(client)
    return _signed_in_response(request, target)


@routes.get("/login/link")
async def login_link(request: web.Request) -> web.Response:
    """The start-up link shows a button rather than signing in on GET: link previews and
    prefetchers must not use up the one-time code."""
    return render(request, "login_link.html", None, code=request.query.get("code", ""))


@routes.post("/login/link")
async def login_with_link(request: web.Request) -> web.StreamResponse:
    gate = request.app[GATE]
    form = await request.post()
    client = client_of(request)
    if gate.wait_left(client) is None and gate.use_login_code(str(form.get("code", ""))):
        gate.succeeded(client)
        return _signed_in_response(request, "/")
    gate.failed(client)
    return render(
        request,
        "login.html",
        None,
        401,
        next="/",
        error=messages.WEB_LINK_USED.format(),
        has_token=False,
    )


def _signed_in_response(request: web.Request, target: str) -> web.StreamResponse:
    settings = request.app[SETTINGS]
    response = web.Response(status=303, headers={"Location": settings.prefix + target})
    response.set_cookie(
        SESSION_COOKIE,
        request.app[GATE].open_session(),
        max_age=int(SESSION_LIFETIME.total_seconds()),
        path=(settings.prefix or "/"),
        httponly=True,
        samesite="Strict",
        secure=settings.secure_cookies,
    )
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    session = session_of(request)
    if session is not None and csrf_ok(session, str(form.get(CSRF_FIELD, ""))):
        request.app[GATE].close_session(request.cookies.get(SESSION_COOKIE))
    response = go(request, "/login")
    response.del_cookie(SESSION_COOKIE, path=request.app[SETTINGS].prefix or "/")
    return response


# -- overview -----------------------------------------------------------------------------


async def _overview(request: web.Request, session: Session) -> web.StreamResponse:
    app = request.app[APP]
    now, zone = app.clock.now(), app.config.zone
    views = [poll_view(r, now, zone) for r in await all_results(app.polls)]
    today = now.astimezone(zone).date()
    posts = [p for p in await app.store.prompt_posts() if p.local_date == today]
    upcoming = await planned_runs(app.config, app.polls, now, now + timedelta(days=SCHEDULE_DAYS))
    return render(
        request,
        "overview.html",
        session,
        polls=views,
        today=today,
        prompts_today=[(p, question_text(app.config, p)) for p in posts],
        upcoming=upcoming[:5],
        when=lambda moment: when(moment, zone),
    )


routes.get("/")(signed_in(_overview))


# -- one poll -----------------------------------------------------------------------------


async def _poll_page(request: web.Request, session: Session) -> web.StreamResponse:
    app = request.app[APP]
    poll_id = request.match_info["poll_id"]
    now, zone = app.clock.now(), app.config.zone
    try:
        results = await app.polls.results(poll_id)
        definition = await app.polls.definition(poll_id)
    except UnknownPoll as unknown:
        return render(request, "missing.html", session, 404, message=str(unknown))
    content: PollMessage | None = None
    if app.polls.known(poll_id):
        content = await app.polls.content(poll_id)
    rows = await exporting.vote_rows(app.store, definition, zone)
    images = {o.id: _image_url(request, poll_id, o.id, o.image) for o in definition.options}
    return render(
        request,
        "poll.html",
        session,
        view=poll_view(results, now, zone),
        results=results,
        cards=content.cards if content else (),
        description=content.description if content else None,
        images=images,
        columns=votes_over_time(rows, zone, now),
        latest=list(reversed(rows[-8:])),
        local_time=lambda iso: short_time(_parse(iso), zone, now),
        when=lambda moment: when(moment, zone),
        can_open=results.state is PollState.SCHEDULED and content is not None,
        can_close=results.state is not PollState.CLOSED and content is not None,
    )


def _parse(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00"))


def _image_url(request: web.Request, poll_id: str, option_id: str, image: str | None) -> str | None:
    if image is None:
        return None
    if image.startswith(("https://", "http://")):
        return image
    return f"{request.app[SETTINGS].prefix}/polls/{poll_id}/images/{option_id}"


async def _poll_action(request: web.Request, session: Session) -> web.StreamResponse:
    form = await request.post()
    poll_id = request.match_info["poll_id"]
    if not csrf_ok(session, str(form.get(CSRF_FIELD, ""))):
        text = messages.WEB_BAD_CSRF.format()
    else:
        text = await staff_action(request, request.match_info["action"])
    session.notice = Notice(secrets.token_urlsafe(8), text)
    return go(request, f"/polls/{quote(poll_id, safe='')}?{DONE}={session.notice.key}")


async def _poll_image(request: web.Request, session: Session) -> web.StreamResponse:
    """A product photo stored next to the config (only the ones polls name)."""
    app = request.app[APP]
    poll = app.polls.lookup(request.match_info["poll_id"])
    options = poll.options if poll is not None else []
    option = next((o for o in options if o.id == request.match_info["option"]), None)
    if option is None or option.image is None or "://" in option.image:
        raise web.HTTPNotFound()
    path = (app.config.root / option.image).resolve()
    if not path.is_file():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "private, max-age=3600"})


routes.get("/polls/{poll_id}")(signed_in(_poll_page))
routes.post("/polls/{poll_id}/{action:open|close}")(signed_in(_poll_action))
routes.get("/polls/{poll_id}/images/{option}")(signed_in(_poll_image))


# -- schedule, prompts, report --------------------------------------------------------------


async def _schedule(request: web.Request, session: Session) -> web.StreamResponse:
    app = request.app[APP]
    now = app.clock.now()
    runs = await planned_runs(app.config, app.polls, now, now + timedelta(days=SCHEDULE_DAYS))
    days: dict[date, list[Any]] = {}
    for run in runs:
        days.setdefault(run.local_time.date(), []).append(run)
    return render(request, "schedule.html", session, days=days, span=SCHEDULE_DAYS)


async def _prompts(request: web.Request, session: Session) -> web.StreamResponse:
    app = request.app[APP]
    history = prompts_history(app.config, await app.store.prompt_posts())
    for entry in history:
        entry["posts"] = list(reversed(entry["posts"]))  # type: ignore[call-overload]
    return render(request, "prompts.html", session, history=history, day=_day_name)


def _day_name(iso: str) -> str:
    day = date.fromisoformat(iso)
    return i18n.skeleton(day, "yMMMEd")


async def _report(request: web.Request, session: Session) -> web.StreamResponse:
    app = request.app[APP]
    now, zone = app.clock.now(), app.config.zone
    try:
        first, last = report_window(
            now.astimezone(zone).date(), query_date(request, "since"), query_date(request, "until")
        )
    except web.HTTPBadRequest:
        first, last = report_window(now.astimezone(zone).date(), None, None)
    if first > last:
        first, last = last, first
    found = await build_report(app.store, zone, first, last, now)
    top = max((max(d.votes, d.participants, d.replies) for d in found.days), default=0)
    return render(request, "report.html", session, report=found, top=max(top, 1))


routes.get("/schedule")(signed_in(_schedule))
routes.get("/prompts")(signed_in(_prompts))
routes.get("/report")(signed_in(_report))
