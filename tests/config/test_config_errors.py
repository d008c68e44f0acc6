"""Broken merchant configs: each must give exact one-line file:line:col messages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from textwrap import dedent

import pytest

from bot.config import load_config
from bot.errors import ConfigError, ConfigProblem
from tests.config.tokens import DISCORD_TOKEN

HEAD = """\
store:
  name: Velo Corner
  timezone: Europe/Paris
channels:
  community: {}
"""

POLL = """\
polls:
  - id: helmets
    question: Which helmet?
    channels: [community]
    options:
      - id: aero
        label: AeroLite
      - id: urban
        label: Urban Shell
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Relative paths keep the expected messages short: bot.yaml:3:5: ...
    monkeypatch.chdir(tmp_path)


def write(name: str, text: str) -> None:
    path = Path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dedent(text), encoding="utf-8")


def problems(
    text: str | None = None, target: str = "bot.yaml", env: Mapping[str, str] | None = None
) -> list[str]:
    if text is not None:
        write(target, text)
    with pytest.raises(ConfigError) as info:
        load_config(target, env=env or {})
    return [str(p) for p in info.value.problems]


def test_unknown_key_suggests_the_right_one() -> None:
    text = HEAD + POLL.replace("label: AeroLite", "lable: AeroLite")
    assert problems(text) == [
        "bot.yaml:11:9: missing required key 'label' in poll option (add label: AeroLite MIPS)",
        "bot.yaml:12:9: unknown key 'lable' in poll option (did you mean 'label'?)",
    ]


def test_bad_time_zone_suggests_a_real_one() -> None:
    text = HEAD.replace("Europe/Paris", "Europe/Pari") + POLL
    assert problems(text) == [
        "bot.yaml:3:13: unknown time zone 'Europe/Pari' (did you mean 'Europe/Paris'?)"
    ]


def test_closes_before_opens() -> None:
    text = HEAD + POLL.replace(
        "    options:", "    opens: 2026-03-08 09:00\n    closes: 2026-03-01 18:00\n    options:"
    )
    assert problems(text) == [
        "bot.yaml:11:13: closes is not after opens (set closes to a later date and time than opens)"
    ]


def test_duplicate_poll_id_across_the_file() -> None:
    text = HEAD + POLL + POLL.replace("polls:\n", "").replace("Which helmet?", "Again?")
    assert problems(text) == [
        "bot.yaml:15:9: poll id 'helmets' is used twice "
        "(first used at line 7; give each poll its own id)"
    ]


def test_duplicate_option_id() -> None:
    text = HEAD + POLL.replace("id: urban", "id: aero")
    assert problems(text) == [
        "bot.yaml:13:13: option id 'aero' is used twice "
        "(first used at line 11; give each option its own id)"
    ]


def test_missing_image_file() -> None:
    text = HEAD + POLL.replace("label: AeroLite", "label: AeroLite\n        image: images/aero.png")
    assert problems(text) == [
        "bot.yaml:13:16: image file 'images/aero.png' not found "
        "(paths are relative to the file that names them; check the spelling)"
    ]


def test_http_image_url_is_rejected() -> None:
    text = HEAD + POLL.replace(
        "label: AeroLite", "label: AeroLite\n        image: http://shop.example/a.png"
    )
    assert problems(text) == [
        "bot.yaml:13:16: image URLs must use https:// (write https:// instead of http://)"
    ]


DISCORD = """\
platforms:
  discord:
    token: ${DISCORD_TOKEN}
channels:
  community:
    discord: "123456789012345678"
"""


def test_unset_env_var_for_enabled_platform() -> None:
    text = HEAD.replace("channels:\n  community: {}\n", "") + DISCORD + POLL
    assert problems(text) == [
        "bot.yaml:6:12: environment variable DISCORD_TOKEN is not set "
        "(export DISCORD_TOKEN=... before starting; secrets never go in the YAML)"
    ]


def test_too_many_options_for_discord() -> None:
    options = "".join(f"      - {{id: o{i}, label: Option {i}}}\n" for i in range(10))
    text = (
        HEAD.replace("channels:\n  community: {}\n", "")
        + DISCORD
        + dedent(
            """\
        polls:
          - id: big
            question: Which one?
            channels: [community]
            options:
        """
        )
        + options
    )
    assert problems(text, env={"DISCORD_TOKEN": DISCORD_TOKEN}) == [
        "bot.yaml:14:5: poll has 10 options; Discord messages allow at most 9 "
        "(remove options, split the poll, or disable the discord platform for its channels)"
    ]


