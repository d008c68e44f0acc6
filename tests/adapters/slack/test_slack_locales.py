"""A French shop on Slack: the real App and slack-bolt against the local fake."""

from __future__ import annotations

import json
from pathlib import Path

from bot.core.actions import encode_vote
from tests.adapters.slack.harness import fake_slack, running, write_config

AERO = encode_vote("helmets", "aero")
NBSP = "\u00a0"


async def test_a_french_shop_on_slack(tmp_path: Path) -> None:
    async with fake_slack() as fake:
        path = write_config(tmp_path, fake)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("  currency: EUR\n", "  currency: EUR\n  locale: fr\n", 1))
        async with running(path, fake) as run:
            [post] = fake.calls_to("chat.postMessage")
            args = post.args
            assert args["text"].startswith(f"📊 Sondage{NBSP}: Which helmet should we stock?")
            aero = args["blocks"][3]["text"]["text"]
            assert aero.startswith(f"*1. AeroLite MIPS*  ·  89,00{NBSP}€\n")
            assert "<https://example.com/aero|Voir le produit>" in aero
            assert f"`░░░░░░░░░░`  0 vote · 0{NBSP}%" in aero
            assert "📷 photo dans le fil" in args["blocks"][6]["text"]["text"]
            labels = [e["text"]["text"] for b in args["blocks"] if b["type"] == "actions"
                      for e in b["elements"]]  # fmt: skip
            assert labels[0] == f"Voter{NBSP}: AeroLite MIPS"
            footer = args["blocks"][-1]["elements"][0]["text"]
            assert footer.startswith("Un seul choix · 0 votant · clôture le ")

            response = await run.click("UANN", AERO)
            assert response.status == 200
            await fake.wait_for(lambda: len(fake.ephemerals("UANN")) == 1)
            assert fake.ephemerals("UANN")[0].startswith(
                "✅ Votre vote pour AeroLite MIPS est bien pris en compte"
            )
            await fake.wait_for(lambda: len(fake.calls_to("chat.update")) >= 1)
            update = fake.calls_to("chat.update")[-1].args
            assert f"`██████████`  1 vote · 100{NBSP}%" in update["blocks"][3]["text"]["text"]

            usage = await run.command("UMERCHANT", "")
            shown = json.loads(usage.body)["text"]
            assert shown.startswith(f"Utilisation{NBSP}: `")
