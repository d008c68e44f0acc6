"""Every config message a merchant can see, each with a hint saying what to write.

A message is (text, hint); the loader adds file:line:col. Messages never quote values
they are not given: callers decide what is safe to echo (never secrets)."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import LANGUAGES

Msg = tuple[str, str | None]

PLATFORM_NAMES = {"console": "Console", "discord": "Discord", "slack": "Slack"}

ID_RULE = "use 1-32 lowercase letters, digits, '-' or '_', starting with a letter or digit"
FLOW_HINT = "add the closing ] or }; inside [ ] or { } put quotes around text with , : ? [ ] { }"
QUOTE_HINT = "put quotes around text that contains ': ', '#' or starts with * & ! @ ` or %"

# --- files ----------------------------------------------------------------------------

FILE_NOT_FOUND: Msg = (
    "config file or folder not found",
    "check the path, or run engagebot from the folder that holds config/bot.yaml",
)
NO_BOT_YAML: Msg = (
    "this config folder has no bot.yaml",
    "create bot.yaml in it, starting with store: and name: your shop's name",
)
NO_CONFIG_FOUND: Msg = (
    "no config found",
    "create config/bot.yaml (copy config/example.yaml to start) or pass --config PATH",
)
NOT_UTF8: Msg = ("the file is not UTF-8 text", "save it as UTF-8 in your editor")
UNREADABLE: Msg = ("the file cannot be read", "check that it exists and you may read it")
EMPTY_CONFIG: Msg = ("the config file is empty", "start with store: and name: your shop's name")
ROOT_NOT_MAPPING: Msg = (
    "the config should be a list of keys like store:, channels:, polls:",
    "start the file with store: at the beginning of a line",
)


def empty_item_file(kind: str) -> Msg:
    return (f"this {kind} file is empty", f"write a {kind} (id: ..., ...) or delete the file")


def item_file_shape(kind: str) -> Msg:
    return (
        f"this file should hold one {kind} or a list of {kind}s",
        f"start the {kind} with id: at the beginning of a line",
    )


def not_a_list(key: str, kind: str) -> Msg:
    return (f"'{key}' should be a list of {kind}s", f"start each {kind} with '- id: ...'")


# --- YAML syntax -----------------------------------------------------------------------

TAB_INDENT: Msg = ("a tab is used for indentation", "indent with spaces only (2 per level)")
BAD_CHARACTER: Msg = (
    "the file contains a control character YAML does not allow",
    "delete the invisible character, or retype this line",
)
RECURSIVE_ALIAS: Msg = ("this alias refers to itself", "write the values out instead")
COMPLEX_KEY: Msg = ("a key must be plain text", "write key: value")
MERGE_KEY: Msg = ("'<<' merge keys are not supported", "write the keys out in full")
TOO_BIG: Msg = (
    "the file holds too many values (over 200,000, counting what aliases repeat)",
    "a shop config is far smaller: remove repeated aliases or split the file",
)


def unexpected(kind: str) -> Msg:
    return (
        f"the config could not be checked ({kind})",
        "this is a bug in engagebot: please report it with the file; run with -v for details",
    )


TOO_DEEP: Msg = (
    "values are nested more than 64 levels deep",
    "a config needs only a few levels: check for unbalanced [ or {",
)


def file_too_large(limit_mib: int) -> Msg:
    return (
        f"the file is larger than {limit_mib} MiB",
        "a shop config is a few kilobytes: check that this is the right file",
    )


NOT_REGULAR: Msg = (
    "this is not a regular file (a pipe, socket or device)",
    "replace it with a YAML file, or remove it",
)


def is_a_folder(name: str) -> Msg:
    return (f"{name} is a folder, not a file", f"{name} must be a YAML file")


_SYNTAX: tuple[tuple[str, Msg], ...] = (
    (
        "mapping values are not allowed",
        (
            "unexpected ':' here",
            "check this line's indentation, or put quotes around text that contains ': '",
        ),
    ),
    (
        "could not find expected ':'",
        ("expected 'key: value' here", "check the indentation, and that each key ends with ':'"),
    ),
    (
        "expected <block end>",
        (
            "the indentation of this line does not match the lines above",
            "line up keys of the same block with the same number of spaces",
        ),
    ),
    (
        "did not find expected key",
        (
            "the indentation of this line does not match the lines above",
            "line up keys of the same block with the same number of spaces",
        ),
    ),
    (
        "expected alphabetic or numeric character",
        ("text starting with * or & must be in quotes", 'e.g. cron: "0 10 * * *"'),
    ),
    ("found undefined alias", ("text starting with * must be in quotes", 'e.g. "*new*"')),
    ("that cannot start any token", ("this text must be in quotes", QUOTE_HINT)),
    ("found unexpected end of stream", ("a quote is never closed", "add the closing quote")),
    ("expected ',' or", ("a [list] or {mapping} is not closed", FLOW_HINT)),
    (
        "expected a single document",
        ("a config file holds one document", "remove the extra '---' line"),
    ),
)


def syntax_error(problem: str, context: str | None) -> Msg:
    text = f"{context or ''} {problem}"
    for needle, msg in _SYNTAX:
        if needle in text:
            return msg
    return (f"YAML syntax error: {problem}", "check the indentation; " + QUOTE_HINT)


def duplicate_key(key: str, first_line: int) -> Msg:
    return (
        f"key '{key}' appears twice in the same block",
        f"it is first given on line {first_line}; keep only one",
    )


def _short_tag(tag: str) -> str:
    return tag.replace("tag:yaml.org,2002:", "!!")


def unsupported_tag(tag: str) -> Msg:
    return (
        f"YAML tag {_short_tag(tag)} is not supported",
        "remove the tag and write a plain value",
    )


def bad_tagged_value(tag: str) -> Msg:
    return (f"this value does not fit its tag {_short_tag(tag)}", "remove the tag")


# --- environment and secrets ---------------------------------------------------------


def env_not_set(name: str) -> Msg:
    return (
        f"environment variable {name} is not set",
        f"export {name}=... before starting; secrets never go in the YAML",
    )


def bad_env_name(name: str) -> Msg:
    return (
        f"'${{{name}}}' is not a valid environment variable reference",
        "write ${NAME} with letters, digits and _ only, e.g. ${DISCORD_TOKEN}",
    )


def literal_secret(key: str, variable: str) -> Msg:
    return (
        f"{key} is written directly in the YAML",
        f"write ${{{variable}}} and set it in the environment; secrets never go in the YAML",
    )


# --- keys and values (pydantic errors in merchant words) -----------------------------


def unknown_key(key: str, where: str, suggestion: str | None, allowed: Iterable[str]) -> Msg:
    if suggestion:
        return (f"unknown key '{key}' in {where}", f"did you mean '{suggestion}'?")
    return (f"unknown key '{key}' in {where}", "allowed keys: " + ", ".join(allowed))


def missing_key(key: str, where: str, example: str) -> Msg:
    return (f"missing required key '{key}' in {where}", f"add {example}")


# `label` below is how the value is named, already quoted: 'price' or entry 2 of 'days'.


def empty_block(label: str, key: str) -> Msg:
    return (f"{label} is empty", f"write its keys on the lines below {key}:, indented")


def wrong_type(label: str, expected: str, got: str, example: str | None) -> Msg:
    return (f"{label} should be {expected}, not {got}", example or f"write {expected}")


def empty_text(label: str) -> Msg:
    return (f"{label} is empty", "write some text, or remove the key")


def text_too_long(label: str, length: int | None, limit: object) -> Msg:
    size = f"{length} characters" if length is not None else "too long"
    return (f"{label} is {size}; at most {limit} are allowed", "shorten it")


def too_few(key: str, label: str, count: int | None, minimum: object) -> Msg:
    if key == "options":
        return (
            f"a poll needs at least 2 options; this one has {count}",
            "add another option under options:",
        )
    if key == "questions":
        return ("the question list is empty", "add at least one question: - text: ...")
    if key == "channels":
        return ("'channels' is empty", "list at least one channel defined under channels:")
    return (f"{label} needs at least {minimum} entries", "add more entries")


def out_of_range(label: str, relation: str, bound: object) -> Msg:
    if isinstance(bound, float) and bound.is_integer():
        bound = int(bound)
    return (f"{label} must be {relation} {bound}", f"write a value {relation} {bound}")


def not_allowed(label: str, value: str | None, allowed: list[str], suggestion: str | None) -> Msg:
    shown = f"'{value}' is not allowed for {label}" if value else f"{label} has a wrong value"
    choices = "allowed: " + ", ".join(allowed)
    return (shown, f"did you mean '{suggestion}'? {choices}" if suggestion else choices)


def _about(value: str | None, claim: str, unnamed: str | None = None) -> str:
    """ "'7 days' is not a duration", or without the value (a secret, or none given):
    "not a duration"."""
    if value:
        return f"'{value}' {claim}"
    return unnamed or claim.removeprefix("is ")


def bad_id(value: str | None, example: str) -> Msg:
    shown = _about(value, "is not a valid id")
    return (shown, f"{ID_RULE}, e.g. {example}")


def bad_currency(value: str | None) -> Msg:
    shown = _about(value, "is not a currency code")
    return (shown, "use a 3-letter code in capitals, e.g. EUR or USD")


BAD_LINK: Msg = (
    "a link must start with https://",
    "write the full address, e.g. https://example.com/item",
)


def bad_time_zone(value: str | None, suggestion: str | None) -> Msg:
    shown = f"unknown time zone '{value}'" if value else "unknown time zone"
    if suggestion:
        return (shown, f"did you mean '{suggestion}'?")
    return (shown, "use a name like Europe/Paris, America/New_York or UTC")


def bad_locale(value: str | None) -> Msg:
    shown = f"unsupported language '{value}'" if value else "unsupported language"
    supported = ", ".join(LANGUAGES)
    return (shown, f"supported: {supported}, or a region of one such as fr_CA or en_GB")


def bad_datetime(value: str | None) -> Msg:
    shown = _about(value, "is not a date and time")
    return (shown, "write the store's local time as YYYY-MM-DD HH:MM, e.g. 2026-03-01 09:00")


def impossible_datetime(value: str | None) -> Msg:
    shown = _about(value, "is not a real date")
    return (shown, "check the day and the month, e.g. 2026-02-28 09:00")


def bad_duration(value: str | None) -> Msg:
    shown = _about(value, "is not a duration")
    return (shown, "write a number and a unit: 30m, 12h, 7d or 2w")


def not_finite(label: str) -> Msg:
    return (f"{label} is too large a number", "write an ordinary number, e.g. 89.00")


def duration_too_long(value: str | None) -> Msg:
    return (_about(value, "is too long"), "a poll lasts at most 3650 days (10 years)")


def year_out_of_range(value: str | None) -> Msg:
    return (_about(value, "is too far away"), "use a year from 1970 to 9000")


def bad_time_of_day(value: str | None) -> Msg:
    shown = _about(value, "is not a time of day")
    return (shown, 'write hours:minutes in 24-hour time, e.g. at: "10:00"')


def bad_cron(value: str | None) -> Msg:
    shown = _about(value, "is not a valid cron expression")
    return (shown, 'use five fields: minute hour day month weekday, e.g. "0 10 * * 1-5"')


def cron_never(value: str | None) -> Msg:
    shown = _about(value, "never fires", unnamed="this cron expression never fires")
    return (shown, 'check the day and month fields, e.g. "0 10 * * 1-5" for weekdays at 10:00')


def cron_twice_a_day(value: str | None) -> Msg:
    shown = _about(value, "fires more than once a day")
    hint = 'a prompt posts at most once a day per channel: give one time, e.g. "0 10 * * *"'
    return (shown, hint)


CLOSES_AND_DURATION: Msg = ("give either closes or duration, not both", "remove one of them")
CRON_AND_AT: Msg = ("give either cron or at/days, not both", "remove cron, or remove at and days")
NO_SCHEDULE: Msg = (
    "this prompt has no schedule",
    'add at: "10:00" (optionally days: [mon, wed, fri]) or cron: "0 10 * * 1-5"',
)


def leaning_over_confidence(leaning: object, confidence: object) -> Msg:
    return (
        f"leaning_confidence is {leaning} but confidence is only {confidence}",
        "write a leaning_confidence at most the confidence, e.g. leaning_confidence: 0.75",
    )


def max_choices_over_options(max_choices: object, options: object) -> Msg:
    return (
        f"max_choices is {max_choices} but the poll has only {options} options",
        f"lower max_choices to at most {options}, or add options",
    )


def invalid_value(label: str) -> Msg:
    return (f"{label} has a value that cannot be used", "check the spelling of the value")


# --- Discord shards --------------------------------------------------------------------

SHARD_IDS_WITHOUT_COUNT: Msg = (
    "shard_ids needs shard_count: the total number of shards of all processes together",
    "add shard_count: (e.g. 4), or set ENGAGEBOT_DISCORD_SHARD_COUNT",
)


def shard_ids_too_high(ids: list[int], count: int, count_variable: str | None) -> Msg:
    """count_variable: the environment variable shard_count came from, if it did."""
    shown = ", ".join(str(i) for i in ids)
    source = f" (from {count_variable})" if count_variable else ""
    return (
        f"shard {shown} does not exist with shard_count {count}{source}",
        f"shard ids run from 0 to {count - 1}; raise shard_count or lower the ids",
    )


def shard_ids_repeated(ids: list[int]) -> Msg:
    shown = ", ".join(str(i) for i in ids)
    return (f"shard {shown} is listed twice in shard_ids", "list each shard once")


def bad_shard_env(variable: str, wanted: str) -> Msg:
    return (
        f"{variable} must be {wanted}",
        f"e.g. {variable}=4" if variable.endswith("COUNT") else f"e.g. {variable}=0,1",
    )


# --- whole-config checks ---------------------------------------------------------------


def duplicate_id(kind: str, value: str, first: str) -> Msg:
    return (
        f"{kind} id '{value}' is used twice",
        f"first used at {first}; give each {kind} its own id",
    )


def not_after(later: str, earlier: str) -> Msg:
    return (
        f"{later} is not after {earlier}",
        f"set {later} to a later date and time than {earlier}",
    )


def unknown_channel(name: str | None, suggestion: str | None, defined: Iterable[str]) -> Msg:
    """name is None when it came from the environment: never echoed."""
    names = sorted(defined)
    if name is None:
        listed = ", ".join(names) or "none yet"
        return (
            "unknown channel (the name comes from the environment)",
            f"channels defined under channels: {listed}",
        )
    if suggestion:
        return (f"unknown channel '{name}'", f"did you mean '{suggestion}'?")
    if names:
        return (f"unknown channel '{name}'", "channels defined under channels: " + ", ".join(names))
    return (
        f"unknown channel '{name}'",
        f"define it under channels:, e.g. channels: {{{name}: {{}}}}",
    )


def channel_unreachable(name: str, enabled: Iterable[str]) -> Msg:
    platforms = " or ".join(enabled)
    return (
        f"channel '{name}' has no id on an enabled platform ({platforms})",
        f"add e.g. {next(iter(enabled), 'discord')}: <channel id> under channels: {name}",
    )


def image_missing(ref: str) -> Msg:
    return (
        f"image file '{ref}' not found",
        "paths are relative to the file that names them; check the spelling",
    )


IMAGE_HTTP: Msg = ("image URLs must use https://", "write https:// instead of http://")


def image_scheme(scheme: str) -> Msg:
    return (
        f"image address scheme '{scheme}:' is not supported",
        "use an https:// URL or a file path relative to this file",
    )


def image_not_file(ref: str) -> Msg:
    return (f"image '{ref}' is not a file", "name an image file such as images/item.png")


def image_outside(ref: str) -> Msg:
    return (
        f"image '{ref}' is outside the config folder",
        "keep images in the folder that holds the config (e.g. images/item.png); "
        "symbolic links must point inside it too",
    )


def image_not_image(ref: str) -> Msg:
    return (
        f"'{ref}' is not a PNG, JPEG, GIF or WebP image",
        "export it as .png or .jpg; the file's contents are checked, not its name",
    )


def image_too_large(ref: str, size_mib: float, limit_mib: float, platform: str) -> Msg:
    name = PLATFORM_NAMES.get(platform, platform)
    return (
        f"image '{ref}' is {size_mib:.1f} MiB; {name} accepts at most {limit_mib:g} MiB",
        "make it smaller (e.g. 1600 px wide, JPEG quality 85)",
    )


def image_unreadable(ref: str) -> Msg:
    return (f"image '{ref}' cannot be read", "check that the bot may read this file")


def too_many_options(count: int, platform: str, limit: int) -> Msg:
    name = PLATFORM_NAMES.get(platform, platform)
    return (
        f"poll has {count} options; {name} messages allow at most {limit}",
        f"remove options, split the poll, or disable the {platform} platform for its channels",
    )


def label_too_long(length: int, platform: str, limit: int) -> Msg:
    name = PLATFORM_NAMES.get(platform, platform)
    return (
        f"label is {length} characters; {name} buttons allow at most {limit}",
        f"shorten it or disable the {platform} platform for this channel",
    )


def web_needs_token(host: str) -> Msg:
    return (
        f"the web host listens on {host}, reachable from other machines, but has no token",
        "add token: ${ENGAGEBOT_WEB_TOKEN} under web:, or set host: 127.0.0.1",
    )


SLACK_HTTP_NEEDS_SECRET: Msg = (
    "slack mode http needs signing_secret",
    "add signing_secret: ${SLACK_SIGNING_SECRET} under platforms: slack:",
)
SLACK_SOCKET_NEEDS_APP_TOKEN: Msg = (
    "slack mode socket needs app_token",
    "add app_token: ${SLACK_APP_TOKEN} under platforms: slack:, or set mode: http",
)


def platform_skipped(platform: str, variables: Iterable[str]) -> str:
    names = list(variables)
    unset = " and ".join(names) + (" is" if len(names) == 1 else " are") + " not set"
    return (
        f"{platform}: skipped, {unset}; set {'it' if len(names) == 1 else 'them'} to run on "
        f"{PLATFORM_NAMES.get(platform, platform)}, or write enabled: false under "
        f"platforms: {platform}:"
    )


def console_one_process(why: str) -> Msg:
    """A warning (the config still runs): the console serves the one process it runs in."""
    return (
        f"warning: the console serves only the process it runs in, and {why} lets several "
        "processes run this bot",
        "run several processes with enabled: false under platforms: console:, and use "
        "the console with one process",
    )


def shards_need_postgres(connected: int, total: int) -> Msg:
    """A warning: the rest of the shards need other processes, which need PostgreSQL."""
    return (
        f"warning: this process connects {connected} of {total} Discord shards, and a SQLite "
        "database serves one process: servers on the other shards would get no answer",
        "split shards across processes on a PostgreSQL database (README: Running at scale), "
        "or leave out shard_ids so this process connects them all",
    )


NO_PLATFORM: Msg = (
    "no platform is enabled",
    "remove enabled: false from platforms: console:, or enable discord or slack",
)


def bad_discord_token(bot_prefix: bool) -> Msg:
    if bot_prefix:
        return (
            "platforms.discord.token starts with 'Bot '",
            "set DISCORD_TOKEN to the token alone; engagebot adds 'Bot ' itself",
        )
    return (
        "platforms.discord.token does not look like a Discord bot token",
        "copy it again from the Developer Portal: your app > Bot > Reset Token "
        "(three parts separated by dots)",
    )


def bad_slack_token(key: str, wanted: str, found: tuple[str, str] | None, swap: bool) -> Msg:
    """found: (prefix, what it is) the value starts with, e.g. ("xapp-", "an app-level
    token"); the value itself is never shown. swap: the other key wants this one."""
    where = f"platforms.slack.{key}"
    what = f"looks like {found[1]} ({found[0]}…)" if found else f"does not start with {wanted}"
    other = "app_token" if key == "bot_token" else "bot_token"
    if swap:
        return (f"{where} {what}", f"swap the values of {key} and {other}")
    source = (
        "OAuth & Permissions > Bot User OAuth Token"
        if key == "bot_token"
        else "Basic Information > App-Level Tokens (scope connections:write)"
    )
    return (f"{where} {what}", f"use the {wanted}… token from your Slack app's {source}")


def bad_endpoint(key: str, value: str | None, schemes: tuple[str, ...]) -> Msg:
    """value is None when it came from the environment: never echoed."""
    what = f"'{value}'" if value is not None else "this value (from the environment)"
    return (
        f"{key}: {what} is not a {' or '.join(s + '://' for s in schemes)} address",
        f"write e.g. {key}: {schemes[0]}://proxy.example.com (no user name or password in it), "
        "or remove the line to use the platform's own",
    )


def bad_listen(key: str, value: str | None) -> Msg:
    what = f"'{value}'" if value is not None else "this value (from the environment)"
    example = "host: 0.0.0.0" if key == "host" else "path: /slack/events"
    return (f"{key}: {what} is not a valid {key}", f"write e.g. {example}")


def bad_platform_id(platform: str, value: str | None) -> str:
    """value is None when it came from the environment: never echo it."""
    what = repr(value) if value is not None else "this value (from the environment)"
    return f"{what} is not a {platform.capitalize()} id"


BAD_DATABASE: Msg = (
    "the database URL is not supported",
    "write sqlite:///data/engagebot.db (a path relative to this file) or "
    "postgresql://user@host:5432/engagebot",
)