def test_label_over_slack_limit() -> None:
    label = "L" * 78  # fits Discord (80), not Slack (75)
    text = dedent(
        f"""\
        store:
          name: Velo Corner
        platforms:
          slack:
            bot_token: ${{SLACK_BOT_TOKEN}}
            app_token: ${{SLACK_APP_TOKEN}}
          discord:
            token: ${{DISCORD_TOKEN}}
        channels:
          community: {{slack: C0123, discord: "42"}}
        polls:
          - id: helmets
            question: Which helmet?
            channels: [community]
            options:
              - id: aero
                label: {label}
              - id: urban
                label: Urban Shell
        """
    )
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "DISCORD_TOKEN": DISCORD_TOKEN}
    assert problems(text, env=env) == [
        "bot.yaml:17:16: label is 78 characters; Slack buttons allow at most 75 "
        "(shorten it or disable the slack platform for this channel)"
    ]


def test_unknown_channel_suggests_a_defined_one() -> None:
    text = HEAD + POLL.replace("[community]", "[comunity]")
    assert problems(text) == [
        "bot.yaml:9:16: unknown channel 'comunity' (did you mean 'community'?)"
    ]


def test_channel_without_id_on_the_only_enabled_platform() -> None:
    text = (
        dedent(
            """\
        store: {name: Velo Corner}
        platforms:
          discord: {token: "${DISCORD_TOKEN}"}
        channels:
          community: {slack: C0123}
        """
        )
        + POLL
    )
    assert problems(text, env={"DISCORD_TOKEN": DISCORD_TOKEN}) == [
        "bot.yaml:5:3: channel 'community' has no id on an enabled platform (discord) "
        "(add e.g. discord: <channel id> under channels: community)"
    ]


def test_bad_duration() -> None:
    text = HEAD + POLL.replace("    options:", "    duration: 7 days\n    options:")
    assert problems(text) == [
        "bot.yaml:10:15: '7 days' is not a duration (write a number and a unit: 30m, 12h, 7d or 2w)"
    ]


def test_bad_date() -> None:
    text = HEAD + POLL.replace("    options:", "    closes: 2026-03-08\n    options:")
    assert problems(text) == [
        "bot.yaml:10:13: '2026-03-08' is not a date and time "
        "(write the store's local time as YYYY-MM-DD HH:MM, e.g. 2026-03-01 09:00)"
    ]


def test_impossible_date() -> None:
    text = HEAD + POLL.replace("    options:", "    opens: 2026-02-30 09:00\n    options:")
    assert problems(text) == [
        "bot.yaml:10:12: '2026-02-30 09:00' is not a real date "
        "(check the day and the month, e.g. 2026-02-28 09:00)"
    ]


def test_bad_id_suggests_a_valid_one() -> None:
    text = HEAD + POLL.replace("id: helmets", "id: Spring Helmets!")
    assert problems(text) == [
        "bot.yaml:7:9: 'Spring Helmets!' is not a valid id (use 1-32 lowercase letters, "
        "digits, '-' or '_', starting with a letter or digit, e.g. spring-helmets)"
    ]


def test_one_option_only() -> None:
    text = HEAD + POLL.replace("      - id: urban\n        label: Urban Shell\n", "")
    assert problems(text) == [
        "bot.yaml:11:7: a poll needs at least 2 options; this one has 1 "
        "(add another option under options:)"
    ]


def test_max_choices_over_options() -> None:
    text = HEAD + POLL.replace("    options:", "    max_choices: 3\n    options:")
    assert problems(text) == [
        "bot.yaml:10:18: max_choices is 3 but the poll has only 2 options "
        "(lower max_choices to at most 2, or add options)"
    ]


PROMPT = """\
prompts:
  - id: daily
    channels: [community]
    at: "10:00"
    questions:
      - text: What was your best ride this week?
"""


def test_bad_cron_in_prompt() -> None:
    text = HEAD + PROMPT.replace('at: "10:00"', 'cron: "0 25 * * *"')
    assert problems(text) == [
        "bot.yaml:9:11: '0 25 * * *' is not a valid cron expression "
        '(use five fields: minute hour day month weekday, e.g. "0 10 * * 1-5")'
    ]


