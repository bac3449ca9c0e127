"""``reelforge sources`` as a client of a real served ReelForge: list, add (with the
acknowledgment rules), download with progress from a file server on 127.0.0.1, show,
installed, remove."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from reelforge.cli.main import app
from tests.helpers import serve_asgi
from tests.integration.cli_server import Served, served
from tests.integration.range_server import RangeFileServer

BLOB = os.urandom(2 * 1024 * 1024 + 5)
SHA = hashlib.sha256(BLOB).hexdigest()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Served, str, Path]]:
    files = RangeFileServer(files={"/lora.safetensors": BLOB})
    root = tmp_path_factory.mktemp("sources-cli")
    with serve_asgi(files) as url:
        with served(
            root / "home",
            comfyui_dir=root / "ComfyUI",
            fetch_allow_hosts=[url.removeprefix("http://")],
        ) as server:
            yield server, url, root / "ComfyUI"


def invoke(server: Served, *args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(app, list(args), env=server.env())
    assert result.exit_code == code, (result.output, result.exception)
    return result


def refusal(result: Any) -> str:
    """A refused command raises the server's error (main() prints it): its code and steps."""
    exc = result.exception
    return f"{exc.code} {exc.message} {' '.join(exc.remediation)}"


def test_list_add_download_show_installed_remove(world: Any) -> None:
    server, url, comfy = world
    listing = json.loads(invoke(server, "sources", "list", "--json").stdout)
    assert any(s["id"] == "sdxl-base-1.0" for s in listing["sources"])
    table = invoke(server, "sources", "list", "--type", "upscaler").stdout
    assert "realesrgan-x4plus" in table and "sdxl-base" not in table

    base = ["sources", "add", "--name", "Film LoRA", "--type", "lora", "--url"]
    refused = invoke(
        server,
        *base,
        f"{url}/lora.safetensors",
        "--filename",
        "../x.safetensors",
        "--license",
        "MIT",
        "--sha256",
        SHA,
        code=1,
    )
    assert "VALIDATION_ERROR" in refusal(refused)
    unknown = invoke(
        server,
        *base,
        f"{url}/lora.safetensors",
        "--filename",
        "film.safetensors",
        "--license",
        "Unknown",
        "--sha256",
        SHA,
        code=1,
    )
    assert "LICENSE_UNKNOWN" in refusal(unknown)
    assert "acknowledge_unknown_license" in refusal(unknown)
    added = invoke(
        server,
        *base,
        f"{url}/lora.safetensors",
        "--filename",
        "film.safetensors",
        "--license",
        "Unknown",
        "--sha256",
        SHA,
        "--accept-unknown-license",
        "--json",
    )
    assert json.loads(added.stdout)["id"] == "custom-film-lora"

    done = invoke(server, "sources", "download", "custom-film-lora")
    assert "downloaded" in done.stdout and "verified" in done.stdout
    path = comfy / "models" / "loras" / "film.safetensors"
    assert path.read_bytes() == BLOB
    again = json.loads(invoke(server, "sources", "download", "custom-film-lora", "--json").stdout)
    assert again["already_installed"] is True

    shown = invoke(server, "sources", "show", "custom-film-lora").stdout
    assert "installed" in shown and SHA in shown
    files = json.loads(invoke(server, "sources", "installed", "--json").stdout)["files"]
    assert [(f["folder"], f["source_id"]) for f in files] == [("loras", "custom-film-lora")]
    example = invoke(server, "sources", "download", "4x-ultrasharp", code=1)
    assert "CHECKSUM_MISSING" in refusal(example)
    invoke(server, "sources", "remove", "custom-film-lora")
    invoke(server, "sources", "show", "custom-film-lora", code=1)


def test_a_mismatch_is_an_error_exit(world: Any) -> None:
    server, url, comfy = world
    invoke(
        server,
        "sources",
        "add",
        "--name",
        "Bad Sum",
        "--type",
        "checkpoint",
        "--url",
        f"{url}/lora.safetensors",
        "--filename",
        "bad.safetensors",
        "--license",
        "MIT",
        "--sha256",
        "0" * 64,
    )
    failed = invoke(server, "sources", "download", "custom-bad-sum", code=1)
    assert "CHECKSUM_MISMATCH" in refusal(failed)
    assert not list((comfy / "models" / "checkpoints").glob("bad.safetensors*"))
