"""Which uploaded files a message holds, so that an edit can keep them.

Discord's Edit Message keeps a message's files when `attachments` is left out, but a
Components V2 layout that refers to them as `attachment://<name>` is only documented
to resolve against the attachments *of that request* (new uploads, or existing ones
listed by id; "the attachments array must contain all attachments that should be
present after edit"). So every edit lists the files to keep by id.

Where the ids come from: a V2 message's `attachments` array is empty (the files are
referenced from the components instead, discord-api-docs #8279); each media item the
message returns carries its `attachment_id` and the CDN URL, whose last path segment is
the file name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlsplit

import discord


class KeptAttachment:
    """An attachment already on the message, listed in an edit so it stays.

    discord.py (2.7.1, `http.handle_message_parameters`) serialises every non-File item
    of `attachments=` with `to_dict()`; Discord needs only the id to keep a file."""

    def __init__(self, id: int, filename: str) -> None:
        self.id = id
        self.filename = filename

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "filename": self.filename}

    def __repr__(self) -> str:
        return f"KeptAttachment({self.id}, {self.filename!r})"


def uploaded(message: discord.Message) -> dict[str, int]:
    """Attachment name -> id for every uploaded file the message's layout shows."""
    found: dict[str, int] = {}
    for item in _media(message.components):
        if item.attachment_id is None:
            continue  # a public URL, not an upload
        name = unquote(urlsplit(item.url).path.rsplit("/", 1)[-1])
        if name:
            found[name] = item.attachment_id
    for attachment in message.attachments:  # files not shown in components, if any
        found.setdefault(attachment.filename, attachment.id)
    return found


def _media(components: list[Any]) -> Iterator[discord.UnfurledMediaItem]:
    for component in components:
        if isinstance(component, discord.MediaGalleryComponent):
            yield from (item.media for item in component.items)
        elif isinstance(component, discord.ThumbnailComponent | discord.FileComponent):
            yield component.media
        if isinstance(component, discord.SectionComponent):
            yield from _media([*component.children, component.accessory])
        elif isinstance(component, discord.Container | discord.ActionRow):
            yield from _media(list(component.children))
