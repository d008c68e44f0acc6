"""Rules that need the whole config: ids unique across files, channel names defined,
image files present, platform limits respected. Every problem is positioned."""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from bot.adapters.limits import LIMITS, MAX_IMAGE_BYTES, MIB
from bot.config import messages
from bot.config.crossfield import cross_field_problems
from bot.config.env import TOKEN_PLATFORMS, UnsetVariable, check_token_shapes, may_echo
from bot.config.schema import ChannelConfig, PlatformsConfig, WebConfig
from bot.config.validate import Sections
from bot.config.yaml_source import Pos, SourceMap, YPath, lookup
from bot.core.media import Fault, image_fault
from bot.errors import ConfigProblem

PLATFORM_ORDER = ("console", "discord", "slack")


def skipped_platforms(data: object, unset: Iterable[UnsetVariable]) -> dict[str, list[str]]:
    """Platforms to leave out because a secret they need is not in the environment,
    with those variables: a block copied from the full example, for a platform the shop
    does not use yet. Not when the block says enabled: true (then it is an error), nor
    when nothing else would run (then the missing secret is the problem to report)."""
    switches = _switches(data)
    if switches is None:
        return {}
    missing: dict[str, list[str]] = {}
    for var in unset:
        if var.path[:1] == ("platforms",) and len(var.path) == 3:
            platform, key = str(var.path[1]), str(var.path[2])
            block = lookup(data, ("platforms", platform))
            explicit = isinstance(block, Mapping) and block.get("enabled") is True
            if switches.get(platform) and not explicit and key in _needed(block, platform):
                missing.setdefault(platform, []).append(var.name)
    rest = _decide({**switches, **{name: False for name in missing}})
    runs_something = any(p in rest for p in TOKEN_PLATFORMS) or switches["console"] is True
    return missing if runs_something else {}


def _needed(block: object, platform: str) -> tuple[str, ...]:
    """The secret keys a platform cannot start without."""
    if platform == "discord":
        return ("token",)
    mode = block.get("mode", "socket") if isinstance(block, Mapping) else "socket"
    return ("bot_token", "signing_secret" if mode == "http" else "app_token")


def _switches(data: object) -> dict[str, bool | None] | None:
    """None = no block, else its enabled flag, per platform."""
    raw = data.get("platforms", {}) if isinstance(data, Mapping) else None
    if not isinstance(raw, Mapping):
        return None
    switches: dict[str, bool | None] = {}
    for name in PLATFORM_ORDER:
        block = raw.get(name)
        flag = block.get("enabled", True) if isinstance(block, Mapping) else True
        off = flag is False or str(flag).strip().lower() in ("false", "no", "off", "0")
        switches[name] = None if name not in raw else not off
    return switches


def decide_platforms(data: object, skipped: Mapping[str, object]) -> tuple[str, ...] | None:
    """The platforms that will run: enabled ones, less those skipped."""
    switches = _switches(data)
    if switches is None:
        return None
    return _decide({**switches, **{name: False for name in skipped}})


def _decide(switches: Mapping[str, bool | None]) -> tuple[str, ...]:
    """switches: None = no block, else its enabled flag. discord/slack: block present
    and enabled. console: block present and enabled, or the zero-setup default when
    nothing else is enabled, unless it says enabled: false."""
    others = any(switches[name] for name in PLATFORM_ORDER if name != "console")
    console = switches["console"] is True or (switches["console"] is None and not others)
    flags = {**switches, "console": console}
    return tuple(name for name in PLATFORM_ORDER if flags[name])


def channel_maps_to(channel: str, config: ChannelConfig, platform: str) -> bool:
    """The console uses the channel's name when no console id is given."""
    return platform == "console" or getattr(config, platform, None) is not None


def image_fields(data: object) -> Iterable[tuple[YPath, dict[object, object]]]:
    """Every raw option/question mapping that has an image key, with the key's path."""
    if not isinstance(data, Mapping):
        return
    for section, items in (("polls", "options"), ("prompts", "questions")):
        entries = data.get(section)
        if not isinstance(entries, list):
            continue
        for i, entry in enumerate(entries):
            children = entry.get(items) if isinstance(entry, Mapping) else None
            if not isinstance(children, list):
                continue
            for j, child in enumerate(children):
                if isinstance(child, dict) and "image" in child:
                    yield (section, i, items, j, "image"), child