def test_empty_question_list() -> None:
    text = HEAD + PROMPT.replace(
        "    questions:\n      - text: What was your best ride this week?\n", "    questions: []\n"
    )
    assert problems(text) == [
        "bot.yaml:10:16: the question list is empty (add at least one question: - text: ...)"
    ]


def test_prompt_without_schedule() -> None:
    text = HEAD + PROMPT.replace('    at: "10:00"\n', "")
    assert problems(text) == [
        "bot.yaml:7:5: this prompt has no schedule "
        '(add at: "10:00" (optionally days: [mon, wed, fri]) or cron: "0 10 * * 1-5")'
    ]


def test_bad_weekday_suggests_the_short_name() -> None:
    text = HEAD + PROMPT.replace('at: "10:00"', 'at: "10:00"\n    days: [mon, tuesday]')
    assert problems(text) == [
        "bot.yaml:10:17: 'tuesday' is not allowed for entry 2 of 'days' "
        "(did you mean 'tue'? allowed: mon, tue, wed, thu, fri, sat, sun)"
    ]


def test_yaml_syntax_error_is_one_problem() -> None:
    text = HEAD + POLL.replace("question: Which helmet?", "question: Which: helmet?")
    assert problems(text) == [
        "bot.yaml:8:20: unexpected ':' here (check this line's indentation, "
        "or put quotes around text that contains ': ')"
    ]


def test_unquoted_star_in_cron() -> None:
    text = HEAD + PROMPT.replace('at: "10:00"', "cron: * 10 * * *")
    assert problems(text) == [
        'bot.yaml:9:12: text starting with * or & must be in quotes (e.g. cron: "0 10 * * *")'
    ]


def test_duplicate_key() -> None:
    text = HEAD + POLL.replace("label: Urban Shell", "label: Urban Shell\n        label: Urban")
    assert problems(text) == [
        "bot.yaml:15:9: key 'label' appears twice in the same block "
        "(it is first given on line 14; keep only one)"
    ]


def test_tab_indentation() -> None:
    text = HEAD.replace("  timezone:", "\ttimezone:") + POLL
    assert problems(text) == [
        "bot.yaml:3:1: a tab is used for indentation (indent with spaces only (2 per level))"
    ]


def test_misaligned_indentation() -> None:
    text = HEAD.replace("  timezone:", " timezone:") + POLL
    assert problems(text) == [
        "bot.yaml:3:2: the indentation of this line does not match the lines above "
        "(line up keys of the same block with the same number of spaces)"
    ]


def test_missing_required_key() -> None:
    text = HEAD + POLL.replace("    question: Which helmet?\n", "")
    assert problems(text) == [
        "bot.yaml:7:5: missing required key 'question' in poll "
        "(add question: Which helmet should we stock?)"
    ]


def test_missing_store() -> None:
    assert problems("channels: {}\n") == [
        "bot.yaml:1:1: missing required key 'store' in the top level of the config "
        "(add store: with name: your shop's name)"
    ]


def test_wrong_types() -> None:
    text = HEAD + POLL.replace("label: Urban Shell", "label: true").replace(
        "    options:", "    allow_change: maybe\n    options:"
    )
    assert problems(text) == [
        "bot.yaml:10:19: 'allow_change' should be true or false, not 'maybe' (write true or false)",
        "bot.yaml:15:16: 'label' should be text, not true/false "
        '(put it in quotes: label: "true")',
    ]


def test_several_problems_in_one_file_are_all_reported() -> None:
    text = dedent(
        """\
        store:
          name: Velo Corner
          timezone: Europe/Pari
        channels:
          community: {}
        polls:
          - id: helmets
            question: Which helmet?
            channels: [comunity]
            options:
              - {id: aero, lable: AeroLite}
              - {id: urban, label: Urban}
          - id: gloves
            question: Which gloves?
            channels: [community]
            results: lve
            options:
              - {id: a, label: A}
              - {id: b, label: B}
        prompts:
          - id: daily
            channels: [community]
            questions: [{text: Hi}]
        """
    )
    assert problems(text) == [
        "bot.yaml:3:13: unknown time zone 'Europe/Pari' (did you mean 'Europe/Paris'?)",
        "bot.yaml:9:16: unknown channel 'comunity' (did you mean 'community'?)",
        "bot.yaml:11:9: missing required key 'label' in poll option (add label: AeroLite MIPS)",
        "bot.yaml:11:20: unknown key 'lable' in poll option (did you mean 'label'?)",
        "bot.yaml:16:14: 'lve' is not allowed for 'results' (did you mean 'live'? "
        "allowed: live, on_close)",
        "bot.yaml:21:5: this prompt has no schedule "
        '(add at: "10:00" (optionally days: [mon, wed, fri]) or cron: "0 10 * * 1-5")',
    ]


