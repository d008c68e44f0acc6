"""Button ids are matched exactly on Slack too: junk action ids are acknowledged and get
the polite private reply; none of them counts as a vote."""

from __future__ import annotations

from pathlib import Path

from tests.adapters.slack.harness import slack_app

UNKNOWN = "Sorry, this button doesn't belong to a poll I know"


async def test_action_ids_that_are_not_exactly_ours_are_acknowledged_and_count_nothing(
    tmp_path: Path,
) -> None:
    async with slack_app(tmp_path) as run:
        fake = run.fake
        junk = [
            "v1:vote:helmets:urban\n",  # a trailing newline: `$` would have matched
            "v1:vote:helmets:aero\n",
            "\nv1:vote:helmets:urban",
            "V1:vote:helmets:urban",
            "other-app-button",
        ]
        for action_id in junk:
            response = await run.click("UJUNK", action_id)
            assert response.status == 200, action_id  # acknowledged
        await fake.wait_for(lambda: len(fake.ephemerals("UJUNK")) == len(junk))
        assert all(text.startswith(UNKNOWN) for text in fake.ephemerals("UJUNK"))
        assert await run.tally() == {}
        assert fake.calls_to("chat.update") == []
