#!/usr/bin/env bash
# Starts the local services the integration tests use when they are not running:
# PostgreSQL, Redis and RabbitMQ. (S3 is a moto server the tests start themselves.) A service that
# cannot be started is reported; the tests that need it then fail with a clear message.
set -uo pipefail

if command -v pg_isready >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start 2>/dev/null || true
    fi
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || echo "services: PostgreSQL is not running on 127.0.0.1:5432" >&2
else
  echo "services: PostgreSQL client tools not found (apt-get install postgresql)" >&2
fi

if command -v redis-cli >/dev/null 2>&1; then
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/reelforge-redis.log >/dev/null 2>&1 || true
    sleep 0.5
  fi
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || echo "services: Redis is not running on 127.0.0.1:6379" >&2
else
  echo "services: redis-cli not found (apt-get install redis-server)" >&2
fi
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if command -v rabbitmq-server >/dev/null 2>&1; then
  if ! port_open 5672; then
    rabbitmq-server -detached >/dev/null 2>&1 || true
    for _ in $(seq 1 60); do port_open 5672 && break; sleep 1; done
  fi
  port_open 5672 || echo "services: RabbitMQ is not running on 127.0.0.1:5672" >&2
else
  echo "services: rabbitmq-server not found (apt-get install rabbitmq-server)" >&2
fi
exit 0