def image_limit(enabled: tuple[str, ...] | None) -> tuple[int, str]:
    """The smallest upload limit of the enabled platforms, and whose it is."""
    platforms = enabled or tuple(MAX_IMAGE_BYTES)
    return min((MAX_IMAGE_BYTES[p], p) for p in platforms)


def resolve_images(
    data: object, smap: SourceMap, root: Path, limit: tuple[int, str]
) -> list[ConfigProblem]:
    """Checks each image and rewrites local paths to absolute ones, relative to the
    file that names them (a poll in polls/x.yaml finds polls/images/...). A local image
    must stay inside root (links followed), be an image by its bytes, and fit limit."""
    problems: list[ConfigProblem] = []
    max_bytes = limit[0]
    for path, holder in list(image_fields(data)):
        ref = holder["image"]
        if not isinstance(ref, str) or not ref.strip():
            continue  # the schema reports wrong types; an empty image means none
        pos = smap.value(path)
        shown = ref if may_echo(path, smap) else "(from the environment)"
        scheme = urlsplit(ref).scheme.lower()
        if len(scheme) > 1:  # one letter would be a Windows drive
            if scheme == "http":
                problems.append(pos.problem(*messages.IMAGE_HTTP))
            elif scheme != "https":
                problems.append(pos.problem(*messages.image_scheme(scheme)))
            continue
        full = Path(os.path.abspath(Path(pos.file).parent / ref))
        fault, size = image_fault(full, root, max_bytes)
        if fault is not None:
            problems.append(pos.problem(*_explain_fault(fault, shown, size, limit)))
        holder["image"] = str(full)
    return problems


def _explain_fault(fault: Fault, shown: str, size: int, limit: tuple[int, str]) -> messages.Msg:
    if fault is Fault.TOO_LARGE:
        return messages.image_too_large(shown, size / MIB, limit[0] / MIB, limit[1])
    explain = {
        Fault.MISSING: messages.image_missing,
        Fault.OUTSIDE: messages.image_outside,
        Fault.NOT_FILE: messages.image_not_file,
        Fault.NOT_IMAGE: messages.image_not_image,
        Fault.UNREADABLE: messages.image_unreadable,
    }
    return explain[fault](shown)


def check_config(
    data: object, sections: Sections, smap: SourceMap, enabled: tuple[str, ...] | None
) -> list[ConfigProblem]:
    """Ids and channel names are checked on the raw data, so they are checked even in a
    poll that has other problems; the rest needs validated sections."""
    problems = _duplicate_ids(data, smap)
    problems += cross_field_problems(data, smap)
    problems += _channels(data, sections, smap, enabled)
    if enabled is not None:
        problems += _endpoints(data, smap, enabled)
        problems += check_token_shapes(data, smap, enabled)
    problems += _web_rules(sections.web, smap)
    if enabled is not None and sections.platforms is not None:
        problems += _platform_rules(sections.platforms, smap, enabled)
        problems += _platform_ids(sections, smap, enabled)
        if sections.channels is not None:
            problems += _limits(data, sections, smap, enabled)
    return problems


# What a platform's ids look like: a wrong one would only fail later, at run time.
_ID_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "discord": (re.compile(r"^\d+$"), 'a Discord id is a number, e.g. "234567890123456789"'),
    "slack": (re.compile(r"^[CDGUW][A-Z0-9]+$"), "a Slack id looks like C0123ABCD or U0123ABCD"),
    "slack group": (
        re.compile(r"^S[A-Z0-9]+$"),
        "a Slack user group id looks like S0123ABCD (from the group's URL)",
    ),
}


