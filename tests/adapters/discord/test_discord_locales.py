"""Discord in the shop's language and in each customer's: the real App and discord.py
against FakeDiscord."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from bot.config import LoadedConfig, load_config
from tests.adapters.discord.discord_harness import (
    AERO,
    URBAN,
    buttons,
    poll_message,
    running_app,
    shown_after_edits,
    texts,
    write_config,
)
from tests.adapters.discord.fake_discord import FakeDiscord

NBSP = "\u00a0"


def with_store(config: LoadedConfig, fake: FakeDiscord, keys: str) -> LoadedConfig:
    """The harness config with more store: keys (e.g. locale: fr)."""
    path = config.root / "bot.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  currency: EUR\n", f"  currency: EUR\n{keys}", 1))
    return load_config(path, env={"DISCORD_TOKEN": fake.token})


async def test_a_french_shop_posts_and_answers_in_french(fake: FakeDiscord, tmp_path: Path) -> None:
    config = with_store(write_config(tmp_path, fake), fake, "  locale: fr\n")
    async with running_app(config):
        body = fake.posts()[0].body
        shown = texts(body["components"])
        assert "## Which helmet should we stock?" in shown  # the merchant's words as written
        assert f"**1. AeroLite MIPS** · 89,00{NBSP}€" in shown
        assert "[Fiche produit](https://example.com/aerolite)" in shown
        assert f"**0** vote · 0{NBSP}%" in shown  # French: 0 takes the singular
        assert "Un seul choix · 0 votant · clôture le " in shown
        assert {b["label"] for b in buttons(body["components"])} == {"Voter"}

        message_id = poll_message(fake)
        click = await fake.click(message_id, AERO, fake.customer(1))
        await click.answered()
        assert click.reply.startswith(
            f"✅ Votre vote pour AeroLite MIPS est bien pris en compte dans "
            f"«{NBSP}Which helmet should we stock?{NBSP}»."
        )
        await fake.wait_until(
            lambda: f"**1** vote · 100{NBSP}%" in shown_after_edits(fake, message_id)
        )

        command = await fake.command("close", fake.customer(2), poll="helmets")
        await command.answered()
        assert command.reply == "Désolé, seule l’équipe de la boutique peut clore les sondages."


async def test_each_customer_gets_private_replies_in_their_listed_language(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """store.locales: [fr, en]: a French Discord user reads French, a German one the
    store's English; the public tally stays in the store's language whoever clicked."""
    config = with_store(write_config(tmp_path, fake), fake, "  locale: en\n  locales: [fr, en]\n")
    async with running_app(config):
        message_id = poll_message(fake)
        french = dataclasses.replace(fake.customer(1), locale="fr")
        click = await fake.click(message_id, AERO, french)
        await click.answered()
        assert click.reply.startswith("✅ Votre vote pour AeroLite MIPS est bien pris en compte")
        await fake.wait_until(lambda: "**1** vote · 100%" in shown_after_edits(fake, message_id))
        assert "Pick one · 1 voter · closes " in shown_after_edits(fake, message_id)

        german = dataclasses.replace(fake.customer(2), locale="de")
        click = await fake.click(message_id, URBAN, german)
        await click.answered()
        assert click.reply.startswith("✅ Your vote for Urban Shell is counted")

        staff = dataclasses.replace(fake.customer(3, staff=True), locale="fr")
        command = await fake.command("open", staff, poll="helmets")
        await command.answered()
        assert command.reply == "Le sondage helmets est déjà ouvert."


async def test_slash_commands_are_localised_for_french_discord_users(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with running_app(write_config(tmp_path, fake)):
        [group] = fake.commands[fake.guild.id]
        assert group["name"] == "poll"  # the name commands arrive with, whatever the language
        assert group["name_localizations"] == {"fr": "sondage"}
        assert group["description_localizations"] == {
            "fr": "Les sondages produits de la boutique (réservé à l’équipe)"
        }
        subcommands = {o["name"]: o for o in group["options"]}
        assert {o["name_localizations"]["fr"] for o in subcommands.values()} == {
            "liste",
            "résultats",
            "ouvrir",
            "fermer",
        }
        [poll] = subcommands["close"]["options"]
        assert poll["name"] == "poll" and poll["name_localizations"] == {"fr": "sondage"}
        assert poll["description_localizations"]["fr"].startswith("L’identifiant du sondage")