def test_problem_in_poll_file_of_a_directory_points_at_that_file() -> None:
    write("shop/bot.yaml", HEAD)
    write(
        "shop/polls/gloves.yaml",
        """\
        id: gloves
        question: Which gloves?
        channels: [community]
        duration: 2 weeks
        options:
          - {id: a, label: Winter}
          - {id: b, label: Summer, image: pics/summer.png}
        """,
    )
    write("shop/polls/helmets.yaml", POLL.replace("polls:\n", ""))
    assert problems(target="shop") == [
        "shop/polls/gloves.yaml:4:11: '2 weeks' is not a duration "
        "(write a number and a unit: 30m, 12h, 7d or 2w)",
        "shop/polls/gloves.yaml:7:35: image file 'pics/summer.png' not found "
        "(paths are relative to the file that names them; check the spelling)",
    ]


def test_duplicate_poll_id_across_files_names_the_first_file() -> None:
    write("shop/bot.yaml", HEAD + POLL)
    write("shop/polls/again.yaml", POLL.replace("polls:\n", ""))
    assert problems(target="shop") == [
        "shop/polls/again.yaml:1:7: poll id 'helmets' is used twice "
        "(first used at shop/bot.yaml:7:9; give each poll its own id)"
    ]


def test_empty_poll_file() -> None:
    write("shop/bot.yaml", HEAD + POLL)
    write("shop/polls/draft.yaml", "# nothing yet\n")
    assert problems(target="shop") == [
        "shop/polls/draft.yaml:1:1: this poll file is empty "
        "(write a poll (id: ..., ...) or delete the file)"
    ]


def test_secrets_are_never_echoed() -> None:
    secret = "xoxb-1234567890-SECRET-abcdef"
    text = (
        dedent(
            f"""\
        store: {{name: Velo Corner}}
        platforms:
          slack:
            bot_token: {secret}
            app_token: ${{SLACK_APP_TOKEN}}
            signing_secret: [{secret}]
            mode: ${{SLACK_MODE}}
        channels:
          community: {{slack: C01}}
        """
        )
        + POLL
    )
    found = problems(text, env={"SLACK_APP_TOKEN": secret + "-app", "SLACK_MODE": secret})
    assert found == [
        "bot.yaml:4:16: bot_token is written directly in the YAML "
        "(write ${SLACK_BOT_TOKEN} and set it in the environment; secrets never go in the YAML)",
        "bot.yaml:5:16: platforms.slack.app_token looks like a bot token (xoxb-…) "
        "(swap the values of app_token and bot_token)",
        "bot.yaml:6:21: 'signing_secret' should be text, not a list "
        "(write text; put it in quotes if it starts with [ { - or contains ': ')",
        "bot.yaml:7:11: 'mode' has a wrong value (allowed: socket, http)",
    ]
    assert not any("SECRET" in line for line in found)


def test_literal_discord_token() -> None:
    head = HEAD.replace("community: {}", 'community: {discord: "42"}')
    text = head + "platforms:\n  discord:\n    token: abc.def.ghi\n" + POLL
    problem = load_problem_fields(text)
    assert problem == ConfigProblem(
        "bot.yaml",
        8,
        12,
        "token is written directly in the YAML",
        "write ${DISCORD_TOKEN} and set it in the environment; secrets never go in the YAML",
    )


