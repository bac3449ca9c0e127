"""Setup hub pieces without a server: URLs shown without secrets, API-key masking,
installed model files, and which adapters can really verify a key."""

from __future__ import annotations

from pathlib import Path

from reelforge.engine.setup.config import shown_url
from reelforge.engine.setup.connect import can_verify
from reelforge.engine.setup.diagnostics import _mask_api_keys, installed_models
from reelforge.providers.base import Provider
from reelforge.providers.plugins import load_registry


def test_shown_url_drops_passwords_and_queries() -> None:
    assert shown_url("redis://:pw-123@127.0.0.1:6379/0") == "redis://***@127.0.0.1:6379/0"
    assert shown_url("postgresql+asyncpg://u:p@db/x?sslkey=k") == "postgresql+asyncpg://***@db/x"
    assert shown_url("https://api.example.com/v1?token=abc") == "https://api.example.com/v1"
    assert shown_url("/var/lib/reelforge/artifacts") == "/var/lib/reelforge/artifacts"
    assert shown_url(None) is None


def test_api_key_shapes_are_masked_everywhere() -> None:
    key = "rf_" + "A1b2_C3d4-" * 4
    masked = _mask_api_keys({"a": [f"used {key} today", {"b": key}], "n": 3})
    assert key not in str(masked) and masked["n"] == 3
    assert _mask_api_keys("rf_short") == "rf_short"


def test_installed_models_lists_files_not_placeholders(tmp_path: Path) -> None:
    assert installed_models(None)["files"] == []
    (tmp_path / "models" / "checkpoints").mkdir(parents=True)
    (tmp_path / "models" / "checkpoints" / "put_checkpoints_here").write_text("")
    (tmp_path / "models" / "checkpoints" / ".hidden").write_text("x")
    (tmp_path / "models" / "checkpoints" / "a.safetensors").write_bytes(b"12345")
    files = installed_models(tmp_path)["files"]
    assert files == [
        {"path": "checkpoints/a.safetensors", "folder": "checkpoints", "size_bytes": 5}
    ]


def test_every_built_in_remote_provider_can_verify_a_key() -> None:
    registry = load_registry()
    for name in registry.names():
        cls = registry.get(name)
        assert cls is not None
        if cls.credential_fields and name != "comfyui":
            assert can_verify(cls), name

    class Bare(Provider):  # neither verify nor balance
        name = "bare"
        display_name = "Bare"

        async def submit(self, request, credential):  # type: ignore[no-untyped-def]
            raise NotImplementedError

        async def poll(self, task, credential):  # type: ignore[no-untyped-def]
            raise NotImplementedError

    assert not can_verify(Bare)
