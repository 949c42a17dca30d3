"""How this project talks to Redis: the channel layer (dashboard websockets) and the cache
(rate limits, the entry-point catalogue), each with timeouts that suit what it does.

The channel layer waits for a socket's next message with a blocking pop that Redis holds
open for RedisChannelLayer.brpop_timeout (5 s). redis-py 8 gives every read a 5 s socket
timeout by default, so an idle socket's read timed out just before the pop returned, and the
consumer died with it (websocket close 1011 every 5-6 s). Its read timeout must outlast the
pop; being finite, it still ends a read from a Redis that stopped answering.
"""

from channels_redis.core import RedisChannelLayer

CONNECT_TIMEOUT_SECONDS = 2.0
CHANNEL_LAYER_READ_TIMEOUT_SECONDS = RedisChannelLayer.brpop_timeout + 10.0
# Rate limits fail open when the cache fails (config/edge.py): a Redis that stopped answering
# should cost a request a second, not redis-py's default five.
CACHE_READ_TIMEOUT_SECONDS = 1.0


def channel_layer(url: str, prefix: str = "") -> dict:
    """The CHANNEL_LAYERS entry for the Redis at `url`; `prefix` goes before every key (and
    channels_redis' own "asgi"), so installations or test workers can share one Redis."""
    return {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "prefix": f"{prefix}asgi",
            "hosts": [
                {
                    "address": url,
                    "socket_connect_timeout": CONNECT_TIMEOUT_SECONDS,
                    "socket_timeout": CHANNEL_LAYER_READ_TIMEOUT_SECONDS,
                }
            ],
        },
    }


def cache(url: str, prefix: str = "") -> dict:
    """The CACHES entry for the Redis at `url`, its keys after `prefix`: django-redis, which
    keeps one client per connection pool where Django's own RedisCache builds a new one for
    every operation (bench/cache.py: about half the CPU per GET, on the submission's path
    several times)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": prefix,
        "OPTIONS": {
            "SOCKET_CONNECT_TIMEOUT": CACHE_READ_TIMEOUT_SECONDS,
            "SOCKET_TIMEOUT": CACHE_READ_TIMEOUT_SECONDS,
        },
    }
