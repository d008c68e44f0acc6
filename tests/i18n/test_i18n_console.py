"""The console platform in French end to end, and in a pseudo-locale that marks every
translated text: whatever is left unmarked escaped the catalog (the real CLI, run as a
subprocess)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from bot.i18n import PSEUDO_ENV
from tests.cli_runner import engagebot
from tests.conftest import REPO

SCRIPT = [
    "1",  # merchant votes
    "1",  # again: counted once
    "/as alice",
    "2",
    "/as bob",
    "2",
    "3",  # bob changes his mind
    "/as carol",
    "2",
    "9",  # no such option number
    "/vote",  # usage
    "/as",  # usage
    "/close spring-helmets",  # not staff
    "/frobnicate",  # unknown command
    "/as merchant",
    "/polls",
    "/results spring-helmets",
    "/results nope",
    "/open spring-helmets",  # already open
    "/help",
    "hello everyone",
    "/close spring-helmets",
    "1",  # too late
]


@pytest.fixture
def example(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "config", tmp_path / "config", ignore=shutil.ignore_patterns("data"))
    return tmp_path / "config" / "example.yaml"


def with_locale(path: Path, locale: str) -> Path:
    text = path.read_text(encoding="utf-8")
    text = text.replace("  currency: EUR\n", f"  currency: EUR\n  locale: {locale}\n", 1)
    text = re.sub(r"(?ms)^web:.*?(?=^\S)", "", text)  # no dashboard in these runs
    path.write_text(text, encoding="utf-8")
    return path


def run(config: Path, env: dict[str, str] | None = None) -> str:
    done = engagebot("run", "--config", str(config), stdin="\n".join(SCRIPT) + "\n", env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def test_french_through_the_console(example: Path) -> None:
    out = run(with_locale(example, "fr"))
    # The merchant's own texts as written; everything around them in French.
    assert "📊 Which helmet should we stock this spring?" in out
    assert "  1) AeroLite MIPS [aero] — 89,00\u00a0€" in out
    assert "Un seul choix · 0 votant · clôture le " in out
    assert (
        "(visible par merchant uniquement) ✅ Votre vote pour AeroLite MIPS est bien pris "
        "en compte dans «\u00a0Which helmet should we stock this spring?\u00a0»."
    ) in out
    assert "Vous pouvez le modifier jusqu’à la clôture, le " in out
    assert "votre vote n’est compté qu’une fois." in out
    assert "✅ Vote modifié dans «\u00a0Which helmet" in out and "Urban Shell → Trail Pro." in out
    assert "Tapez un numéro de 1 à 3 (ou /vote spring-helmets OPTION)." in out
    assert "Utilisation\u00a0: /vote SONDAGE OPTION [OPTION...] (OPTION\u00a0: un numéro" in out
    assert "     → tapez 1 ou /vote spring-helmets aero" in out
    assert "Désolé, seule l’équipe de la boutique peut clore les sondages." in out
    assert "Commande inconnue\u00a0: /frobnicate.\nCommandes (vous êtes carol)\u00a0:" in out
    assert "[ouvert, clôture le " in out and "] 4 votes" in out
    assert "2 (50\u00a0%) ← en tête" in out
    assert "4 votes de 4 clients" in out
    assert "Aucun sondage ne porte l’identifiant 'nope'." in out
    assert "Le sondage spring-helmets est déjà ouvert." in out
    assert "Résultats\u00a0: Which helmet should we stock this spring?" in out
    assert "Verdict\u00a0: pas assez de votes pour trancher. 4 clients ont voté" in out
    assert "par plateforme\u00a0: console 4 votes (4 clients)" in out
    assert "vote terminé, décompte final\u00a0:" in out
    assert "est clos\u202f; les résultats sont en cours de publication." in out
    assert (
        "Désolé, le vote «\u00a0Which helmet should we stock this spring?\u00a0» est terminé."
        in out
    )
    for english in ("Your vote", "Pick one", "0 voters", "customers", "closes", "Verdict:"):
        assert english not in out


def merchant_texts(config: Path) -> list[str]:
    """Everything the merchant wrote (shown as written) and the names of things."""
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    texts = [data["store"]["name"]]
    for poll in data["polls"]:
        texts += [poll["id"], poll["question"], poll.get("description", "")]
        for option in poll["options"]:
            texts += [option["id"], option["label"], option.get("description", "")]
            texts += [option.get("link", ""), option.get("image", "")]
    for prompt in data.get("prompts", []):
        texts += [prompt["id"], *(q["text"] for q in prompt["questions"])]
    return sorted((t for t in texts if t), key=len, reverse=True)


def without_marked(out: str) -> str:
    """The output with every marked text (nested ones too, over several lines) blanked."""
    while re.search(r"⟦[^⟦⟧]*⟧", out):
        out = re.sub(r"⟦[^⟦⟧]*⟧", " ", out)
    return out


def unmarked(line: str, merchant: list[str]) -> str:
    """What is left of a line once the merchant's texts, names, paths, numbers, bars and
    punctuation are taken out."""
    line = re.sub(r"^\w+> .*", "", line)  # the echo of what the user typed
    for text in merchant:
        line = line.replace(text, " ")
    line = re.sub(r"\S*/\S+|#\w+|\b(merchant|alice|bob|carol|nope|frobnicate|console)\b", " ", line)
    return re.sub(r"[\W\d_]+", " ", line).strip()


def test_pseudo_locale_leaves_no_text_unmarked(example: Path) -> None:
    config = with_locale(example, "en")
    out = run(config, env={PSEUDO_ENV: "1"})
    assert "⟦" in out
    merchant = merchant_texts(config)
    lines = without_marked(out).splitlines()
    leftovers = [(line, rest) for line in lines if (rest := unmarked(line, merchant))]
    assert leftovers == []
