"""The dashboard of a French shop, in a real browser (Playwright and Debian's Chromium
against the running app), and its JSON errors; screenshots land in the test's folder."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from bot.clock import SystemClock
from bot.core.actions import encode_vote
from tests.conftest import REPO
from tests.fakes import Replies, click
from tests.web.harness import TOKEN, Served, served

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
POLL = "spring-helmets"
SPACES = re.compile(r"[\u00a0\u202f]")  # Babel and the browser pick different no-break spaces


@pytest.fixture
def french_shop(tmp_path: Path) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    text = (REPO / "config" / "example.yaml").read_text(encoding="utf-8")
    text = text.replace("  currency: EUR\n", "  currency: EUR\n  locale: fr\n", 1)
    (folder / "bot.yaml").write_text(text, encoding="utf-8")
    shutil.copytree(REPO / "config" / "images", folder / "images")
    return folder / "bot.yaml"


async def vote(s: Served, user: str, option: str) -> None:
    replies = Replies()
    await s.app.handle(click(user, encode_vote(POLL, option), s.app.clock.now(), replies))
    assert replies.texts[0].startswith("✅ Votre vote pour")


def plain(text: str) -> str:
    return SPACES.sub(" ", text)


async def test_pages_and_errors_in_french_without_a_browser(french_shop: Path) -> None:
    async with served(french_shop, SystemClock()) as s:
        await vote(s, "ann", "aero")
        async with s.http.get(s.url + "/api/polls") as r:
            assert r.status == 401
            assert (await r.json())["error"].startswith("Connectez-vous d’abord")
        async with s.http.post(s.url + "/login", data={"token": TOKEN, "next": "/"}) as r:
            page = plain(await r.text())
        assert '<html lang="fr">' in page
        assert "<h1>Sondages</h1>" in page and "Se déconnecter" in page
        assert "<dt>Clients</dt>" in page and "AeroLite MIPS (100 %)" in page
        assert "heures dans le fuseau horaire de la boutique" in page
        async with s.http.get(f"{s.url}/polls/{POLL}") as r:
            page = plain(await r.text())
        assert "Votes au fil du temps" in page and "Verdict provisoire" in page
        assert "89,00 €" in page and "100 %" in page
        assert "Verdict : pas assez de votes" not in page  # the sentence drops "Verdict :"
        assert "Pas assez de votes pour trancher" in page


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)
async def test_a_french_dashboard_in_a_browser(french_shop: Path, tmp_path: Path) -> None:
    async_api = pytest.importorskip("playwright.async_api")
    shots = tmp_path / "screenshots"
    shots.mkdir()
    async with served(french_shop, SystemClock()) as s, async_api.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for n, option in enumerate(["aero", "urban", "aero"]):
            await vote(s, f"customer{n}", option)
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{s.url}/polls/{POLL}")
        await page.get_by_label("Jeton du tableau de bord").fill(TOKEN)
        await page.get_by_role("button", name="Connexion").click()
        await page.wait_for_url(f"{s.url}/polls/{POLL}")
        await page.locator("#live").wait_for(state="visible")
        aero = page.locator('#bars li[data-option="aero"]')
        assert plain(await aero.locator(".share").inner_text()) == "67 %"
        await vote(s, "late-customer", "aero")  # the page follows, in French figures
        await async_api.expect(page.locator("#total")).to_have_text("4", timeout=2000)
        assert plain(await aero.locator(".share").inner_text()) == "75 %"
        label = plain(await aero.locator(".bar").get_attribute("aria-label") or "")
        assert label == "AeroLite MIPS : 75 % des votes"
        await page.screenshot(path=str(shots / "poll-fr.png"), full_page=True)
        for path, name in (("/", "overview"), ("/schedule", "schedule"), ("/report", "report")):
            await page.goto(s.url + path)
            await page.screenshot(path=str(shots / f"{name}-fr.png"), full_page=True)
        await page.goto(s.url + "/schedule")
        assert "<h2>" in await page.content()
        heading = await page.locator("h2").first.inner_text()
        assert re.match(r"^(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) ", heading)
        await browser.close()
    print(f"\nscreenshots in {shots}")
    assert len(list(shots.glob("*.png"))) == 4


async def test_counts_of_a_thousand_are_grouped_the_shops_way(french_shop: Path) -> None:
    """1 234 votes read "1 234" (a no-break space) on the overview, the poll page and the
    report of a French shop, not "1234"; the live page's script groups them the same way
    (Intl.NumberFormat in the page's language)."""
    async with served(french_shop, SystemClock()) as s:
        await asyncio.gather(*(vote(s, f"customer-{n}", "aero") for n in range(1234)))
        async with s.http.post(s.url + "/login", data={"token": TOKEN, "next": "/"}) as r:
            overview = plain(await r.text())
        assert "<dd>1 234</dd>" in overview and "1234" not in overview
        async with s.http.get(f"{s.url}/polls/{POLL}") as r:
            page = plain(await r.text())
        assert '<span id="total">1 234</span>' in page
        assert '<span id="voters">1 234</span>' in page
        assert '<strong class="votes">1 234</strong>' in page
        async with s.http.get(f"{s.url}/report") as r:
            report = plain(await r.text())
        assert "1 234 votes</title>" in report and '<td class="num">1 234</td>' in report


@pytest.mark.skipif(
    not Path(CHROMIUM).exists() and os.environ.get("CI") != "true",
    reason="Chromium is not installed (apt-get install chromium; .ci/run installs it)",
)
async def test_the_live_poll_page_groups_counts_in_a_browser(french_shop: Path) -> None:
    async_api = pytest.importorskip("playwright.async_api")
    async with served(french_shop, SystemClock()) as s, async_api.async_playwright() as pw:
        await asyncio.gather(*(vote(s, f"customer-{n}", "aero") for n in range(1234)))
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page()
        await page.goto(f"{s.url}/polls/{POLL}")
        await page.get_by_label("Jeton du tableau de bord").fill(TOKEN)
        await page.get_by_role("button", name="Connexion").click()
        await page.wait_for_url(f"{s.url}/polls/{POLL}")
        await page.locator("#live").wait_for(state="visible")
        await vote(s, "late-customer", "aero")  # the script redraws the counts
        grouped = re.compile(r"^1[\u00a0\u202f]235$")
        await async_api.expect(page.locator("#total")).to_have_text(grouped, timeout=2000)
        await async_api.expect(page.locator("#voters")).to_have_text(grouped)
        aero = page.locator('#bars li[data-option="aero"] .votes')
        await async_api.expect(aero).to_have_text(grouped)
        await browser.close()
