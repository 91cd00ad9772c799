"""Rate limits (429). Rates come from settings at request time, so they can be tuned per
deployment (THROTTLE_* variables) and per test. Counters live in the cache (Redis when CACHE_URL
is set): when it does not answer, requests go through unthrottled, with a warning in the log,
rather than failing (django-axes, which keeps its counters in the database, still locks out
password guessing)."""

import logging

from django.conf import settings
from redis.exceptions import RedisError
from rest_framework.throttling import SimpleRateThrottle

from core.client_address import client_address

logger = logging.getLogger(__name__)


class _SettingsRateThrottle(SimpleRateThrottle):
    scope: str

    def get_rate(self):
        return settings.API_THROTTLE_RATES[self.scope]

    def get_ident(self, request):
        return client_address(request)

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except (RedisError, OSError) as exc:
            logger.warning(
                "Throttle %s not applied: the cache does not answer (%r)", self.scope, exc
            )
            return True


class WriteRateThrottle(_SettingsRateThrottle):
    """Unsafe requests, per user (per address for anonymous ones)."""

    scope = "writes"

    def allow_request(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)

    def get_cache_key(self, request, view):
        ident = request.user.pk if request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class LoginRateThrottle(_SettingsRateThrottle):
    """Token requests, per client address: guessing passwords is slow."""

    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
