"""Local image files on Slack: uploaded into the thread of the message they belong to.

A Block Kit image needs a public URL; a photo on the merchant's disk has none. Uploading
it (files.getUploadURLExternal, the upload itself, files.completeUploadExternal) and
sharing it in the message's thread shows it to everyone in the channel without a
second top-level post per photo. (A `slack_file` accessory on the card would need the
file to be shared and processed before the card is posted, which Slack does not
guarantee, so the card says "photo in the thread" instead.)"""

from __future__ import annotations

import asyncio

from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.adapters.limits import MAX_IMAGE_BYTES
from bot.adapters.slack.pacing import paced
from bot.core.content import Image
from bot.core.media import read_image
from bot.core.refs import MessageRef


async def upload_to_thread(
    client: AsyncWebClient, message: MessageRef, images: list[tuple[str, Image]]
) -> None:
    uploads = []
    for title, image in images:
        if image.path is None:
            continue
        # Checked again right before reading: the file may have changed since validate.
        data = await asyncio.to_thread(read_image, image, MAX_IMAGE_BYTES["slack"])
        if data is None:
            continue  # left out of this post, logged once
        uploads.append(
            {"file": data, "filename": image.path.name, "title": title or image.path.name}
        )
    if not uploads:
        return
    titles = ", ".join(str(u["title"]) for u in uploads)
    await paced(
        lambda: client.files_upload_v2(
            file_uploads=uploads,
            channel=message.channel.id,
            thread_ts=message.id,
            initial_comment=messages.SLACK_UPLOAD_COMMENT.format(titles=titles),
        ),
        "files upload",
    )