def load_problem_fields(text: str) -> ConfigProblem:
    write("bot.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_config("bot.yaml", env={})
    (problem,) = info.value.problems
    return problem


def test_slack_socket_mode_needs_app_token() -> None:
    text = (
        dedent(
            """\
        store: {name: Velo Corner}
        platforms:
          slack:
            bot_token: ${SLACK_BOT_TOKEN}
        channels:
          community: {slack: C01}
        """
        )
        + POLL
    )
    assert problems(text, env={"SLACK_BOT_TOKEN": "xoxb-1"}) == [
        "bot.yaml:3:3: slack mode socket needs app_token "
        "(add app_token: ${SLACK_APP_TOKEN} under platforms: slack:, or set mode: http)"
    ]


def test_no_platform_enabled() -> None:
    text = HEAD + "platforms:\n  console: {enabled: false}\n" + POLL
    assert problems(text) == [
        "bot.yaml:6:1: no platform is enabled "
        "(remove enabled: false from platforms: console:, or enable discord or slack)"
    ]


def test_missing_file_and_folder_without_bot_yaml() -> None:
    assert problems(target="nope.yaml") == [
        "nope.yaml:1:1: config file or folder not found "
        "(check the path, or run engagebot from the folder that holds config/bot.yaml)"
    ]
    Path("empty").mkdir()
    assert problems(target="empty") == [
        "empty/bot.yaml:1:1: this config folder has no bot.yaml "
        "(create bot.yaml in it, starting with store: and name: your shop's name)"
    ]


def test_broken_main_file_still_checks_poll_files() -> None:
    write("shop/bot.yaml", HEAD.replace("  timezone:", "\ttimezone:"))
    write("shop/polls/helmets.yaml", POLL.replace("polls:\n", "").replace("helmets", "Helmets"))
    assert problems(target="shop") == [
        "shop/bot.yaml:3:1: a tab is used for indentation (indent with spaces only (2 per level))",
        "shop/polls/helmets.yaml:1:7: 'Helmets' is not a valid id (use 1-32 lowercase letters, "
        "digits, '-' or '_', starting with a letter or digit, e.g. helmets)",
    ]


def test_unset_database_variable() -> None:
    text = HEAD + POLL + "database: ${DATABASE_URL}\n"
    assert problems(text) == [
        "bot.yaml:15:11: environment variable DATABASE_URL is not set "
        "(export DATABASE_URL=... before starting; secrets never go in the YAML)"
    ]


def test_file_not_saved_as_utf8() -> None:
    Path("bot.yaml").write_bytes(b"store:\n  name: Caf\xe9 du V\xe9lo\n")
    assert problems() == [
        "bot.yaml:2:12: the file is not UTF-8 text (save it as UTF-8 in your editor)"
    ]


def test_prompt_with_bad_time_zone() -> None:
    text = HEAD + PROMPT.replace('at: "10:00"', 'at: "10:00"\n    timezone: America/New_Yrok')
    assert problems(text) == [
        "bot.yaml:10:15: unknown time zone 'America/New_Yrok' (did you mean 'America/New_York'?)"
    ]


def test_prompt_with_unknown_channel() -> None:
    text = HEAD + PROMPT.replace("channels: [community]", "channels: [comunity]")
    assert problems(text) == [
        "bot.yaml:8:16: unknown channel 'comunity' (did you mean 'community'?)"
    ]


def test_cron_that_never_fires() -> None:
    text = HEAD + PROMPT.replace('at: "10:00"', 'cron: "0 10 30 2 *"')
    assert problems(text) == [
        "bot.yaml:9:11: '0 10 30 2 *' never fires "
        '(check the day and month fields, e.g. "0 10 * * 1-5" for weekdays at 10:00)'
    ]


def test_cron_that_fires_twice_a_day() -> None:
    text = HEAD + PROMPT.replace('at: "10:00"', 'cron: "0 10,18 * * *"')
    assert problems(text) == [
        "bot.yaml:9:11: '0 10,18 * * *' fires more than once a day "
        '(a prompt posts at most once a day per channel: give one time, e.g. "0 10 * * *")'
    ]


def test_postgres_urls_are_accepted_and_other_engines_refused() -> None:
    for url in ("postgresql://shop@db/shop", "postgres://shop:pw@db:5433/shop?pool=4"):
        write("bot.yaml", HEAD + f"database: {url}\n")
        assert load_config("bot.yaml", env={}).database_url == url
    assert problems(HEAD + "database: mysql://shop@db/shop\n") == [
        "bot.yaml:6:11: the database URL is not supported (write sqlite:///data/engagebot.db "
        "(a path relative to this file) or postgresql://user@host:5432/engagebot)"
    ]


def test_channel_names_written_where_platform_ids_belong() -> None:
    text = """\
    store: {name: Velo Corner}
    platforms:
      discord: {token: "${DISCORD_TOKEN}", guilds: [my-guild]}
    channels:
      community: {discord: general}
    """
    assert problems(text, env={"DISCORD_TOKEN": DISCORD_TOKEN}) == [
        "bot.yaml:3:49: 'my-guild' is not a Discord id "
        '(a Discord id is a number, e.g. "234567890123456789")',
        "bot.yaml:5:24: 'general' is not a Discord id "
        '(a Discord id is a number, e.g. "234567890123456789")',
    ]
