"""Each config key's description for the JSON Schema: the docstring written under the
key in its model (schema.py). Read only when `engagebot schema` asks for it; pydantic's
use_attribute_docstrings parsed every model's source at each start instead (a third of
the time the config models took to build)."""

from __future__ import annotations

import ast
import inspect
from functools import cache
from itertools import pairwise
from pathlib import Path


@cache
def key_docs(source: Path) -> dict[str, dict[str, str]]:
    """Class name → key → the string literal right below that key's annotation, cleaned
    like a docstring (as pydantic's use_attribute_docstrings reads it)."""
    tree = ast.parse(source.read_text(encoding="utf-8"))
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = dict(_documented_keys(node.body))
    return found


def _documented_keys(body: list[ast.stmt]) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for statement, following in pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            keys.append((statement.target.id, inspect.cleandoc(following.value.value)))
    return keys
