"""Loads a config file or folder into a LoadedConfig, or raises ConfigError listing
every problem found (with file:line:col) in one pass."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.config import messages
from bot.config.checks import (
    channel_maps_to,
    check_config,
    decide_platforms,
    image_limit,
    resolve_images,
    skipped_platforms,
)
from bot.config.env import EnvSubstitution, check_secrets
from bot.config.overrides import apply_overrides
from bot.config.schema import PollConfig, PromptConfig, Settings
from bot.config.validate import explain, validate_sections
from bot.config.yaml_source import Pos, TreeBuilder, compose
from bot.core.content import Image
from bot.errors import ConfigError, ConfigProblem
from bot.storage.urls import is_postgres, resolve_relative

log = logging.getLogger(__name__)

MAIN_FILE = "bot.yaml"
# Read no more than this per file: a shop config is a few kilobytes, and PyYAML needs
# seconds and hundreds of MB for a few MB of text.
MAX_FILE_MIB = 1
MAX_FILE_BYTES = MAX_FILE_MIB * 1024 * 1024
ITEM_FOLDERS = (("polls", "poll"), ("prompts", "prompt"))


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config plus what the rest of the bot needs to use it."""

    settings: Settings
    root: Path  # absolute folder the config lives in
    sources: tuple[Path, ...]  # absolute paths of every file read
    enabled_platforms: tuple[str, ...]  # in order console, discord, slack
    database_url: str  # relative sqlite paths already resolved against root
    # Platforms left out because secrets they need are not set: (platform, variables).
    skipped_platforms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    console_at: Pos | None = None  # where platforms: console: is written
    shards_at: Pos | None = None  # where platforms: discord: shard_ids (or shard_count) is

    @property
    def notices(self) -> list[str]:
        """One line per skipped platform, and a warning when the console is asked to run
        where several processes may (the database URL may come from the environment,
        so this is worked out from the final one)."""
        found = [messages.platform_skipped(name, names) for name, names in self.skipped_platforms]
        console = self.console_at if "console" in self.enabled_platforms else None
        split = self._split_shards
        if console is not None and is_postgres(self.database_url):
            warning = messages.console_one_process("a PostgreSQL database")
            found.append(str(console.problem(*warning)))
        elif console is not None and split is not None:
            warning = messages.console_one_process("connecting only some Discord shards")
            found.append(str(console.problem(*warning)))
        if split is not None and not is_postgres(self.database_url) and self.shards_at:
            found.append(str(self.shards_at.problem(*messages.shards_need_postgres(*split))))
        return found

    @property
    def _split_shards(self) -> tuple[int, int] | None:
        """(connected, total) when this process connects only some of the bot's Discord
        shards, so other processes must serve the rest."""
        discord = self.settings.platforms.discord
        if "discord" not in self.enabled_platforms or discord is None:
            return None
        shards = discord.shards
        if shards is None or discord.shard_count is None or len(shards) == discord.shard_count:
            return None
        return len(shards), discord.shard_count

    @property
    def zone(self) -> ZoneInfo:
        """The store's time zone."""
        return ZoneInfo(self.settings.store.timezone)

    def prompt_zone(self, prompt: PromptConfig) -> ZoneInfo:
        return ZoneInfo(prompt.timezone) if prompt.timezone else self.zone

    def poll(self, poll_id: str) -> PollConfig | None:
        return next((p for p in self.settings.polls if p.id == poll_id), None)

    def prompt(self, prompt_id: str) -> PromptConfig | None:
        return next((p for p in self.settings.prompts if p.id == prompt_id), None)

    def channel_id(self, channel: str, platform: str) -> str | None:
        """The channel's id on platform; the console falls back to the channel name."""
        config = self.settings.channels.get(channel)
        if config is None or not channel_maps_to(channel, config, platform):
            return None
        value: str | None = getattr(config, platform, None)
        return value if value is not None else channel

    def image(self, ref: str | None, relative_to: Path | None = None) -> Image | None:
        """An https URL as Image(url=); anything else as an absolute file path. Images
        from the config are stored absolute already, so relative_to is rarely needed."""
        if not ref:
            return None
        if "://" in ref:
            return Image(url=ref)
        base = relative_to or self.root
        if base.is_file():
            base = base.parent
        # The root goes along so the adapters can check the file again before upload.
        return Image(path=Path(os.path.abspath(base / ref)), root=self.root)


