"""`engagebot validate` warns, and still passes (exit 0), when the console is enabled
where several bot processes may run: on a PostgreSQL database (from the config or from
ENGAGEBOT_DATABASE_URL). The warning points at the console block."""

from __future__ import annotations

from tests.cli_runner import engagebot
from tests.conftest import BASIC_CONFIG, WriteConfig

PG = "postgresql://engagebot@db.internal:5432/shop"
SHOP = BASIC_CONFIG.format(
    timing="duration: 7d", max_choices=1, allow_change="true", results="live"
)
WARNING = (
    "warning: the console serves only the process it runs in, and a PostgreSQL database "
    "lets several processes run this bot (run several processes with enabled: false under "
    "platforms: console:, and use the console with one process)"
)


def test_console_on_postgresql_is_a_warning_at_the_console_block(
    write_config: WriteConfig,
) -> None:
    path = write_config(SHOP + f"database: {PG}\n")
    done = engagebot("validate", str(path))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"{path}: OK")
    assert lines[1:] == [f"{path}:6:3: {WARNING}"]  # platforms: / console: on line 6


def test_the_database_from_the_environment_counts(write_config: WriteConfig) -> None:
    path = write_config(SHOP)
    done = engagebot("validate", str(path), env={"ENGAGEBOT_DATABASE_URL": PG})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1:] == [f"{path}:6:3: {WARNING}"]


def test_no_warning_on_sqlite_or_without_the_console(write_config: WriteConfig) -> None:
    sqlite = write_config(SHOP, name="sqlite.yaml")
    done = engagebot("validate", str(sqlite))
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1, done.stdout

    discord_only = SHOP.replace(
        "    staff: [merchant]\n",
        '    enabled: false\n  discord:\n    token: ${DISCORD_TOKEN}\n    guilds: ["1"]\n',
    ).replace("    console: general\n", '    discord: "2"\n')
    no_console = write_config(discord_only + f"database: {PG}\n", name="off.yaml")
    token = "ZmFrZS1kaXNjb3Jk.ZmFrZQ.ZmFrZS1kaXNjb3JkLXRva2Vu"
    done = engagebot("validate", str(no_console), env={"DISCORD_TOKEN": token})
    assert done.returncode == 0, done.stderr
    assert "platforms: discord" in done.stdout and len(done.stdout.splitlines()) == 1
