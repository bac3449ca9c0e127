"""``reelforge presets list|show|run`` against a real server on 127.0.0.1 (sandbox)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from reelforge.cli.main import app
from reelforge.domain.errors import ErrorCode, ReelForgeError
from tests.integration.cli_server import Served, served
from tests.media_helpers import make_image, make_tone, make_video


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with served(tmp_path_factory.mktemp("cli-presets") / "home") as s:
        yield s


@pytest.fixture
def cli(server: Served, tmp_path: Path) -> Any:
    env = {**server.env(), "REELFORGE_HOME": str(tmp_path / "untouched")}

    def invoke(*args: str, code: int = 0) -> Any:
        result = CliRunner().invoke(app, list(args), env=env)
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def test_list_and_show(cli: Any) -> None:
    listed = json.loads(cli("presets", "list", "--json").stdout)
    assert len(listed["presets"]) == 12
    text = cli("presets", "list").stdout
    assert "talking_clip_v1" in text
    shown = cli("presets", "show", "image_to_video_v1").stdout
    assert "quality levels" in shown and "kling/kling-v2-6" in shown
    missing = cli("presets", "show", "nope_v1", code=1)
    assert isinstance(missing.exception, ReelForgeError)  # main() prints it with its remedy
    assert missing.exception.code is ErrorCode.NOT_FOUND


def test_run_with_files_and_save_outputs(cli: Any, tmp_path: Path) -> None:
    image = make_image(tmp_path / "in.png", 100, 80, "teal")
    out = tmp_path / "out"
    result = json.loads(
        cli(
            "presets", "run", "upscale_denoise_image_v1", "--image", str(image),
            "--quality", "pro", "-o", f"{out}/", "--json",
        ).stdout
    )  # fmt: skip
    assert result["status"] == "succeeded"
    saved = Path(result["outputs"][0]["output"])
    assert saved.parent == out
    with Image.open(saved) as picture:
        assert picture.size == (400, 320)  # 4x at pro


def test_run_with_inputs_file_and_consent(cli: Any, tmp_path: Path) -> None:
    video = make_video(tmp_path / "v.mp4", seconds=1.0, audio=False)
    tone = make_tone(tmp_path / "t.wav", seconds=1.0, volume=0.2)
    inputs = tmp_path / "inputs.json"
    inputs.write_text(json.dumps({"video": str(video)}))
    refused = cli(
        "presets", "run", "talking_clip_v1", "--inputs", str(inputs), "--input",
        f"audio={tone}", code=1,
    )  # fmt: skip
    assert isinstance(refused.exception, ReelForgeError)
    assert refused.exception.code is ErrorCode.CONSENT_MISSING
    done = json.loads(
        cli(
            "presets", "run", "talking_clip_v1", "--inputs", str(inputs), "--audio", str(tone),
            "--quality", "low", "--consent", "--json",
        ).stdout
    )  # fmt: skip
    assert done["status"] == "succeeded" and done["media_type"] == "video"
    shown = cli("runs", "show", done["run_id"]).stdout
    assert "preset talking_clip_v1 (low)" in shown