def load_config(
    path: str | os.PathLike[str],
    env: Mapping[str, str] | None = None,
    *,
    secrets_required: bool = True,
) -> LoadedConfig:
    """Read, check and return the config at path (a file, or a folder with bot.yaml).

    Raises ConfigError with every problem found, and nothing else whatever the files
    hold (the SIGHUP reload relies on it); file names in problems are shown the way the
    caller gave the path (relative stays relative). secrets_required=False for commands
    that never reach a platform (results, export...): unset platform secrets are then
    no problem, and no platform is left out for lacking them."""
    try:
        return _load(Path(path), env, secrets_required)
    except ConfigError:
        raise
    except Exception as exc:  # a bug of ours must not crash validate or the reload task
        log.debug("config check failed", exc_info=True)
        problem = ConfigProblem(str(path), 1, 1, *messages.unexpected(type(exc).__name__))
        raise ConfigError([problem]) from None


def _load(given: Path, env: Mapping[str, str] | None, secrets_required: bool) -> LoadedConfig:
    reader = _Reader(EnvSubstitution(os.environ if env is None else env))
    try:
        is_dir, is_file = given.is_dir(), given.is_file()
    except OSError:  # e.g. a folder on the way may not be listed
        raise ConfigError([ConfigProblem(str(given), 1, 1, *messages.UNREADABLE)]) from None
    if is_dir and given.suffix in (".yaml", ".yml") and not (given / MAIN_FILE).exists():
        raise ConfigError([ConfigProblem(str(given), 1, 1, *messages.is_a_folder(given.name))])
    if is_dir:
        root, data, root_ok = given, *reader.read_folder(given)
    elif is_file:
        root, data, root_ok = given.parent, *reader.read_main(given)
    else:
        raise ConfigError([ConfigProblem(str(given), 1, 1, *messages.FILE_NOT_FOUND)])
    smap = reader.builder.smap
    problems = reader.problems + reader.builder.problems + reader.env.problems
    _normalize(data)
    problems += apply_overrides(data, reader.env.env, smap)
    unset = reader.env.unset
    if not secrets_required:
        unset = [var for var in unset if var.path[:1] != ("platforms",)]
    skipped = skipped_platforms(data, unset) if root_ok else {}
    enabled = decide_platforms(data, skipped) if root_ok else None
    problems += check_secrets(data, unset, smap, enabled or ())
    problems += resolve_images(data, smap, Path(os.path.abspath(root)), image_limit(enabled))
    sections, found = validate_sections(data, smap, partial=not root_ok)
    problems += found
    problems += check_config(data, sections, smap, enabled)
    if problems or not root_ok or enabled is None:
        raise ConfigError(_ordered(problems, reader.files)) from None
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:  # not expected after the section checks; still positioned
        raise ConfigError([explain(e, (), data, smap) for e in exc.errors()]) from None
    root = Path(os.path.abspath(root))
    return LoadedConfig(
        settings=settings,
        root=root,
        sources=tuple(Path(os.path.abspath(f)) for f in reader.files),
        enabled_platforms=enabled,
        database_url=resolve_database_url(settings.database, root),
        skipped_platforms=tuple((name, tuple(names)) for name, names in skipped.items()),
        console_at=smap.keys.get(("platforms", "console")) or smap.value(("platforms",)),
        shards_at=smap.keys.get(("platforms", "discord", "shard_ids"))
        or smap.keys.get(("platforms", "discord", "shard_count"))
        or smap.value(("platforms",)),
    )


def resolve_database_url(url: str, root: Path) -> str:
    """sqlite:///data/x.db is relative to the config folder: sqlite:////abs/data/x.db."""
    return resolve_relative(url, root)


def default_config_path(cwd: Path | None = None) -> Path:
    """config/ when config/bot.yaml exists, else config/example.yaml if present."""
    folder = (cwd if cwd is not None else Path()) / "config"
    if (folder / MAIN_FILE).is_file():
        return folder
    if (folder / "example.yaml").is_file():
        return folder / "example.yaml"
    raise ConfigError([ConfigProblem(str(folder / MAIN_FILE), 1, 1, *messages.NO_CONFIG_FOUND)])


def json_schema() -> dict[str, object]:
    """JSON Schema of the single-file config, for editors (engagebot schema)."""
    schema: dict[str, object] = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    schema.update(Settings.model_json_schema())
    schema["title"] = "engagebot config"
    return schema


