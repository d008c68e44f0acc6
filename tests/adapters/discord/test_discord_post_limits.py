"""Posts Discord would refuse as a whole are made to fit before sending (4000 characters
of text, 25 MiB per request), and a post Discord refuses anyway is not retried at once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.discord.adapter import CHANNEL_COOL_DOWN
from bot.adapters.discord.render import MAX_POST_UPLOAD
from bot.clock import FakeClock
from bot.core.content import Button, Image, PollMessage, ProductCard, PromptMessage, TallyBar
from bot.core.refs import ChannelRef
from bot.errors import PlatformError
from tests.adapters.discord.discord_harness import buttons, running_app, texts, write_config
from tests.adapters.discord.discord_payloads import walk
from tests.adapters.discord.fake_discord import FakeDiscord

GENERAL = 900000000000000002  # the fake guild's second channel: the app posts nothing there


def big_poll(
    link: str | None,
    image: Image | None = None,
    images: list[Path] | None = None,
    intro: int = 1000,
) -> PollMessage:
    cards = tuple(
        ProductCard(
            number=n,
            option_id=f"opt{n}",
            label="L" * 80,
            button=Button("L" * 80, f"v1:vote:{'p' * 32}:{'o' * 31}{n}"),
            image=Image(path=images[n - 1]) if images else image,
            price="$1,234.56",
            description="d*_" * 166,
            link=link,
            tally=TallyBar(123, 0.5),
        )
        for n in range(1, 10)
    )
    return PollMessage(
        poll_id="big",
        title="Q*" * 150,
        cards=cards,
        state="open",
        description="D" * intro,
        footer="Pick one · 1234 voters · closes Mon 1 Jan 2025 10:00 CET",
    )


def shown_text(components: list[dict[str, object]]) -> int:
    return sum(len(str(c["content"])) for c in walk(components) if c["type"] == 10)


@pytest.mark.parametrize(("link_length", "intro"), [(430, 1000), (150, 300)])
async def test_long_links_and_texts_fit_in_4000_characters(
    fake: FakeDiscord, tmp_path: Path, link_length: int, intro: int
) -> None:
    link = "https://shop.example.com/p?" + "a" * (link_length - 27)
    config = write_config(tmp_path, fake)
    async with running_app(config) as (_, adapter):
        url = Image(url="https://example.com/x.png")
        ref = await adapter.send(
            ChannelRef("discord", str(GENERAL)), big_poll(link, url, intro=intro)
        )
        post = fake.posts()[-1]
        assert post.status == 200  # the fake refuses over 4000 characters, as Discord does
        components = post.body["components"]
        shown = texts(components)
        print(f"\nlinks of {link_length}: {shown_text(components)} characters of text")
        assert shown_text(components) <= 4000
        # Every card keeps its name, price, tally and vote button.
        assert all(f"**{n}. " in shown for n in range(1, 10))
        assert shown.count("`") == 18 and shown.count("**123** votes · 50%") == 9
        assert len(buttons(components)) == 9
        if link_length <= 200:  # short label, same URL; the descriptions are shortened
            assert shown.count(f"[View]({link})") == 9
            assert shown.count("…\n[View](") == 9
        else:  # links of 430 characters cannot all show: left out, the rest stays
            assert link not in shown and shown.count("d*_") > 9
        await adapter.edit(ref, big_poll(link, url, intro=intro))  # the edit fits as well
        assert fake.edits(int(ref.id))[-1].status == 200


async def test_photos_beyond_24_mb_are_left_out_of_a_post(
    fake: FakeDiscord, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    photos = []
    for n in range(1, 10):  # nine 4.5 MB photos: 40 MB, Discord takes 25 MiB a request
        photo = tmp_path / f"photo{n}.png"
        with photo.open("wb") as file:
            file.write(b"\x89PNG\r\n\x1a\n")  # a PNG by its bytes, or it is never uploaded
            file.truncate(4_500_000)
        photos.append(photo)
    config = write_config(tmp_path, fake)
    async with running_app(config) as (_, adapter):
        poll = big_poll(None, images=photos)
        ref = await adapter.send(ChannelRef("discord", str(GENERAL)), poll)
        post = fake.posts()[-1]
        assert post.status == 200
        uploaded = sum(map(len, post.files.values()))
        print(f"\n9 photos of 4.5 MB: {len(post.files)} uploaded, {uploaded / 2**20:.1f} MiB")
        assert uploaded <= MAX_POST_UPLOAD
        assert sorted(post.files) == [f"opt{n}.png" for n in range(1, 6)]
        # The others' cards still show, without a photo.
        assert all(f"**{n}. " in texts(post.body["components"]) for n in range(1, 10))
        refs = [r.getMessage() for r in caplog.records if "24 MB" in r.getMessage()]
        assert len(refs) == 1 and "photo6.png" in refs[0] and "photo9.png" in refs[0]

        # An edit keeps the five uploaded photos by id and shows no others.
        await adapter.edit(ref, poll)
        edit = fake.edits(int(ref.id))[-1]
        assert edit.status == 200 and edit.files == {}
        kept = {a["filename"] for a in edit.body["attachments"]}
        assert kept == {f"opt{n}.png" for n in range(1, 6)}
        assert json.dumps(edit.body).count("attachment://") == 5
        await adapter.edit(ref, poll)
        assert len([r for r in caplog.records if "24 MB" in r.getMessage()]) == 1


async def test_a_refused_post_is_not_retried_at_once(fake: FakeDiscord, tmp_path: Path) -> None:
    fake.max_request_bytes = 1024 * 1024  # as if Discord's request limit were 1 MiB
    photo = tmp_path / "big.png"
    with photo.open("wb") as file:
        file.write(b"\x89PNG\r\n\x1a\n")
        file.truncate(2 * 1024 * 1024)
    config = write_config(tmp_path, fake)
    clock = FakeClock(datetime.now(UTC))
    async with running_app(config, clock=clock) as (_, adapter):
        general = ChannelRef("discord", str(GENERAL))
        prompt = PromptMessage(
            prompt_id="daily", text="Show us your bike!", image=Image(path=photo)
        )
        before = len(fake.posts())
        for _ in range(3):  # the app retries an unposted message every few seconds
            with pytest.raises(PlatformError):
                await adapter.send(general, prompt)
        refused = fake.posts()[before:]
        assert [call.status for call in refused] == [413]  # one request, then the cool-down
        # Only that post waits: another one in the same channel goes out.
        other = PromptMessage(prompt_id="weekly", text="What's next on your wishlist?")
        await adapter.send(general, other)
        assert fake.posts()[-1].status == 200
        # The cool-down runs on the app's clock: once it is over, Discord is asked again.
        await clock.advance(timedelta(seconds=CHANNEL_COOL_DOWN - 1))
        with pytest.raises(PlatformError):
            await adapter.send(general, prompt)
        assert len(fake.posts()) == before + 2
        await clock.advance(timedelta(seconds=1))
        with pytest.raises(PlatformError):
            await adapter.send(general, prompt)
        assert [call.status for call in fake.posts()[before:]] == [413, 200, 413]