def _platform_ids(
    sections: Sections, smap: SourceMap, enabled: tuple[str, ...]
) -> list[ConfigProblem]:
    """Guild, user and channel ids of enabled platforms must have the platform's shape
    (copied with Discord's developer mode, or from Slack's channel details)."""
    found: list[tuple[str, str, YPath]] = []
    platforms = sections.platforms
    discord = platforms.discord if platforms else None
    if discord is not None and "discord" in enabled:
        for field in ("guilds", "staff_users"):
            for i, value in enumerate(getattr(discord, field)):
                found.append(("discord", value, ("platforms", "discord", field, i)))
    slack = platforms.slack if platforms else None
    if slack is not None and "slack" in enabled:
        for i, value in enumerate(slack.staff_users):
            found.append(("slack", value, ("platforms", "slack", "staff_users", i)))
        for i, value in enumerate(slack.staff_groups):
            found.append(("slack group", value, ("platforms", "slack", "staff_groups", i)))
    for name, channel in (sections.channels or {}).items():
        for platform in ("discord", "slack"):
            value = getattr(channel, platform)
            if value is not None and platform in enabled:
                found.append((platform, value, ("channels", name, platform)))
    problems: list[ConfigProblem] = []
    for platform, value, path in found:
        shape, hint = _ID_SHAPES[platform]
        if not shape.match(value):
            shown = value if may_echo(path, smap) else None
            problems.append(
                smap.value(path).problem(messages.bad_platform_id(platform, shown), hint)
            )
    return problems


# Where the adapters connect or listen; a wrong value would only fail at run time, in
# an error that might quote it (and it may have come from the environment).
_ENDPOINTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("discord", "api_base_url"): ("https", "http"),
    ("discord", "gateway_url"): ("wss", "ws"),
    ("slack", "api_base_url"): ("https", "http"),
}
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|[0-9A-Fa-f:.]+)$")
_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def _endpoints(data: object, smap: SourceMap, enabled: tuple[str, ...]) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for (platform, key), schemes in _ENDPOINTS.items():
        path = ("platforms", platform, key)
        value = lookup(data, path)
        if platform not in enabled or not isinstance(value, str):
            continue
        parts = urlsplit(value.strip())
        if parts.scheme not in schemes or not parts.hostname or parts.username is not None:
            shown = value if may_echo(path, smap) else None
            problems.append(smap.value(path).problem(*messages.bad_endpoint(key, shown, schemes)))
    for key, shape in (("host", _HOST), ("path", _PATH)):
        path = ("platforms", "slack", key)
        value = lookup(data, path)
        if "slack" in enabled and isinstance(value, str) and not shape.match(value):
            shown = value if may_echo(path, smap) else None
            problems.append(smap.value(path).problem(*messages.bad_listen(key, shown)))
    return problems


