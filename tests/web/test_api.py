"""The JSON API, health checks and metrics over real HTTP against a running app: real
config, real SQLite, the real web host on a local port."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot import messages
from bot.app import App
from bot.clock import FakeClock, SystemClock
from bot.config import load_config
from bot.core.actions import encode_vote
from bot.core.content import ResultsMessage
from bot.storage import open_store
from bot.web import auth
from bot.web.host import WebHost, WebSettings, start_web_host
from tests.cli_runner import engagebot
from tests.conftest import WriteConfig
from tests.fakes import RecordingPlatform, Replies, click
from tests.web.harness import TOKEN, Served, served

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
AERO = encode_vote("helmets", "aero")
URBAN = encode_vote("helmets", "urban")


async def get_json(s: Served, path: str, **headers: str) -> tuple[int, Any]:
    async with s.http.get(s.url + path, headers=headers or s.bearer()) as response:
        assert response.content_type == "application/json"
        return response.status, await response.json()


async def vote(s: Served, user: str, action: str, **kwargs: Any) -> Replies:
    replies = Replies()
    await s.app.handle(click(user, action, s.app.clock.now(), replies, **kwargs))
    return replies


async def test_health_is_open_and_readiness_names_each_platform(
    write_config: WriteConfig,
) -> None:
    async with served(write_config(), SystemClock()) as s:
        async with s.http.get(s.url + "/healthz") as response:
            assert response.status == 200
            assert await response.json() == {"status": "ok"}
        status, body = await get_json(s, "/readyz", Accept="application/json")
        assert status == 200
        assert body == {"ready": True, "database": "ok", "platforms": {"console": "ready"}}


async def test_not_ready_until_every_platform_reported_ready(write_config: WriteConfig) -> None:
    async with served(write_config(), SystemClock(), ready=False) as s:
        status, body = await get_json(s, "/readyz", Accept="application/json")
        assert status == 503
        assert body == {"ready": False, "database": "ok", "platforms": {"console": "starting"}}


async def test_off_loopback_health_details_need_the_token(write_config: WriteConfig) -> None:
    async with served(write_config(), SystemClock(), host="0.0.0.0") as s:
        async with s.http.get(s.url + "/healthz") as response:
            assert response.status == 200  # the container's HEALTHCHECK needs no secret
        for path in ("/readyz", "/metrics"):
            status, body = await get_json(s, path, Accept="text/plain")
            assert status == 401, path
            assert "Bearer" in body["error"]
        async with s.http.get(s.url + "/metrics", headers=s.bearer()) as response:
            assert response.status == 200
            assert "engagebot_votes_total" in await response.text()


async def test_polls_and_results_are_the_cli_objects(write_config: WriteConfig) -> None:
    config = write_config()
    async with served(config, SystemClock()) as s:
        await vote(s, "ann", AERO)
        await vote(s, "bob", URBAN)
        await vote(s, "cy", AERO)
        status, polls = await get_json(s, "/api/polls")
        assert status == 200
        cli = engagebot("polls", "--config", str(config), "--format", "json")
        assert cli.returncode == 0, cli.stderr
        assert polls == json.loads(cli.stdout)
        assert polls[0]["total_votes"] == 3

        status, results = await get_json(s, "/api/polls/helmets")
        cli = engagebot("results", "helmets", "--config", str(config), "--format", "json")
        assert status == 200
        assert results == json.loads(cli.stdout)
        assert results["leader"] == "aero"


async def test_schedule_prompts_report_and_export_match_the_cli(
    write_config: WriteConfig,
) -> None:
    config = write_config()
    async with served(config, SystemClock()) as s:
        await vote(s, "ann", AERO)
        await vote(s, "bob", URBAN)
        for path, args in (
            ("/api/schedule?days=9", ["schedule", "--days", "9"]),
            ("/api/prompts", ["prompts"]),
        ):
            status, body = await get_json(s, path)
            cli = engagebot(*args, "--config", str(config), "--format", "json")
            assert status == 200
            assert cli.returncode == 0, cli.stderr
            assert body == json.loads(cli.stdout), path
        # The poll closes in 7 days: the schedule says so.
        _, planned = await get_json(s, "/api/schedule?days=8")
        assert [(run["kind"], run["id"]) for run in planned] == [("poll_close", "helmets")]

        today = datetime.now(UTC).astimezone(s.app.config.zone).date()
        since = (today - timedelta(days=2)).isoformat()
        status, report = await get_json(s, f"/api/report?since={since}&until={today}")
        cli = engagebot(
            "report", "--since", since, "--until", str(today), "--config", str(config),
            "--format", "json",
        )  # fmt: skip
        assert status == 200
        assert report == json.loads(cli.stdout)
        assert report["totals"]["votes"] == 2

        async with s.http.get(s.url + "/api/polls/helmets/export.csv", headers=s.bearer()) as r:
            assert r.status == 200
            assert r.headers["Content-Disposition"] == 'attachment; filename="helmets-votes.csv"'
            csv_text = await r.text()
        cli = engagebot("export", "helmets", "--config", str(config))
        assert csv_text == cli.stdout
        assert "ann" not in csv_text  # pseudonyms only
        assert len(csv_text.strip().splitlines()) == 3


async def test_bad_query_values_get_a_json_400(write_config: WriteConfig) -> None:
    async with served(write_config(), SystemClock()) as s:
        for path in (
            "/api/schedule?days=0",
            "/api/schedule?days=lots",
            "/api/report?since=yesterday",
            "/api/report?since=2026-03-05&until=2026-03-01",
        ):
            status, body = await get_json(s, path)
            assert status == 400, path
            assert set(body) == {"error"}


async def test_missing_or_wrong_token_is_a_json_401_and_unknown_poll_a_json_404(
    write_config: WriteConfig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with served(write_config(), SystemClock()) as s:
        status, body = await get_json(s, "/api/polls", Accept="application/json")
        assert (status, set(body)) == (401, {"error"})
        status, body = await get_json(s, "/api/polls", Authorization="Bearer nope")
        assert (status, body) == (401, {"error": "That token is not right."})
        status, body = await get_json(s, "/api/polls/nope")
        assert status == 404
        assert body["error"].startswith("There is no poll with id 'nope'. Known polls: helmets")
        async with s.http.post(s.url + "/api/polls/nope/close", headers=s.bearer()) as response:
            assert response.status == 404
        status, body = await get_json(s, "/api/nothing-here")
        assert status == 404
        assert set(body) == {"error"}
    assert TOKEN not in caplog.text
    assert "nope" not in [r.getMessage() for r in caplog.records if "Bearer" in r.getMessage()]


async def test_close_through_the_api_is_the_staff_command_and_the_bot_announces(
    write_config: WriteConfig,
) -> None:
    async with served(write_config(), SystemClock()) as s:
        await vote(s, "ann", AERO)
        async with s.http.post(s.url + "/api/polls/helmets/close", headers=s.bearer()) as r:
            assert r.status == 200
            body = await r.json()
        question = "Which helmet should we stock?"
        assert body["message"] == messages.POLL_CLOSED_NOW.format(
            question=question, poll_id="helmets"
        )
        assert body["poll"]["state"] == "closed"
        results = s.platform.posts_of(ResultsMessage)
        assert [r.poll_id for r in results] == ["helmets"]
        async with s.http.post(s.url + "/api/polls/helmets/close", headers=s.bearer()) as r:
            again = await r.json()
        assert again["message"] == messages.POLL_ALREADY_CLOSED.format(poll_id="helmets")
        async with s.http.post(s.url + "/api/polls/helmets/open", headers=s.bearer()) as r:
            reopen = await r.json()
        assert reopen["message"] == messages.POLL_CANNOT_REOPEN.format(poll_id="helmets")


async def test_session_cookie_alone_cannot_change_state_without_csrf(
    write_config: WriteConfig,
) -> None:
    async with served(write_config(), SystemClock()) as s:
        async with s.http.post(
            s.url + "/login", data={"token": TOKEN, "next": "/"}, allow_redirects=False
        ) as r:
            assert r.status == 303
            cookie = r.headers["Set-Cookie"]
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie
        assert TOKEN not in cookie
        status, polls = await get_json(s, "/api/polls", Accept="application/json")
        assert status == 200  # the dashboard's own requests ride on the session
        assert polls[0]["id"] == "helmets"
        async with s.http.post(s.url + "/api/polls/helmets/close") as r:
            assert r.status == 403
            assert (await r.json())["error"].startswith("This form has expired")
        assert (await s.app.polls.results("helmets")).state.value == "open"


async def test_wrong_tokens_are_slowed_down_by_the_clock(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with served(write_config(), clock) as s:
        wrong = s.bearer("guess")
        for _ in range(auth.FREE_FAILURES + 1):
            status, _ = await get_json(s, "/api/polls", **wrong)
            assert status == 401
        # Now even the right token waits: guessing costs time.
        async with s.http.get(s.url + "/api/polls", headers=s.bearer()) as r:
            assert r.status == 429
            assert r.headers["Retry-After"] == "2"
            assert "try again in 2 s" in (await r.json())["error"]
        # The waits double with each further wrong guess.
        await clock.advance(timedelta(seconds=2))
        status, _ = await get_json(s, "/api/polls", **wrong)
        assert status == 401
        async with s.http.get(s.url + "/api/polls", headers=s.bearer()) as r:
            assert r.status == 429
            assert r.headers["Retry-After"] == "4"
        await clock.advance(timedelta(seconds=4))
        status, _ = await get_json(s, "/api/polls")
        assert status == 200


async def read_event(stream: aiohttp.StreamReader) -> tuple[str, dict[str, Any]]:
    name, data = "", ""
    while True:
        line = (await asyncio.wait_for(stream.readline(), 5)).decode().rstrip("\n")
        if line.startswith("event: "):
            name = line.removeprefix("event: ")
        elif line.startswith("data: "):
            data = line.removeprefix("data: ")
        elif line == "" and name:
            return name, json.loads(data)


async def test_events_stream_tally_changes_coalesced_and_state_changes(
    write_config: WriteConfig,
) -> None:
    clock = FakeClock(START)
    async with (
        served(write_config(), clock) as s,
        s.http.get(s.url + "/api/polls/helmets/events", headers=s.bearer()) as r,
    ):
        assert r.headers["Content-Type"] == "text/event-stream"
        assert await read_event(r.content) == ("state", await poll_json(s))
        name, first = await read_event(r.content)
        assert (name, first["total_votes"]) == ("tally", 0)
        # Three votes within the same second: one event, with all three.
        await vote(s, "ann", AERO)
        await vote(s, "bob", URBAN)
        await vote(s, "cy", AERO)
        await clock.advance(timedelta(seconds=1))
        name, tally = await read_event(r.content)
        assert name == "tally"
        assert tally == await poll_json(s)
        assert [o["votes"] for o in tally["options"]] == [2, 1, 0]
        # A vote that changes nothing sends nothing; the close sends state and tally.
        await vote(s, "ann", AERO)
        await clock.advance(timedelta(seconds=1))
        await s.app.polls.close("helmets", by="test")
        await s.app.reconcile()
        name, state = await read_event(r.content)
        assert (name, state["state"]) == ("state", "closed")


async def poll_json(s: Served) -> dict[str, Any]:
    return (await s.app.polls.results("helmets")).to_json()


def metric(text: str, name: str) -> float:
    """The value of one sample line, e.g. name = 'engagebot_posts_total{kind="poll",...}'."""
    for line in text.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == name:
            return float(value)
    return 0.0


async def test_metrics_count_votes_by_outcome_posts_edits_and_batches(
    write_config: WriteConfig,
) -> None:
    async with served(write_config(), SystemClock()) as s:
        await vote(s, "ann", AERO)
        await vote(s, "ann", URBAN)  # changed
        await vote(s, "ann", URBAN)  # unchanged
        await vote(s, "bob", AERO, delivery_id="d-1")
        await vote(s, "bob", AERO, delivery_id="d-1")  # the platform delivered it twice
        await vote(s, "cy", encode_vote("helmets", "nope"))  # refused
        async with s.http.get(s.url + "/metrics") as response:
            assert response.status == 200
            assert response.content_type == "text/plain"
            text = await response.text()
    for outcome, count in {
        "counted": 2,
        "changed": 1,
        "unchanged": 1,
        "duplicate": 1,
        "refused": 1,
    }.items():
        name = f'engagebot_votes_total{{outcome="{outcome}",platform="console"}}'
        assert metric(text, name) == count, outcome
    assert metric(text, 'engagebot_vote_ack_seconds_count{platform="console"}') == 6
    assert metric(text, 'engagebot_posts_total{kind="poll",platform="console"}') == 1
    assert metric(text, 'engagebot_tally_edits_total{platform="console"}') == 3
    assert metric(text, "engagebot_store_batch_size_count") >= 4
    assert "engagebot_rate_limited_total" in text
    assert "engagebot_scheduler_lag_seconds" in text


async def test_scheduler_lag_is_how_late_the_loop_woke(write_config: WriteConfig) -> None:
    clock = FakeClock(START)
    async with served(write_config(), clock) as s:
        loop = asyncio.create_task(s.app.run())
        await asyncio.sleep(0.05)
        # The poll closes in 7 days; the clock jumps 30 s past that (a suspended laptop).
        await clock.advance(timedelta(days=7, seconds=30))
        for _ in range(100):
            await asyncio.sleep(0.01)
            lag = s.app.metrics.registry.get_sample_value("engagebot_scheduler_lag_seconds_sum")
            if lag:
                break
        s.app.stop()
        await loop
    assert lag == 30.0


def test_web_block_off_loopback_without_token_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "shop.yaml"
    config.write_text(
        "store: {name: S}\nplatforms:\n  console: {}\nweb:\n  host: 0.0.0.0\n  port: 8080\n",
        encoding="utf-8",
    )
    done = engagebot("validate", str(config))
    assert done.returncode == 2
    assert done.stderr.splitlines()[0] == (
        f"{config}:5:9: the web host listens on 0.0.0.0, reachable from other machines, but "
        "has no token (add token: ${ENGAGEBOT_WEB_TOKEN} under web:, or set host: 127.0.0.1)"
    )
    config.write_text(
        "store: {name: S}\nplatforms:\n  console: {}\n"
        "web:\n  host: 0.0.0.0\n  token: ${ENGAGEBOT_WEB_TOKEN}\n",
        encoding="utf-8",
    )
    done = engagebot("validate", str(config), env={"ENGAGEBOT_WEB_TOKEN": "abc"})
    assert done.returncode == 0, done.stderr
    config.write_text("store: {name: S}\nplatforms:\n  console: {}\nweb: {}\n", encoding="utf-8")
    assert engagebot("validate", str(config)).returncode == 0


async def test_without_a_token_a_one_time_link_signs_in(write_config: WriteConfig) -> None:
    async with served(write_config(), SystemClock(), token=None) as s:
        link = s.host.login_link
        assert link is not None
        assert link.startswith(f"{s.url}/login/link?code=")
        assert s.host.greeting() == f"Dashboard: {s.url} — sign in once with {link}"
        code = link.split("code=")[1]
        # Opening the link (or a chat preview fetching it) signs nobody in by itself.
        async with s.http.get(link) as r:
            assert r.status == 200
            assert "Set-Cookie" not in r.headers
            assert 'name="code"' in await r.text()
        async with s.http.post(
            s.url + "/login/link", data={"code": code}, allow_redirects=False
        ) as r:
            assert (r.status, r.headers["Location"]) == (303, "/")
        async with s.http.get(s.url + "/", allow_redirects=False) as r:
            assert r.status == 200
            assert "Which helmet should we stock?" in await r.text()
        s.http.cookie_jar.clear()
        async with s.http.post(
            s.url + "/login/link", data={"code": code}, allow_redirects=False
        ) as r:
            assert r.status == 401  # one time only
        # No token is configured: no Bearer value opens the API.
        status, _ = await get_json(s, "/api/polls", Authorization="Bearer ")
        assert status == 401


async def test_stopping_the_host_ends_open_event_streams(write_config: WriteConfig) -> None:
    async with (
        served(write_config(), SystemClock()) as s,
        s.http.get(s.url + "/api/polls/helmets/events", headers=s.bearer()) as r,
    ):
        assert (await read_event(r.content))[0] == "state"
        await asyncio.wait_for(s.host.stop(), 5)
        rest = await asyncio.wait_for(r.content.read(), 5)  # the server ended the stream
        assert rest.startswith(b"event: tally")
        assert r.content.at_eof()


async def test_a_taken_port_leaves_the_bot_running_without_a_dashboard(
    write_config: WriteConfig, capsys: pytest.CaptureFixture[str]
) -> None:
    async with served(write_config(), SystemClock()) as s:
        port = int(s.url.rsplit(":", 1)[1])
        taken = WebSettings(host="127.0.0.1", port=port, token=TOKEN)
        assert await start_web_host(s.app, taken) is None
        assert capsys.readouterr().err == (
            f"Dashboard not started: cannot listen on 127.0.0.1:{port} (address already in "
            "use); choose another port under web: in the config\n"
        )
        await vote(s, "ann", AERO)  # the bot goes on
        assert (await s.app.store.tally("helmets")).counts == {"aero": 1}


async def sign_in(s: Served) -> str:
    """Sign in through the form; the page's CSRF token."""
    async with s.http.post(s.url + "/login", data={"token": TOKEN, "next": "/polls/helmets"}) as r:
        assert r.status == 200
        page = await r.text()
    return page.split('name="csrf" value="')[1].split('"')[0]


