"""Production: secure by default. Refuses to start without SECRET_KEY."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS, env_bool, env_int, env_list, site_url_from

if not os.environ.get("SECRET_KEY"):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Production needs a long random secret, for example: "
        "python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )
SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = env_bool("DEBUG", False)

# TLS ends at the proxy in front of us; it tells us so with this header.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
# Load balancers probe /healthz and /readyz over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/?$", r"^readyz/?$"]
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# The admin's forms behind a proxy on another origin, e.g. https://ladder.example.com
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Links in e-mails: the address the operator gives, never a request's Host header (a forged one
# would choose where the links in e-mails point). Unset: https:// and the first name in
# ALLOWED_HOSTS, an address the site certainly answers to.
SITE_URL_FOLLOWS_REQUESTS = False
if not os.environ.get("SITE_URL"):
    _named_hosts = [host for host in ALLOWED_HOSTS if host != "*" and not host.startswith(".")]
    if not _named_hosts:
        raise ImproperlyConfigured(
            "SITE_URL is not set, and ALLOWED_HOSTS names no host to derive it from. Set the "
            "address people open the site at, for example SITE_URL=https://ladder.example.com"
        )
    SITE_URL = site_url_from(f"https://{_named_hosts[0]}")
# Webhooks go out over https only (unless WEBHOOKS_ALLOW_PRIVATE_URLS, for a trial).
WEBHOOKS_REQUIRE_HTTPS = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
