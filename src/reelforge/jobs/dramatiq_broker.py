"""Building the Dramatiq broker from a URL, and exposing Dramatiq's Prometheus metrics.

``redis://`` / ``rediss://`` → RedisBroker, ``amqp://`` / ``amqps://`` → RabbitmqBroker.

Redelivery when a worker dies: RabbitMQ returns a dead consumer's unacknowledged messages
as soon as its connection drops. Redis has no connections to watch, so Dramatiq's Redis
broker keeps a heartbeat per worker and, on a random ``maintenance_chance`` per million
commands, moves the unacknowledged messages of workers silent for ``heartbeat_timeout``
back to their queue. Production keeps Dramatiq's defaults (60 s, 1000 per million); the
tests shorten both so a SIGKILLed worker's messages come back within seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.middleware import Middleware


@dataclass(frozen=True)
class BrokerConfig:
    url: str
    namespace: str = "reelforge"  # Redis key prefix (broker and schedule book)
    heartbeat_timeout_ms: int = 60_000
    maintenance_chance: int = 1000  # per million broker commands


def is_redis_url(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def is_amqp_url(url: str) -> bool:
    return url.startswith(("amqp://", "amqps://"))


def make_broker(config: BrokerConfig, *, extra: list[Middleware] | None = None) -> dramatiq.Broker:
    middleware = [m() for m in dramatiq.middleware.default_middleware] + list(extra or [])
    if is_redis_url(config.url):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(
            url=config.url,
            namespace=config.namespace,
            heartbeat_timeout=config.heartbeat_timeout_ms,
            maintenance_chance=config.maintenance_chance,
            middleware=middleware,
        )
    if is_amqp_url(config.url):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        # Publisher confirms: an enqueue returns only once RabbitMQ has the message.
        return RabbitmqBroker(url=config.url, confirm_delivery=True, middleware=middleware)
    raise ValueError("broker_url must start with redis:// or amqp:// (got a URL of another scheme)")


class MetricsBridge:
    """Puts the metrics of Dramatiq's Prometheus middleware into a prometheus_client registry.

    The middleware normally writes multiprocess files and serves them from a process forked
    by the ``dramatiq`` command; ``reelforge worker`` runs the Dramatiq worker in-process,
    so the metric objects the middleware creates are collected directly instead.
    """

    NAMES = (
        "total_messages",
        "total_errored_messages",
        "total_retried_messages",
        "total_rejected_messages",
        "inprogress_messages",
        "inprogress_delayed_messages",
        "message_durations",
    )

    def __init__(self, middleware: Any) -> None:
        self.middleware = middleware

    def collect(self) -> Iterator[Any]:
        for name in self.NAMES:
            metric = getattr(self.middleware, name, None)
            if metric is not None:
                yield from metric.collect()

    def describe(self) -> list[Any]:
        return []  # unchecked collector: metrics appear once the worker has booted


def prometheus_middleware() -> Middleware:
    import os

    from dramatiq.middleware.prometheus import Prometheus

    class InProcessPrometheus(Prometheus):
        @property
        def forks(self) -> list[Any]:
            return []  # no exposition process: ``reelforge worker`` serves the metrics

        def after_process_boot(self, broker: dramatiq.Broker) -> None:
            # The middleware points prometheus_client at multiprocess files through the
            # environment; keep that from leaking into the rest of the process.
            names = ("PROMETHEUS_MULTIPROC_DIR", "prometheus_multiproc_dir")
            saved = {name: os.environ.get(name) for name in names}
            try:
                super().after_process_boot(broker)
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value

    return InProcessPrometheus()
