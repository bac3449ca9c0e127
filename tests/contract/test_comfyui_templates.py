"""Every shipped ComfyUI template against the emulator's /object_info over real HTTP, each
run end to end with real media, and the dependency check presets make before any paid
step: a missing extension (or model file) is named exactly, before anything is queued."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import numpy as np
import pytest
from PIL import Image
from starlette.applications import Starlette

from reelforge.domain.errors import ErrorCode, ReelForgeError
from reelforge.domain.modes import MediaKind
from reelforge.emulators.base import EmulatorConfig
from reelforge.emulators.base.render import render_video
from reelforge.emulators.comfyui import create_app
from reelforge.emulators.comfyui.engine import ComfyServer
from reelforge.emulators.comfyui.extension_nodes import ALL_EXTENSIONS, parse_extensions
from reelforge.providers.base import Credential, GenerationRequest, InputMedia
from reelforge.providers.comfyui import ComfyUIProvider
from reelforge.providers.comfyui.extensions import EXTENSIONS
from reelforge.providers.comfyui.templates import MEDIA_SLOTS, get_template, templates
from reelforge.providers.comfyui.wire import input_spec
from reelforge.providers.polling import generate
from tests.contract.mediacheck import image_of, mean_rgb, video_info
from tests.helpers import free_port, png_bytes, serve_asgi

NONE = Credential("comfyui", {}, "none")


class Emu:
    def __init__(self, app: Starlette, url: str) -> None:
        self.url = url
        self.server: ComfyServer = app.state.comfy
        self.app = app

    def reset(self) -> None:
        self.app.state.emulator.reset()
        self.app.state.emulator.tasks.queue_seconds = 0.02
        self.app.state.emulator.tasks.run_seconds = 0.2


@pytest.fixture(scope="module")
def emu() -> Iterator[Emu]:
    app = create_app(EmulatorConfig())
    with serve_asgi(app) as url:
        yield Emu(app, url)


@pytest.fixture
async def provider(emu: Emu) -> AsyncIterator[ComfyUIProvider]:
    emu.reset()
    async with httpx.AsyncClient(timeout=30) as client:
        p = ComfyUIProvider(client, emu.url)
        p.ws_window = 0.1
        yield p


def _uri(data: bytes, kind: str) -> str:
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def _decode(url: str) -> bytes:
    return base64.b64decode(url.split(",", 1)[1])


FACE = png_bytes(96, 96, (220, 40, 40))
CLIP = render_video("a person talking", 3, duration=1.0, width=160, height=128, with_audio=True)


def _inputs(name: str) -> list[InputMedia]:
    slots = get_template(name).media_slots
    items: list[InputMedia] = []
    if "image" in slots:
        items.append(InputMedia(kind=MediaKind.IMAGE, url=_uri(FACE, "image/png"), slot="image"))
    if "video" in slots:
        items.append(InputMedia(kind=MediaKind.VIDEO, url=_uri(CLIP, "video/mp4"), slot="video"))
    if "reference" in slots:
        items.append(
            InputMedia(kind=MediaKind.IMAGE, url=_uri(FACE, "image/png"), slot="reference")
        )
    return items


def _request(name: str, **kw: Any) -> GenerationRequest:
    values: dict[str, Any] = {
        "model": name,
        "mode": get_template(name).mode,
        "prompt": "portrait of a woman, natural skin",
        "seed": 5,
        "inputs": _inputs(name),
        "params": {},
    }
    values.update(kw)
    return GenerationRequest(**values)


async def test_every_template_fits_the_servers_object_info(emu: Emu) -> None:
    """Each node type exists, each input the graph sets is one the node declares, each
    required input is set, and each link points at an output the source node has."""
    async with httpx.AsyncClient() as http:
        info = (await http.get(f"{emu.url}/object_info")).json()
    for name, template in templates().items():
        for node_id, node in template.workflow.items():
            spec = info.get(node["class_type"])
            assert spec is not None, (name, node["class_type"])
            declared = {
                **(spec["input"].get("required") or {}),
                **(spec["input"].get("optional") or {}),
            }
            for field, value in node["inputs"].items():
                assert input_spec(spec, field) is not None, (name, node_id, field)
                if isinstance(value, list):
                    source = template.workflow[str(value[0])]["class_type"]
                    assert value[1] < len(info[source]["output"]), (name, node_id, field)
            for field in spec["input"].get("required") or {}:
                assert field in node["inputs"], (name, node_id, field)
            assert set(node["inputs"]) <= set(declared)


@pytest.mark.parametrize("name", sorted(templates()))
async def test_every_template_runs_in_the_emulator_with_real_media(
    provider: ComfyUIProvider, emu: Emu, name: str
) -> None:
    template = get_template(name)
    assert await provider.missing_dependencies(name, NONE) == []
    params: dict[str, Any] = {}
    if name == "sd15_txt2img_lora":
        params = {"lora": "add_detail.safetensors"}
    if "width" in template.params and template.output is MediaKind.VIDEO:
        params.update(width=160, height=96)
    result = await generate(
        provider, _request(name, params=params), NONE, timeout=30, interval=0.05
    )
    out = result.outputs[0]
    assert out.media_type is template.output
    data = _decode(out.url)
    if template.output is MediaKind.VIDEO:
        video = video_info(data)
        assert video.frames and video.duration > 0.3
        if "video" in template.media_slots:  # a pass over the input clip: its size and sound
            assert (video.width, video.height) == (160, 128) and video.has_audio
    else:
        img = image_of(data)
        assert img.width >= 64 and img.height >= 64
    prompt = next(iter(emu.server.prompts.values()))
    assert {n["class_type"] for n in prompt.graph.values()} == set(template.node_types)


async def test_face_restore_keeps_the_picture_and_sharpens_it(provider: ComfyUIProvider) -> None:
    soft = Image.new("RGB", (96, 96), (120, 120, 120))
    soft.paste((200, 60, 60), (30, 30, 66, 66))
    buf = io.BytesIO()
    soft.save(buf, "PNG")
    request = _request(
        "face_restore",
        inputs=[InputMedia(kind=MediaKind.IMAGE, url=_uri(buf.getvalue(), "image/png"))],
    )
    result = await generate(provider, request, NONE, timeout=20, interval=0.05)
    out = np.asarray(image_of(_decode(result.url)).convert("RGB"), dtype=np.int16)
    src = np.asarray(soft, dtype=np.int16)
    assert out.shape == src.shape
    assert np.abs(out - src).mean() < 10  # the same picture ...
    assert np.abs(out - src).max() > 0  # ... with its edges sharpened


async def test_identity_references_fill_the_batch_and_reach_the_output(
    provider: ComfyUIProvider, emu: Emu
) -> None:
    colours = [(250, 20, 20), (20, 250, 20)]
    refs = [
        InputMedia(
            kind=MediaKind.IMAGE, url=_uri(png_bytes(64, 64, c), "image/png"), slot="reference"
        )
        for c in colours
    ]
    request = _request("ipadapter_portrait", inputs=refs, params={"weight": 0.6})
    result = await generate(provider, request, NONE, timeout=20, interval=0.05)
    graph = next(iter(emu.server.prompts.values())).graph
    loads = [graph[n]["inputs"]["image"] for n in ("10", "11", "12")]
    assert loads[0] != loads[1] and loads[2] == loads[0]  # the third repeats the first
    assert graph["21"]["inputs"]["weight"] == 0.6
    image = image_of(_decode(result.url)).convert("RGB")
    assert abs(image.width / image.height - 832 / 1216) < 0.01  # the portrait's shape
    r, g, _b = mean_rgb(np.asarray(image))
    assert r > g + 60  # the (first) reference is what the emulated adapter kept
    too_many = _request("ipadapter_portrait", inputs=refs * 2)
    with pytest.raises(ReelForgeError) as info:
        await provider.submit(too_many, NONE)
    assert info.value.detail["field"] == "reference"


async def test_video_identity_pass_puts_the_reference_on_every_frame(
    provider: ComfyUIProvider,
) -> None:
    green = png_bytes(64, 64, (0, 255, 0))
    request = _request(
        "video_identity_swap",
        inputs=[
            InputMedia(kind=MediaKind.VIDEO, url=_uri(CLIP, "video/mp4"), slot="video"),
            InputMedia(kind=MediaKind.IMAGE, url=_uri(green, "image/png"), slot="reference"),
        ],
    )
    result = await generate(provider, request, NONE, timeout=30, interval=0.05)
    video = video_info(_decode(result.url))
    for frame in video.frames:
        h, w = frame.shape[:2]
        centre = frame[h // 3 + 4 : h // 3 + 20, w // 2 - 8 : w // 2 + 8]
        r, g, b = mean_rgb(centre)
        assert g > 180 and r < 90 and b < 90


async def test_a_missing_extension_is_named_before_anything_is_queued(
    provider: ComfyUIProvider, emu: Emu
) -> None:
    emu.server.extensions = frozenset({"ComfyUI_IPAdapter_plus"})
    assert await provider.missing_dependencies("comfyui/face-restore", NONE) == [
        "extension:facerestore_cf"
    ]
    assert await provider.missing_dependencies("comfyui/ipadapter-portrait", NONE) == []
    assert await provider.missing_dependencies("comfyui/video-identity-swap", NONE) == [
        "extension:ComfyUI-ReActor"
    ]
    with pytest.raises(ReelForgeError) as info:
        await provider.check_dependencies("comfyui/instantid-portrait", NONE)
    err = info.value
    assert err.code is ErrorCode.DEPENDENCY_MISSING
    assert (
        "ComfyUI_InstantID" in err.message and "github.com/cubiq/ComfyUI_InstantID" in err.message
    )
    (install,) = err.detail["install"]
    assert (
        install["extension"] == "ComfyUI_InstantID" and install["pip"] == "insightface onnxruntime"
    )
    assert sorted(install["missing_nodes"]) == [
        "ApplyInstantID",
        "InstantIDFaceAnalysis",
        "InstantIDModelLoader",
    ]
    assert any("custom_nodes" in step for step in err.remediation)
    # submit gives the same answer, and nothing reached the queue.
    with pytest.raises(ReelForgeError) as again:
        await provider.submit(_request("face_restore"), NONE)
    assert again.value.code is ErrorCode.DEPENDENCY_MISSING
    assert again.value.detail["install"][0]["extension"] == "facerestore_cf"
    assert emu.server.prompts == {}
    # A core node a too-old server lacks is named as such.
    emu.server.removed_nodes.add("LoadVideo")
    emu.server.extensions = None
    assert await provider.missing_dependencies("video_face_restore", NONE) == ["node:LoadVideo"]


async def test_missing_model_files_are_named_and_params_pick_another(
    provider: ComfyUIProvider, emu: Emu
) -> None:
    emu.server.models["facerestore_models"] = ["GFPGANv1.4.pth"]
    assert await provider.missing_dependencies("face_restore", NONE) == [
        "model:codeformer-v0.1.0.pth"
    ]
    with pytest.raises(ReelForgeError) as info:
        await provider.check_dependencies("face_restore", NONE)
    assert info.value.detail["missing_models"][0]["available"] == ["GFPGANv1.4.pth"]
    params = {"restore_model": "GFPGANv1.4.pth"}
    assert await provider.missing_dependencies("face_restore", NONE, params=params) == []
    await provider.check_dependencies("face_restore", NONE, params=params)


async def test_no_server_is_engine_offline() -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        gone = ComfyUIProvider(client, f"http://127.0.0.1:{free_port()}")
        with pytest.raises(ReelForgeError) as info:
            await gone.missing_dependencies("face_restore", NONE)
    assert info.value.code is ErrorCode.ENGINE_OFFLINE
    assert "Start ComfyUI" in info.value.remediation[0]


def test_an_emulator_without_extensions_serves_core_nodes_only() -> None:
    app = create_app(EmulatorConfig(comfyui_extensions=frozenset()))
    info = app.state.comfy.object_info()
    assert "KSampler" in info and "LoadVideo" in info
    assert not any(n in info for e in EXTENSIONS for n in e.nodes)


def test_extension_names_and_the_setting() -> None:
    # The emulator's packs are the ones the adapter names (and their nodes are theirs).
    assert {e.name for e in EXTENSIONS} == ALL_EXTENSIONS
    info = create_app(EmulatorConfig()).state.comfy.object_info()
    for ext in EXTENSIONS:
        for node in ext.nodes:
            assert info[node]["python_module"] == f"custom_nodes.{ext.name}"
    assert parse_extensions(None) is None and parse_extensions("all") is None
    assert parse_extensions("none") == frozenset() and parse_extensions("") == frozenset()
    assert parse_extensions(" facerestore_cf , ComfyUI_InstantID") == {
        "facerestore_cf",
        "ComfyUI_InstantID",
    }
    with pytest.raises(ValueError, match="unknown ComfyUI extension"):
        parse_extensions("comfyui-manager")
    assert set(MEDIA_SLOTS) == {"image", "video", "reference", "reference_2", "reference_3"}
