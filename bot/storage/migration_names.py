"""Each database records the name of every migration applied to it (engagebot_schema).
On open those names are checked against this build's files: a database made by another
build, whose migration 0006 was something else, would otherwise be taken as up to date
(a schema version is only a number) and used with tables this build does not expect."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from bot.errors import StorageError


class SchemaMismatch(StorageError):
    """The database's recorded migrations are not this build's: it is not opened."""


def check_names(
    database: str, recorded: Iterable[tuple[int, str]], expected: Mapping[int, str]
) -> None:
    """Raise SchemaMismatch for the lowest version whose recorded name differs from this
    build's file. Versions this build does not know are left to the newer-schema check."""
    for version, name in sorted(recorded):
        wanted = expected.get(version)
        if wanted is not None and wanted != name:
            raise SchemaMismatch(
                f"{database}: migration {version:04d} was recorded as {name!r}, but this "
                f"engagebot's migration {version:04d} is {wanted!r}: the database was made "
                "by another build of engagebot, and its tables may not be the ones this "
                "build expects, so it was not opened (nothing was changed). Restore a "
                "backup taken before that build used it, or point the config at a new "
                "database and fill it from a good one with `engagebot db copy --to URL`"
            )
