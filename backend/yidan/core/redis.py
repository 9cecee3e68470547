"""The Redis client: live pushes and short-lived state; the database stays the record."""

from __future__ import annotations

from redis.asyncio import Redis


def make_redis(url: str) -> Redis:
    """An asyncio Redis client for url (redis://, rediss:// or unix://)."""
    return Redis.from_url(url, decode_responses=True, socket_connect_timeout=2, health_check_interval=30)