def is_loopback(host: str) -> bool:
    """Only this machine can reach the address (so no token is needed)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def _web_rules(web: WebConfig | None, smap: SourceMap) -> list[ConfigProblem]:
    """The dashboard changes polls: anyone who can reach it needs the token."""
    if web is None or web.token is not None or is_loopback(web.host):
        return []
    where = smap.value(("web", "host")) if ("web", "host") in smap.values else smap.key(("web",))
    return [where.problem(*messages.web_needs_token(web.host))]


def _platform_rules(
    platforms: PlatformsConfig, smap: SourceMap, enabled: tuple[str, ...]
) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    if not enabled:
        problems.append(smap.key(("platforms",)).problem(*messages.NO_PLATFORM))
    slack = platforms.slack
    if slack is not None and "slack" in enabled:
        mode = ("platforms", "slack", "mode")
        where = smap.keys.get(mode) or smap.key(("platforms", "slack"))
        if slack.mode == "http" and slack.signing_secret is None:
            problems.append(where.problem(*messages.SLACK_HTTP_NEEDS_SECRET))
        if slack.mode == "socket" and slack.app_token is None:
            problems.append(where.problem(*messages.SLACK_SOCKET_NEEDS_APP_TOKEN))
    return problems


def _first_use(
    kind: str, items: Iterable[tuple[str, YPath]], smap: SourceMap
) -> list[ConfigProblem]:
    """A problem at every repeat of an id, naming where it was first used."""
    seen: dict[str, Pos] = {}
    problems: list[ConfigProblem] = []
    for value, path in items:
        pos = smap.value(path)
        if value in seen:
            first = seen[value]
            where = f"line {first.line}" if first.file == pos.file else str(first)
            problems.append(pos.problem(*messages.duplicate_id(kind, value, where)))
        else:
            seen[value] = pos
    return problems


def _entries(data: object, *path: str) -> Iterable[tuple[int, Mapping[object, object]]]:
    """(index, mapping) of each mapping in the raw list at path."""
    entries = lookup(data, path)
    if isinstance(entries, list):
        yield from ((i, e) for i, e in enumerate(entries) if isinstance(e, Mapping))


def _names(values: object, path: YPath) -> Iterable[tuple[str, YPath]]:
    """Text (or number) values of a raw list, with their paths."""
    if isinstance(values, list):
        for k, value in enumerate(values):
            if isinstance(value, str | int) and not isinstance(value, bool):
                yield str(value), (*path, k)


def _safe(ids: list[tuple[object, YPath]], smap: SourceMap) -> list[tuple[str, YPath]]:
    """Ids that are text and safe to quote in a message."""
    return [(v, p) for v, p in ids if isinstance(v, str) and may_echo(p, smap)]


def _duplicate_ids(data: object, smap: SourceMap) -> list[ConfigProblem]:
    problems: list[ConfigProblem] = []
    for section, kind in (("polls", "poll"), ("prompts", "prompt")):
        ids: list[tuple[object, YPath]] = [
            (e.get("id"), (section, i, "id")) for i, e in _entries(data, section)
        ]
        problems += _first_use(kind, _safe(ids, smap), smap)
    for i, poll in _entries(data, "polls"):
        options: list[tuple[object, YPath]] = [
            (o.get("id"), ("polls", i, "options", j, "id")) for j, o in _entries(poll, "options")
        ]
        problems += _first_use("option", _safe(options, smap), smap)
    return problems


def _references(data: object) -> Iterable[tuple[str, YPath]]:
    """Every channel name a poll or prompt posts to, with its path."""
    for section in ("polls", "prompts"):
        for i, entry in _entries(data, section):
            yield from _names(entry.get("channels"), (section, i, "channels"))


def _channels(
    data: object, sections: Sections, smap: SourceMap, enabled: tuple[str, ...] | None
) -> list[ConfigProblem]:
    defined = sections.channels
    if defined is None:
        return []  # the channels block itself is broken; reported already
    problems: list[ConfigProblem] = []
    unreachable: set[str] = set()
    for name, path in _references(data):
        config = defined.get(name)
        pos = smap.value(path)
        if config is None and name in sections.broken_channels:
            continue  # the channel's own problems are reported
        if config is None and not may_echo(path, smap):
            problems.append(pos.problem(*messages.unknown_channel(None, None, defined)))
        elif config is None:
            close = difflib.get_close_matches(name, list(defined), n=1, cutoff=0.6)
            problems.append(
                pos.problem(*messages.unknown_channel(name, close[0] if close else None, defined))
            )
        elif enabled and not any(channel_maps_to(name, config, p) for p in enabled):
            unreachable.add(name)
    for name in sorted(unreachable):
        where = smap.key(("channels", name))
        problems.append(where.problem(*messages.channel_unreachable(name, enabled or ())))
    return problems


def _limits(
    data: object, sections: Sections, smap: SourceMap, enabled: tuple[str, ...]
) -> list[ConfigProblem]:
    """Option count and label length for every enabled platform a poll is posted on;
    read from the raw data, so a poll with other problems is checked too."""
    channels = sections.channels or {}
    problems: list[ConfigProblem] = []
    for i, poll in _entries(data, "polls"):
        names = [name for name, _ in _names(poll.get("channels"), ())]
        options = poll.get("options")
        if not isinstance(options, list):
            continue
        platforms = [
            p
            for p in enabled
            if any(name in channels and channel_maps_to(name, channels[name], p) for name in names)
        ]
        for platform in platforms:
            limits = LIMITS[platform]
            if len(options) > limits.max_options:
                pos = smap.key(("polls", i, "options"))
                message = messages.too_many_options(len(options), platform, limits.max_options)
                problems.append(pos.problem(*message))
            for j, option in enumerate(options):
                label = option.get("label") if isinstance(option, Mapping) else None
                if isinstance(label, str | int | float) and not isinstance(label, bool):
                    length = len(str(label))
                    if length > limits.max_label_length:
                        pos = smap.value(("polls", i, "options", j, "label"))
                        message = messages.label_too_long(length, platform, limits.max_label_length)
                        problems.append(pos.problem(*message))
    return problems
