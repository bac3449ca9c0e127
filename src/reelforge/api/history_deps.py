"""The history, gallery, thumbnail and analytics services of a container, made on first
use (as the rate limiter is), so the composition root needs no change for them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

from reelforge.container import Container
from reelforge.engine.analytics import Analytics
from reelforge.engine.gallery import Gallery
from reelforge.engine.history import RunHistory
from reelforge.engine.run_logs import RunLogs
from reelforge.engine.thumbnails import Thumbnails

T = TypeVar("T")


def _service(container: Container, name: str, make: Callable[[], T]) -> T:
    service = container.extras.get(name)
    if service is None:
        service = container.extras[name] = make()
    return cast(T, service)


def run_history(container: Container) -> RunHistory:
    return _service(container, "run_history", lambda: RunHistory(container.db))


def run_logs(container: Container) -> RunLogs:
    return _service(container, "run_logs", lambda: RunLogs(container.db))


def gallery(container: Container) -> Gallery:
    return _service(container, "gallery", lambda: Gallery(container.db))


def thumbnails(container: Container) -> Thumbnails:
    return _service(
        container,
        "thumbnails",
        lambda: Thumbnails(
            container.db, container.artifacts, max_side=container.settings.thumbnail_max_side
        ),
    )


def analytics(container: Container) -> Analytics:
    return _service(
        container,
        "analytics",
        lambda: Analytics(
            container.db, timeout_seconds=container.settings.analytics_timeout_seconds
        ),
    )
