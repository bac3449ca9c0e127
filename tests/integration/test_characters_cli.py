"""``reelforge characters`` against a served app, over HTTP only: local files are uploaded
first, and a bad image is refused with the server's error."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner, Result

from reelforge.app import api_app
from reelforge.cli.characters import characters_app
from reelforge.container import Container
from tests.helpers import png_bytes, serve_in_loop

cli = typer.Typer()
cli.add_typer(characters_app, name="characters")


@pytest.fixture
async def server(container: Container) -> AsyncIterator[str]:
    async with serve_in_loop(api_app(container)) as url:
        yield url


async def invoke(url: str, container: Container, *args: str) -> Result:
    env = {
        "REELFORGE_HOME": str(container.settings.home),
        "REELFORGE_LOG_LEVEL": "WARNING",
        "REELFORGE_API_KEY": container.settings.owner_key_path.read_text().strip(),
    }
    argv = [*args, "--server", url]
    return await asyncio.to_thread(CliRunner().invoke, cli, argv, env=env)


async def as_json(url: str, container: Container, *args: str) -> Any:
    result = await invoke(url, container, *args, "--json")
    assert result.exit_code == 0, (result.output, result.exception)
    return json.loads(result.output)


async def test_create_list_show_delete(server: str, container: Container, tmp_path: Path) -> None:
    face = tmp_path / "face.png"
    face.write_bytes(png_bytes(24, 24))
    made = await as_json(
        server,
        container,
        "characters",
        "create",
        "Ava",
        "--image",
        str(face),
        "--voice",
        "en_US-joe-medium",
        "--meta",
        "role=host",
    )
    assert made["name"] == "Ava" and len(made["reference_images"]) == 1
    assert made["voice_kind"] == "tts" and made["metadata"] == {"role": "host"}
    listed = await as_json(server, container, "characters", "list")
    assert [c["id"] for c in listed["characters"]] == [made["id"]]
    table = await invoke(server, container, "characters", "show", made["id"])
    assert table.exit_code == 0 and f"character:{made['id']}" in table.output
    bad = await invoke(server, container, "characters", "create", "Bo", "--image", "art_none")
    assert bad.exit_code != 0
    gone = await as_json(server, container, "characters", "delete", made["id"])
    assert gone == {"deleted": made["id"]}
    assert (await as_json(server, container, "characters", "list"))["characters"] == []
