"""Tasks that exist only for the benchmarks (loaded by the bench worker with --include)."""

import os

from celery import shared_task
from redis import Redis

_redis = None


@shared_task(acks_late=True)
def bench_noop(counter_key: str) -> None:
    """The floor: a task that does nothing but count itself (one Redis INCR)."""
    global _redis
    _redis = _redis or Redis.from_url(os.environ["BENCH_COUNTER_REDIS_URL"])
    _redis.incr(counter_key)