class _Reader:
    """Reads files into one data tree and one SourceMap, collecting problems."""

    def __init__(self, env: EnvSubstitution) -> None:
        self.env = env
        self.builder = TreeBuilder(env)
        self.problems: list[ConfigProblem] = []
        self.files: list[str] = []

    def read_main(self, file: Path) -> tuple[dict[object, object], bool]:
        """The main file's mapping, and whether it could be read as one."""
        node, readable = self._compose(file)
        self.builder.smap.fallback = Pos(str(file), 1, 1)
        if node is None:
            if readable:
                self.problems.append(ConfigProblem(str(file), 1, 1, *messages.EMPTY_CONFIG))
            return {}, False
        data = self.builder.build_root(node, str(file))
        if data is None and isinstance(node, MappingNode):  # too big: reported already
            return {}, False
        if not isinstance(data, dict):
            self.problems.append(Pos(str(file), 1, 1).problem(*messages.ROOT_NOT_MAPPING))
            return {}, False
        return data, True

    def read_folder(self, folder: Path) -> tuple[dict[object, object], bool]:
        """bot.yaml plus polls/*.yaml and prompts/*.yaml (one item or a list each)."""
        main = folder / MAIN_FILE
        if main.is_dir():
            raise ConfigError([ConfigProblem(str(main), 1, 1, *messages.is_a_folder(MAIN_FILE))])
        if not main.is_file():
            raise ConfigError([ConfigProblem(str(main), 1, 1, *messages.NO_BOT_YAML)])
        data, ok = self.read_main(main)
        for section, kind in ITEM_FOLDERS:
            items = data.setdefault(section, [])
            if items is None:
                items = data[section] = []
            if not isinstance(items, list):
                continue  # validation reports that the section is not a list
            files = (folder / section).glob("*.y*ml")
            for file in sorted(f for f in files if f.suffix in (".yaml", ".yml")):
                if file.name.startswith("."):  # editor backups and lock files
                    continue
                if not file.is_file() and not file.is_dir():  # a pipe would block forever
                    self.files.append(str(file))
                    self.problems.append(ConfigProblem(str(file), 1, 1, *messages.NOT_REGULAR))
                    continue
                self._read_items(file, section, kind, items)
        return data, ok

    def _read_items(self, file: Path, section: str, kind: str, items: list[object]) -> None:
        node, readable = self._compose(file)
        if node is None:
            if readable:
                self.problems.append(
                    ConfigProblem(str(file), 1, 1, *messages.empty_item_file(kind))
                )
            return
        node = _unwrap(node, section)
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        for item in nodes:
            if not isinstance(item, MappingNode):
                pos = Pos(str(file), item.start_mark.line + 1, item.start_mark.column + 1)
                self.problems.append(pos.problem(*messages.item_file_shape(kind)))
                continue
            items.append(self.builder.build_root(item, str(file), (section, len(items))))

    def _compose(self, file: Path) -> tuple[Node | None, bool]:
        """The file's root node (None if empty or broken), and whether it was readable
        without syntax problems (so None then means: empty)."""
        self.files.append(str(file))
        try:
            with file.open("rb") as stream:  # bounded: /dev/zero or 1 GB never get read
                raw = stream.read(MAX_FILE_BYTES + 1)
            if len(raw) > MAX_FILE_BYTES:
                self.problems.append(
                    ConfigProblem(str(file), 1, 1, *messages.file_too_large(MAX_FILE_MIB))
                )
                return None, False
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:  # e.g. saved as Windows-1252: point at the byte
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            self.problems.append(ConfigProblem(str(file), line, column, *messages.NOT_UTF8))
            return None, False
        except IsADirectoryError:
            self.problems.append(ConfigProblem(str(file), 1, 1, *messages.is_a_folder(file.name)))
            return None, False
        except OSError:
            self.problems.append(ConfigProblem(str(file), 1, 1, *messages.UNREADABLE))
            return None, False
        node, problems = compose(text, str(file))
        self.problems += problems
        return node, not problems


def _unwrap(node: Node, section: str) -> Node:
    """Accept 'polls:' around the items in polls/x.yaml, as copied from bot.yaml."""
    if isinstance(node, MappingNode) and len(node.value) == 1:
        key, value = node.value[0]
        if isinstance(key, ScalarNode) and key.value == section and isinstance(value, Node):
            return value
    return node


def _normalize(data: dict[object, object]) -> None:
    """An empty block (e.g. 'channels:' or 'console:' with nothing below) means an
    empty mapping or list, which is what a merchant writing it expects."""
    for key, empty in (("platforms", dict), ("channels", dict), ("polls", list), ("prompts", list)):
        if key in data and data[key] is None:
            data[key] = empty()
    for block in ("platforms", "channels"):
        inner = data.get(block)
        if isinstance(inner, dict):
            for name, value in inner.items():
                if value is None:
                    inner[name] = {}


def _ordered(problems: list[ConfigProblem], files: list[str]) -> list[ConfigProblem]:
    """Deduplicated, in file order then line and column."""
    rank = {name: i for i, name in enumerate(files)}
    unique = list(dict.fromkeys(problems))
    return sorted(unique, key=lambda p: (rank.get(p.file, len(rank)), p.line, p.column))
