"""The marketplace's 19 service models, as a user reaches them: `reelforge serve` with no
keys (sandbox), then `reelforge generate` for each; every artifact is real, playable media."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import av
import httpx
import pytest
from bench.server import reelforge_server
from PIL import Image

from reelforge.emulators.base.render import render_audio, render_image, render_video

SERVICE_MODELS = {
    "grok/grok-2-image": [],
    "grok/grok-imagine-video": [],
    "kling/t2v_5s": [],
    "kling/t2v_10s": [],
    "kling/i2v": ["image"],
    "kling/image": [],
    "kling/talking_avatar": ["image", "audio"],
    "runway/turbo_5s": ["image"],
    "runway/pro_gen4_5s": ["image"],
    "runway/t2v_gen45": [],
    "luma/dream_5s": [],
    "luma/i2v": ["image"],
    "luma/remix": ["video"],
    "higgsfield/dop_turbo": ["image"],
    "higgsfield/dop_quality": ["image"],
    "higgsfield/talking_avatar": ["image", "audio"],
    "higgsfield/soul_portrait": [],
    "minimax/hailuo_6s": [],
    "minimax/hailuo_pro": [],
}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    files = {
        "image": folder / "face.png",
        "audio": folder / "line.wav",
        "video": folder / "clip.mp4",
    }
    files["image"].write_bytes(render_image("a portrait", 1, width=400, height=400))
    files["audio"].write_bytes(render_audio("hello there, welcome to the show", duration=2.5))
    files["video"].write_bytes(render_video("a street", 2, duration=3.0))
    return files


@pytest.fixture(scope="module")
def server() -> tuple[str, Path, str]:
    # No provider keys: every provider is served by its sandbox emulator.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_KEY", "_SECRET", "_TOKEN", "_KEY_ID"))
    }
    with reelforge_server(base_env=env) as (base, key, home, _pid):
        yield base, home, key  # type: ignore[misc]


@pytest.mark.slow
@pytest.mark.parametrize("model", sorted(SERVICE_MODELS))
def test_generate_service_model(
    model: str, server: tuple[str, Path, str], media: dict[str, Path]
) -> None:
    base, home, key = server
    args = [
        "generate",
        "--server",
        base,
        "--model",
        model,
        "--prompt",
        "a lighthouse at dusk",
        "--json",
    ]
    for kind in SERVICE_MODELS[model]:
        args += ["--input", str(media[kind])]
    if "avatar" in model:
        args.append("--consent")
    exe = Path(sys.executable).with_name("reelforge")
    done = subprocess.run(
        [str(exe), *args],
        env={**os.environ, "REELFORGE_HOME": str(home), "REELFORGE_API_KEY": ""},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = json.loads(done.stdout)
    assert out["status"] == "succeeded" and out["sandbox"] is True and out["model"] == model
    assert set(out) >= {"artifact_id", "url", "media_type", "model", "sandbox"}
    assert "path" not in out  # the server's file system is not the client's
    data = httpx.get(base + out["url"], headers={"Authorization": f"Bearer {key}"}).content
    if out["media_type"] == "image":
        assert min(Image.open(io.BytesIO(data)).size) > 0
    else:
        with av.open(io.BytesIO(data)) as container:
            video = container.streams.video[0]
            frames = sum(1 for _ in container.decode(video))
        assert frames > 1, f"{model}: not a playable video"
