"""The CLI's event stream: a dropped stream is opened again from the last event seen."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from reelforge.cli import client as client_mod
from reelforge.cli.client import Api
from reelforge.domain.errors import ErrorCode, ReelForgeError
from tests.conftest import make_settings


def _sse(*events: tuple[int, str]) -> bytes:
    return b"retry: 2000\n\n" + b"".join(
        f'id: {i}\nevent: {kind}\ndata: {{"node": "a"}}\n\n'.encode() for i, kind in events
    )


def test_a_stream_that_ends_early_resumes_with_last_event_id(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(client_mod, "_pause", lambda _s: None)
    asked: list[str | None] = []
    bodies = [
        _sse((1, "step.submitted"), (2, "step.progress")),  # the server restarts here
        _sse((3, "step.succeeded"), (4, "run.succeeded")),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request.headers.get("last-event-id"))
        return httpx.Response(
            200, content=bodies[len(asked) - 1], headers={"content-type": "text/event-stream"}
        )

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://rf") as http:
        got = list(Api(http).events("run_1"))
    assert [(e.id, e.type) for e in got] == [
        ("1", "step.submitted"),
        ("2", "step.progress"),
        ("3", "step.succeeded"),
        ("4", "run.succeeded"),
    ]
    assert asked == [None, "2"]


def test_a_server_gone_for_good_is_engine_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []
    monkeypatch.setattr(client_mod, "_pause", pauses.append)
    monkeypatch.setattr(client_mod, "RECONNECT_SECONDS", 0.05)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://rf") as http:
        with pytest.raises(ReelForgeError) as caught:
            list(Api(http).events("run_1", last_event_id="7"))
    assert caught.value.code is ErrorCode.ENGINE_OFFLINE
    assert pauses, "it tried again before giving up"


def test_an_error_answer_is_raised_not_retried() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            404, json={"error": {"code": "NOT_FOUND", "message": "No run 'run_x'."}}
        )

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://rf") as http:
        with pytest.raises(ReelForgeError) as caught:
            list(Api(http).events("run_x"))
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_connect_takes_a_server_or_the_older_settings_and_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_API_KEY", "rf_test")
    monkeypatch.delenv("REELFORGE_SERVER", raising=False)
    with client_mod.connect("http://one:1") as api:
        assert str(api.client.base_url) == "http://one:1"
        assert api.client.headers["authorization"] == "Bearer rf_test"
    settings = make_settings(tmp_path / "h", port=8123)
    with client_mod.connect(settings, None) as api:
        assert str(api.client.base_url) == "http://127.0.0.1:8123"
    with client_mod.connect(settings, "http://two:2") as api:
        assert str(api.client.base_url) == "http://two:2"
    assert not (tmp_path / "h").exists()
