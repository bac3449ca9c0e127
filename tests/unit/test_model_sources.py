"""Model-source rules (seed 001 §6.5, §7.1, §9.2, §9.3): safe file names, http(s) only,
every curated entry valid, and a broken curated file failing loudly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reelforge.catalog.sources import SourceDataError, load_curated_sources
from reelforge.domain.sources import FOLDERS, SourceType, filename_problem, url_problem


@pytest.mark.parametrize(
    "name",
    [
        "sd_xl_base_1.0.safetensors",
        "RealESRGAN_x4plus.pth",
        "model.ckpt",
        "embedding.pt",
        "pytorch_lora_weights.bin",
        "flux1-dev-Q4_K_S.gguf",
        "face.onnx",
        "4x-UltraSharp.pth",
        "Ümlaut model v2.safetensors",
    ],
)
def test_model_file_names_are_allowed(name: str) -> None:
    assert filename_problem(name) is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../model.safetensors", "path"),
        ("..", "dot"),
        ("a/../../b.safetensors", "path"),
        ("..\\..\\win.safetensors", "path"),
        ("/etc/model.safetensors", "path"),
        ("C:\\models\\m.safetensors", "path"),
        ("C:m.safetensors", ":"),
        ("m.safetensors:stream", ":"),
        (".bashrc.safetensors", "dot"),
        ("tab\there.safetensors", "control"),
        ("nul\x00.safetensors", "control"),
        ("rtl\u202eexe.safetensors", "control"),
        ("CON.safetensors", "reserved"),
        (" space.safetensors", "spaces"),
        ("", "empty"),
        ("x" * 300 + ".safetensors", "longer"),
        ("setup.exe", "executables"),
        ("install.sh", "executables"),
        ("node.py", "executables"),
        ("run.bat", "executables"),
        ("profile.ps1", "executables"),
        ("lib.dll", "executables"),
        ("lib.so", "executables"),
        ("model.safetensors.exe", "executables"),
        ("model.sh.safetensors", "executables"),
        ("archive.zip", "extension"),
        ("weights.txt", "extension"),
        ("noextension", "extension"),
    ],
)
def test_unsafe_names_are_refused_with_the_reason(name: str, why: str) -> None:
    problem = filename_problem(name)
    assert problem is not None and why in problem


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://huggingface.co/a/b/resolve/main/m.safetensors", True),
        ("http://127.0.0.1:8080/m.pth", True),  # the fetcher judges the address, not this
        ("ftp://example.com/m.safetensors", False),
        ("file:///etc/passwd", False),
        ("javascript:alert(1)", False),
        ("https:///nohost", False),
        ("https://example.com:99999/m.pth", False),
        ("https://example.com/a b.pth", False),
    ],
)
def test_only_http_urls(url: str, ok: bool) -> None:
    assert (url_problem(url) is None) is ok


def test_every_curated_entry_is_valid() -> None:
    sources = load_curated_sources()
    assert len(sources) >= 6
    kinds = {s.type for s in sources}
    assert {SourceType.CHECKPOINT, SourceType.UPSCALER, SourceType.VAE, SourceType.LORA} <= kinds
    for s in sources:
        assert s.problems() == []
        assert s.curated and not s.id.startswith("custom-")
        assert s.license and s.license.lower() != "unknown"
        assert s.folder == FOLDERS[s.type]
        if s.sha256 is None:
            assert s.example and s.name.startswith("Example") and not s.recommended
        else:
            assert len(s.sha256) == 64 and s.checksum_source
    assert any(s.recommended for s in sources)


GOOD: dict[str, Any] = {
    "id": "x",
    "name": "X",
    "type": "checkpoint",
    "url": "https://example.com/x.safetensors",
    "filename": "x.safetensors",
    "license": "MIT",
    "sha256": "a" * 64,
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sha256": None}, "Example"),
        ({"sha256": None, "name": "Example: X", "recommended": True}, "never recommended"),
        ({"sha256": "abc"}, "sha256"),
        ({"license": "Unknown"}, "license"),
        ({"id": "custom-x"}, "custom-"),
        ({"filename": "../x.safetensors"}, "path"),
        ({"filename": "x.exe"}, "executables"),
        ({"url": "ftp://example.com/x"}, "url"),
        ({"type": "spaceship"}, "type"),
        ({"surprise": 1}, "surprise"),
        ({"curated": False}, "curated"),
    ],
)
def test_a_broken_curated_entry_fails_loudly(
    tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    path = tmp_path / "curated.json"
    path.write_text(json.dumps([{**GOOD, **change}]))
    with pytest.raises(SourceDataError) as err:
        load_curated_sources(path)
    assert "curated.json[0]" in str(err.value) and message in str(err.value)


def test_duplicate_ids_and_destinations_fail(tmp_path: Path) -> None:
    path = tmp_path / "curated.json"
    path.write_text(json.dumps([GOOD, GOOD]))
    with pytest.raises(SourceDataError, match="used twice"):
        load_curated_sources(path)
    path.write_text(json.dumps([GOOD, {**GOOD, "id": "y"}]))
    with pytest.raises(SourceDataError, match=r"already downloads to checkpoints/x\.safetensors"):
        load_curated_sources(path)
    path.write_text("{not json")
    with pytest.raises(SourceDataError, match="not readable JSON"):
        load_curated_sources(path)
