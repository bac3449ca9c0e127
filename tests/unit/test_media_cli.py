"""``reelforge media ...`` commands."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reelforge.cli.main import app
from tests.media_helpers import make_image, make_video


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["media", *args])
    return result.exit_code, result.output


def test_probe_json_and_table(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.0)
    code, out = _run("probe", str(clip), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["kind"], data["width"], data["height"], data["has_audio"]) == (
        "video",
        160,
        120,
        True,
    )
    code, out = _run("probe", str(clip))
    assert code == 0 and "h264" in out


def test_last_frame_grade_upscale(tmp_path: Path) -> None:
    clip = make_video(tmp_path / "c.mp4", seconds=1.0)
    code, out = _run("last-frame", str(clip), "--json")
    assert code == 0, out
    assert json.loads(out)["output"].endswith("c.last.png")
    code, out = _run(
        "grade",
        str(clip),
        "--look",
        "warm",
        "--grain",
        "0.2",
        "-o",
        str(tmp_path / "g.mp4"),
        "--json",
    )
    assert code == 0, out
    assert json.loads(out)["duration"] > 0.9
    image = make_image(tmp_path / "i.png", 40, 30)
    code, out = _run("upscale", str(image), "--scale", "2", "--engine", "lanczos", "--json")
    assert code == 0, out
    assert (json.loads(out)["width"], json.loads(out)["height"]) == (80, 60)


def test_errors_are_clear(tmp_path: Path) -> None:
    image = make_image(tmp_path / "i.png")
    code, out = _run("last-frame", str(image), "--json")
    assert code == 1
    assert json.loads(out)["error"]["code"] == "UNSUPPORTED_MEDIA"
    code, out = _run("grade", str(image), "--look", "sepia", "--json")
    assert code == 1 and json.loads(out)["error"]["code"] == "VALIDATION_ERROR"


def test_voices(tmp_path: Path) -> None:
    code, out = _run("voices", "--json")
    assert code == 0
    assert "en_US-joe-medium" in [v["id"] for v in json.loads(out)]
