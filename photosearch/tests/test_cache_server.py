"""The cache (query vectors, throttles) lives on a Redis server of its own: capped, least recently used keys
evicted; the queues' server evicts nothing."""

import redis
from django.conf import settings
from django.core.cache import cache


def test_the_cache_has_a_capped_server_of_its_own_that_evicts_the_least_recently_used():
    cache_server = cache._cache.get_client(write=True)
    queue_server = redis.Redis.from_url(settings.REDIS_URL)
    assert cache_server.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
    assert int(cache_server.config_get("maxmemory")["maxmemory"]) == settings.CACHE_MAX_MEMORY_MB * 1024 * 1024
    assert queue_server.config_get("maxmemory-policy") == {"maxmemory-policy": "noeviction"}
    cache_socket = cache_server.connection_pool.connection_kwargs["path"]
    assert cache_socket != queue_server.connection_pool.connection_kwargs["path"]
