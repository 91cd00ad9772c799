import logging
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.db import connection

from config.celery import app as celery_app


def fresh_pools() -> None:
    """Drop the app's cached connection and producer pools: a worker stopping in this process
    closes them, and the next publish would fail with "Acquire on closed pool"."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def use_broker(url: str | None) -> None:
    """Point the Celery app at `url` (None: back to in-process tasks)."""
    celery_app.conf.task_always_eager = url is None
    celery_app.conf.broker_url = url or "memory://"
    fresh_pools()


@pytest.fixture
def redis_broker(settings):
    """The machine's Redis (its test database, emptied) as the broker, tasks no longer eager."""
    redis.Redis.from_url(settings.TEST_REDIS_URL).flushdb()
    use_broker(settings.TEST_REDIS_URL)
    yield settings.TEST_REDIS_URL
    use_broker(None)


@pytest.fixture
def no_worker():
    """Publishing goes to an in-memory broker nobody consumes: rows stay unsent."""
    use_broker("memory://")
    yield
    use_broker(None)


def close_worker_connection(**kwargs):
    # Runs in the worker's thread after each task: its database connection must not outlive the
    # test (the test database could not be dropped at the end of the run).
    connection.close()


@contextmanager
def embedded_worker():
    """A real Celery worker (in a thread of this process) consuming from the current broker.
    Starting, it sets up logging as a worker does (the root logger at ERROR, its own handlers):
    that is undone when it stops, or every later test of the process would lose its warnings."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    saved = [
        (logger, logger.level, logger.propagate, logger.disabled, list(logger.handlers))
        for logger in loggers
        if isinstance(logger, logging.Logger)
    ]
    task_postrun.connect(close_worker_connection)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30
        ) as running:
            yield running
    finally:
        task_postrun.disconnect(close_worker_connection)
        fresh_pools()
        for logger, level, propagate, disabled, handlers in saved:
            logger.setLevel(level)
            logger.propagate, logger.disabled, logger.handlers = propagate, disabled, handlers


@pytest.fixture
def worker():
    with embedded_worker() as running:
        yield running


def wait_for(condition, timeout=20.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class OwnRedis:
    """A Redis server of the test's own, on a free port: stopping it never touches the machine's."""

    def __init__(self):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        binary = shutil.which("redis-server")
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        assert wait_for(self.answers, timeout=10), "own redis-server did not start"

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)
        assert not self.answers()

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def own_redis():
    server = OwnRedis()
    yield server
    if server.process and server.process.poll() is None:
        server.process.terminate()
        server.process.wait(timeout=10)
    use_broker(None)
