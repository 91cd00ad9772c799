"""Production settings for the bench server, plus the floor views' URLs."""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")

from config.settings.production import *  # noqa: E402, F403

ROOT_URLCONF = "bench.urls"
# The load comes from one address and a few users: throttles would measure themselves.
API_THROTTLE_RATES = {"writes": "10000000/min", "login": "10000000/min"}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
