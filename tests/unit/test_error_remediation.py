"""Remediation fits the situation it is given for, and messages read correctly."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reelforge.domain.errors import ERROR_INFO, ErrorCode, ReelForgeError
from reelforge.domain.words import article
from reelforge.media.probe import probe
from reelforge.providers.http import error_for_status


def _steps(error: ReelForgeError) -> str:
    return " ".join(error.remediation)


def test_contract_mismatch_names_what_to_do_for_missing_and_unknown_fields() -> None:
    missing = ReelForgeError(
        ErrorCode.CONTRACT_MISMATCH, detail={"missing_fields": ["prompt"], "unknown_fields": []}
    )
    assert "Remove" not in _steps(missing) and "unknown" not in _steps(missing)
    assert "Add the required field(s): prompt." in _steps(missing)
    unknown = ReelForgeError(ErrorCode.CONTRACT_MISMATCH, detail={"unknown_fields": ["colour"]})
    assert "Remove the unknown field(s): colour." in _steps(unknown)
    assert "Add" not in _steps(unknown)


def test_no_remediation_points_to_a_setup_page() -> None:
    for info in ERROR_INFO.values():
        assert not any("Setup" in step for step in info.remediation), info
    offline = ReelForgeError(
        ErrorCode.ENGINE_OFFLINE, detail={"provider": "kling", "env_vars": ["KLING_ACCESS_KEY"]}
    )
    text = _steps(offline)
    assert "Setup" not in text
    assert "PUT /v1/providers/kling/credential" in text and "KLING_ACCESS_KEY" in text
    assert "reelforge providers test kling" in text


def test_not_found_for_a_model_does_not_talk_about_owners() -> None:
    model = ReelForgeError(ErrorCode.NOT_FOUND, detail={"model": "kling/nope"})
    assert "owner" not in _steps(model) and "/v1/models" in _steps(model)
    planned = ReelForgeError(
        ErrorCode.NOT_FOUND, detail={"problems": [{"field": "model", "node": "a"}]}
    )
    assert "/v1/models" in _steps(planned)
    run = ReelForgeError(ErrorCode.NOT_FOUND, detail={"run_id": "run_x"})
    assert "/v1/runs" in _steps(run)


def test_a_provider_rejecting_its_key_is_424_ours_is_401() -> None:
    response = httpx.Response(401, json={"message": "bad key"})
    provider = error_for_status("luma", response)
    assert provider.code is ErrorCode.AUTH_FAILED and provider.http_status == 424
    assert provider.detail["provider"] == "luma"
    assert "your ReelForge key is fine" in _steps(provider)
    assert "Setup" not in _steps(provider)
    ours = ReelForgeError(ErrorCode.AUTH_FAILED, "Invalid API key.")
    assert ours.http_status == 401 and "ReelForge API key" in _steps(ours)


def test_article() -> None:
    assert article("image") == "an image"
    assert article("audio") == "an audio"
    assert article("video") == "a video"
    assert article("image or video") == "an image or video"


def test_decode_errors_name_no_server_path(tmp_path: Path) -> None:
    bad = tmp_path / "deep" / "secret-dir" / "clip.mp4"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 200)
    with pytest.raises(ReelForgeError) as info:
        probe(bad)
    assert "secret-dir" not in str(info.value.to_dict())
    missing = tmp_path / "secret-dir" / "none.png"
    with pytest.raises(ReelForgeError) as gone:
        probe(missing)
    assert "secret-dir" not in str(gone.value.to_dict())