async def test_a_forged_close_form_changes_nothing_and_pages_404_unknown_polls(
    write_config: WriteConfig,
) -> None:
    async with served(write_config(), SystemClock()) as s:
        csrf = await sign_in(s)
        async with s.http.post(s.url + "/polls/helmets/close", data={"csrf": "forged"}) as r:
            assert r.status == 200  # back on the poll page, which says why
            assert messages.WEB_BAD_CSRF.format() in await r.text()
        assert (await s.app.polls.results("helmets")).state.value == "open"
        async with s.http.post(s.url + "/polls/helmets/close", data={"csrf": csrf}) as r:
            assert "Final verdict" in await r.text()
            shown = r.url
        assert (await s.app.polls.results("helmets")).state.value == "closed"
        # The form's result is shown on every load of the page it led to (a reload too),
        # but not on the poll page reached otherwise.
        for _ in range(2):
            async with s.http.get(shown) as r:
                assert 'role="status"' in await r.text()
        async with s.http.get(s.url + "/polls/helmets") as r:
            assert 'role="status"' not in await r.text()
        async with s.http.get(s.url + "/polls/nope") as r:
            assert r.status == 404
            assert r.content_type == "text/html"
            assert "There is no poll with id &#39;nope&#39;" in await r.text()


async def test_another_app_can_be_mounted_under_a_path(write_config: WriteConfig) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="mounted")

    config = load_config(write_config())
    app = App(config, open_store(config.database_url), [RecordingPlatform()], SystemClock())
    await app.start()
    host = WebHost(app, WebSettings(port=0, token=TOKEN))
    sub = web.Application()
    sub.router.add_post("/events", hello)
    host.mount("/slack", sub)
    await host.start()
    try:
        with pytest.raises(RuntimeError):
            host.mount("/late", web.Application())
        async with aiohttp.ClientSession() as http, http.post(host.url + "/slack/events") as r:
            assert (r.status, await r.text()) == (200, "mounted")
    finally:
        await host.stop()
        await app.shutdown()


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
async def test_sign_in_never_sends_the_browser_to_another_site(
    write_config: WriteConfig, target: str
) -> None:
    async with served(write_config(), SystemClock()) as s:
        form = {"token": TOKEN, "next": target}
        async with s.http.post(s.url + "/login", data=form, allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (303, "/")
