"""A config cannot publish what it should not: a local image must stay inside the config
folder (links followed), be a PNG, JPEG, GIF or WebP by its bytes, and fit the upload
limit of every enabled platform. Anything else is a file:line:col problem at validate."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.config import load_config
from bot.errors import ConfigError
from tests.cli_runner import engagebot

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)
IMAGES = {
    "photo.png": PNG,
    "photo.jpg": b"\xff\xd8\xff\xe0" + bytes(32),
    "photo.gif": b"GIF89a" + bytes(32),
    "photo.webp": b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(32),
}

CONFIG = """\
store:
  name: Velo Corner
channels:
  community: {{discord: "234567890123456789"}}
platforms:
  {platform}
polls:
  - id: helmets
    question: Which helmet?
    channels: [community]
    options:
      - id: aero
        label: AeroLite
        image: {image}
      - id: urban
        label: Urban Shell
"""


def shop(folder: Path, image: str, platform: str = "console: {}") -> Path:
    (folder / "images").mkdir(exist_ok=True)
    for name, data in IMAGES.items():
        (folder / "images" / name).write_bytes(data)
    path = folder / "bot.yaml"
    path.write_text(CONFIG.format(image=image, platform=platform), encoding="utf-8")
    return path


def problem(folder: Path, image: str, platform: str = "console: {}", **env: str) -> str:
    path = shop(folder, image, platform)
    with pytest.raises(ConfigError) as info:
        load_config(path, env=env)
    [found] = info.value.problems
    line = path.read_text(encoding="utf-8").splitlines().index(f"        image: {image}") + 1
    assert (found.file, found.line, found.column) == (str(path), line, 16)
    return f"{found.message} ({found.hint})"


@pytest.mark.parametrize("name", list(IMAGES))
def test_png_jpeg_gif_and_webp_are_accepted_by_their_bytes(tmp_path: Path, name: str) -> None:
    config = load_config(shop(tmp_path, f"images/{name}"), env={})
    image = config.image(config.settings.polls[0].options[0].image)
    assert image is not None and image.path == tmp_path / "images" / name
    assert image.root == tmp_path


OUTSIDE = "is outside the config folder (keep images in the folder that holds the config"


def test_a_path_out_of_the_config_folder_is_refused(tmp_path: Path) -> None:
    shown = problem(tmp_path, "../../../../../../../etc/passwd")
    assert shown.startswith(f"image '../../../../../../../etc/passwd' {OUTSIDE}")


def test_an_absolute_path_elsewhere_is_refused(tmp_path: Path) -> None:
    assert problem(tmp_path, "/proc/self/environ").startswith(
        f"image '/proc/self/environ' {OUTSIDE}"
    )


def test_a_symbolic_link_out_of_the_config_folder_is_refused(tmp_path: Path) -> None:
    shop(tmp_path, "images/photo.png")
    (tmp_path / "images" / "leak.png").symlink_to("/etc/passwd")
    assert problem(tmp_path, "images/leak.png").startswith(f"image 'images/leak.png' {OUTSIDE}")


def test_a_symbolic_link_inside_the_config_folder_is_fine(tmp_path: Path) -> None:
    shop(tmp_path, "images/photo.png")
    (tmp_path / "images" / "alias.png").symlink_to(tmp_path / "images" / "photo.png")
    load_config(shop(tmp_path, "images/alias.png"), env={})


def test_a_text_file_named_png_is_refused(tmp_path: Path) -> None:
    shop(tmp_path, "images/photo.png")
    (tmp_path / "images" / "notes.png").write_text("TOKEN=abc\n", encoding="utf-8")
    assert problem(tmp_path, "images/notes.png") == (
        "'images/notes.png' is not a PNG, JPEG, GIF or WebP image "
        "(export it as .png or .jpg; the file's contents are checked, not its name)"
    )


def test_an_image_over_discords_upload_limit_is_refused(tmp_path: Path) -> None:
    shop(tmp_path, "images/photo.png")
    with (tmp_path / "images" / "huge.png").open("wb") as big:  # sparse: no real 11 MiB
        big.write(PNG)
        big.truncate(11 * 1024 * 1024)
    discord = "discord:\n    token: ${DISCORD_TOKEN}"
    assert problem(tmp_path, "images/huge.png", discord, DISCORD_TOKEN=_TOKEN) == (
        "image 'images/huge.png' is 11.0 MiB; Discord accepts at most 10 MiB "
        "(make it smaller (e.g. 1600 px wide, JPEG quality 85))"
    )
    load_config(shop(tmp_path, "images/huge.png"), env={})  # the console takes it


def test_a_folder_and_a_missing_file_are_refused(tmp_path: Path) -> None:
    assert problem(tmp_path, "images").startswith("image 'images' is not a file")
    assert problem(tmp_path, "images/nope.png").startswith("image file 'images/nope.png' not found")


def test_other_schemes_are_refused_and_https_is_kept(tmp_path: Path) -> None:
    assert problem(tmp_path, "file:///etc/passwd").startswith("image address scheme 'file:'")
    assert problem(tmp_path, "http://shop.example/a.png").startswith("image URLs must use https://")
    config = load_config(shop(tmp_path, "https://cdn.example/a.png"), env={})
    assert config.settings.polls[0].options[0].image == "https://cdn.example/a.png"


def test_validate_shows_the_problem_and_never_the_file(tmp_path: Path) -> None:
    result = engagebot("validate", str(shop(tmp_path, "/proc/self/environ")))
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith(f"{tmp_path / 'bot.yaml'}:14:16: image '")
    assert "PATH=" not in result.stderr + result.stdout
    assert os.environ["PATH"] not in result.stderr + result.stdout


_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB"
