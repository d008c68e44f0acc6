"""Button ids are matched exactly: an id that is not one this bot makes never counts as a
vote, and any click on it gets a polite private answer instead of "interaction failed"."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.discord.discord_harness import AERO, poll_message, running_app, write_config
from tests.adapters.discord.fake_discord import FakeDiscord

UNKNOWN = "Sorry, this button doesn't belong to a poll I know"


async def test_ids_that_are_not_exactly_ours_get_a_polite_reply_and_count_nothing(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, _):
        message_id = poll_message(fake)
        odd_ids = [
            "v1:vote:helmets:urban\n",  # a trailing newline: `$` would have matched
            "v1:vote:helmets:urban\n\n",
            "other-bot:vote:42",  # not our prefix: discord.py matches no item
            "V1:vote:helmets:urban",
            "\nv1:vote:helmets:urban",
        ]
        section = [
            {
                "type": 9,
                "components": [{"type": 10, "content": f"card {n}"}],
                "accessory": {"type": 2, "style": 1, "label": "Vote", "custom_id": custom_id},
            }
            for n, custom_id in enumerate(odd_ids)
        ]
        odd = fake.seed_message(fake.channel_id, [{"type": 17, "components": section}])
        for n, custom_id in enumerate(odd_ids):
            click = await fake.click(odd, custom_id, fake.customer(n))
            await click.answered()
            assert click.ephemeral, custom_id
            assert click.reply.startswith(UNKNOWN), (custom_id, click.reply)
        assert (await app.store.tally("helmets")).counts == {}
        assert fake.edits(message_id) == [] and fake.edits(odd) == []


async def test_a_click_reaches_the_app_even_when_its_button_is_gone_from_the_message(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    """Discord sends the message as it is when the click is delivered: an edit racing the
    click can leave the clicked button out of it. Clicks are matched by their id alone,
    so the vote still counts and the customer is answered (discord.py's own matching
    looked the button up on the message and dropped the click silently)."""
    config = write_config(tmp_path, fake)
    async with running_app(config) as (app, adapter):
        message_id = poll_message(fake)
        edited = {**fake.messages[message_id], "components": [{"type": 10, "content": "…"}]}
        data = {"custom_id": AERO, "component_type": 2}
        click = await fake._interact(
            3, data, fake.customer(1), fake.channel_id, {"message": edited}
        )
        await click.answered()
        assert click.ephemeral and click.reply.startswith("✅"), click.reply
        assert (await app.store.tally("helmets")).counts == {"aero": 1}
        # and discord.py holds no view of ours to match clicks against (nor rebuilds one)
        store = adapter.client._connection._view_store
        assert store._views == {} and store._dynamic_items == {}
