"""Settings for every environment, read from the environment with safe local defaults.

Without any variable set this is the zero-setup default of `make run`: SQLite, Celery tasks run
in-process, e-mail printed to the console.
"""

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {number}")
    return number


def env_str(name: str, default: str) -> str:
    """An unset or empty variable means the default."""
    return os.environ.get(name) or default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def site_url_from(value: str) -> str:
    """SITE_URL as links use it: scheme and host (a path prefix allowed), no trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ImproperlyConfigured(
            f"SITE_URL must be the site's address, such as https://ladder.example.com, "
            f"not {value!r}"
        )
    return value.rstrip("/")


DEBUG = env_bool("DEBUG", True)
# A fixed key for local use only; production.py refuses to start without SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-local-only-pm-ladder-key"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"])

INSTALLED_APPS = [
    "config.admin_site.LadderAdminConfig",  # django.contrib.admin, on our own site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "pgtrigger",
    "import_export",  # HR's member import and the CSV exports (ladder/imports.py)
    "accounts",
    "ladder",
    "promotions",
    "notifications",
    "webhooks",
    "audit",
    "analytics",  # demographics and adverse impact: nothing imports it
    "portal",
]

MIDDLEWARE = [
    "config.middleware.APIErrorsAsJSONMiddleware",  # outermost: sees every answer
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.RequestBodyLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.middleware.SlashRedirectMiddleware",
    "config.middleware.RefuseNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "audit.routes.RouteMiddleware",
    "core.site.SiteFollowsRequestsMiddleware",  # development only: links follow the server's port
]

# Repeated failed logins (admin or auth/token/) lock that username out from that address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15, minimum=1) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "config.errors.locked_out"
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_address"
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The admin site's own templates (config/admin_site.py): searched before the apps', so
        # that admin/base_site.html there is the one every admin page extends.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        # Persistent connections: a worker or web process reuses one instead of reconnecting
        # for every task or request (that reconnect was most of a notification's cost).
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
# Parameters bound by the server: psycopg then prepares a statement a connection runs often (its
# fifth time), and PostgreSQL stops planning it anew on every request. Off
# (DATABASE_PREPARED_STATEMENTS=false) behind a pooler in transaction mode, such as PgBouncer
# before 1.21, which cannot keep a prepared statement with its connection.
POSTGRES_OPTIONS = (
    {"server_side_binding": True, "prepare_threshold": 5}
    if env_bool("DATABASE_PREPARED_STATEMENTS", True)
    else {}
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Added to what DATABASE_URL's query string sets (sslmode, sslrootcert, options...).
    DATABASES["default"].setdefault("OPTIONS", {}).update(POSTGRES_OPTIONS)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work beside the writer; IMMEDIATE takes the write lock at BEGIN, so two
    # writers queue on the busy timeout instead of failing with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]  # the admin site's stylesheet
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header is what makes DRF answer 401 rather than 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["config.filters.StrictFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.ErrorDocumentingAutoSchema",
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    # JSON for every client; the browsable API only for users signed in by session (the admin's
    # login), and only when they ask for HTML (config/renderers.py).
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "config.renderers.SessionBrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": ["config.throttling.WriteRateThrottle"],
    # No `?format=`: the docs and schema pages would answer an unknown format in HTML or YAML.
    "URL_FORMAT_OVERRIDE": None,
}
API_THROTTLE_RATES = {
    "writes": env_str("THROTTLE_WRITES", "120/min"),
    "login": env_str("THROTTLE_LOGIN", "20/min"),
}
# An API token unused for this long stops working (it is also revoked on a password change, on
# deactivation and by DELETE auth/token/).
API_TOKEN_TTL_HOURS = env_int("API_TOKEN_TTL_HOURS", 720, minimum=1)
# An invitation's link (`/invite/<token>/`, e-mailed by HR's invitation) works once, this long.
INVITE_TTL_HOURS = env_int("INVITE_TTL_HOURS", 168, minimum=1)
# Whether a member created by the identity provider over SCIM is sent an invitation to choose a
# password (off: with single sign-on they need none).
SCIM_SEND_INVITES = env_bool("SCIM_SEND_INVITES", False)
# Single sign-on with OpenID Connect (accounts/sso.py, docs/accounts.md): all off unless
# OIDC_ISSUER is set (the issuer's address, its discovery document under
# /.well-known/openid-configuration).
OIDC_ISSUER = env_str("OIDC_ISSUER", "").rstrip("/")
OIDC_CLIENT_ID = env_str("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = env_str("OIDC_CLIENT_SECRET", "")
OIDC_PROVIDER_NAME = env_str("OIDC_PROVIDER_NAME", "single sign-on")
OIDC_GROUPS_CLAIM = env_str("OIDC_GROUPS_CLAIM", "groups")
# "HR=hr-admins;Promotion committee=promo-committee": a Django group = the provider's group.
# Empty: sign-in leaves groups alone.
OIDC_ROLE_GROUPS = env_str("OIDC_ROLE_GROUPS", "")
SSO_REQUIRED_FOR_STAFF = env_bool("SSO_REQUIRED_FOR_STAFF", False)
# Proxies in front of the service that append to X-Forwarded-For. 0: the header is ignored and
# the client is the address that connected (a client can write anything in that header).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# The largest body a request may declare, refused with 413 before it is read: the API's JSON;
# a view that takes a file (the member import: its file and the form around it); any other form.
# DEBUG's error pages hide passwords in URLs (DATABASE_URL ...) as well as secret-named values.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.errors.CredentialsHidingReporterFilter"
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 64 * 1024, minimum=1024)
UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_BYTES", 5 * 1024 * 1024, minimum=1024)
UPLOAD_MAX_BODY_BYTES = UPLOAD_MAX_FILE_BYTES + 64 * 1024
FORM_MAX_BODY_BYTES = env_int("FORM_MAX_BODY_BYTES", 1024 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = FORM_MAX_BODY_BYTES
# Throttle counters must be shared by all processes: use Redis when CACHE_URL names it.
CACHE_URL = env_str("CACHE_URL", "")
CACHES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
if CACHE_URL:
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": CACHE_URL,
        # A cache that does not answer must not hold a request up (throttling then fails open).
        "OPTIONS": {"socket_connect_timeout": 0.3, "socket_timeout": 0.5},
    }

SPECTACULAR_SETTINGS = {
    "TITLE": "PM Ladder API",
    "DESCRIPTION": (
        "Promotions of Product Managers along a nine-level career ladder: managers nominate "
        "their reports, the promotion committee reviews and decides, HR manages people's "
        "records, and everyone reads their own level and promotions.\n\n"
        "**Authentication**: `POST /api/v1/auth/token/` with a username and password answers a "
        "token; send it as `Authorization: Bearer <key>` (the `tokenAuth` scheme; "
        "`Authorization: Token <key>` works too).\n\n"
        "**Errors** answer JSON with `detail` (for people) and `code` (for programs, one of "
        "`ErrorCodeEnum`); validation errors add `errors`, the messages per field.\n\n"
        "Paths are shown without a trailing slash; every route accepts it too."
    ),
    "VERSION": "1.0.0",
    "CONTACT": {"name": "PM Ladder maintainers"},
    "LICENSE": {"name": "MIT", "url": "https://opensource.org/licenses/MIT"},
    # Relative: the paths carry /api/v1, and the API answers wherever the schema was fetched.
    "SERVERS": [{"url": "/", "description": "The server that serves this schema."}],
    "TAGS": [
        {"name": "auth", "description": "Get and revoke API tokens."},
        {
            "name": "ladder",
            "description": "The career ladder: its nine levels and the allowed moves between "
            "them. Read-only; HR edits the ladder in the admin.",
        },
        {
            "name": "members",
            "description": "People on the ladder: their level, manager and history. Everyone "
            "sees themselves, managers their direct reports, HR and the committee everyone; "
            "only HR creates and changes members.",
        },
        {
            "name": "promotions",
            "description": "Nominations and their way through review to a decision: nominate, "
            "start review, review, approve or reject, withdraw; and their timeline.",
        },
        {
            "name": "cycles",
            "description": "Promotion cycles run by HR: nominations while open, calibration "
            "(candidates compared side by side, then decided), effective dates; the calibration "
            "board, statistics and the decisions export.",
        },
        {
            "name": "nomination-requests",
            "description": "A member asks their manager for a nomination, with a packet; the "
            "manager or HR accepts (the member is nominated with that packet) or declines with a "
            "reason the member reads. Only managers and HR nominate.",
        },
        {
            "name": "delegations",
            "description": "A committee member or an Executive on leave hands their seat to "
            "someone holding the same role for some days: the delegate receives the seat's "
            "messages and votes for it (`on_behalf_of`). HR sees and manages every delegation.",
        },
        {
            "name": "notifications",
            "description": "Each user's inbox: review requests, decisions and reminders.",
        },
        {
            "name": "webhooks",
            "description": "HR's webhook endpoints: signed deliveries of promotion, member and "
            "cycle events to other systems, retried for 24 hours; each endpoint's delivery log.",
        },
        {
            "name": "audit",
            "description": "The audit chain's head (HR): publish it now and then, and any later "
            "change, deletion or reordering of an audit row before it shows (docs/audit.md).",
        },
        {
            "name": "analytics",
            "description": "Self-reported demographics (each member's own) and the adverse-impact "
            "report on promotion outcomes (People analytics only, suppressed aggregates; "
            "docs/analytics.md).",
        },
    ],
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PromotionStateEnum": "promotions.models.PromotionState",
        "EventStateEnum": "promotions.models.EVENT_STATE_CHOICES",
        "TrackEnum": "ladder.models.Track",
        "CycleStateEnum": "promotions.models.CycleState",
        "EligibilityReasonEnum": "promotions.eligibility.REASON_CHOICES",
        "ErrorCodeEnum": "config.errors.ERROR_CODES",
        "DeliveryStatusEnum": "webhooks.models.DeliveryStatus",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.postprocess",
    ],
}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
# No broker configured: tasks run in-process (the zero-setup default, never for production).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if not CELERY_BROKER_URL:
    CELERY_BROKER_URL = "memory://"
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 120, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 90, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A message not acknowledged within this time (a worker died) is delivered again.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1),
    # A request that publishes must not hang on a broker that is down.
    "socket_connect_timeout": 0.3,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 0.3
# Publishing from a request: two quick retries, then give up; the sweeper delivers later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.1,
    "interval_max": 0.1,
}
# Workers, unlike requests, keep trying to reach the broker when they start.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# Webhook deliveries have a queue of their own, consumed by their own worker (`make
# webhook-worker`): a receiver that hangs for its 5 s holds a webhook worker, never e-mail's.
# A worker started without -Q consumes both (tests, benches); `make worker` takes only "celery".
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = (
    Queue("celery", routing_key="celery"),
    Queue("webhooks", routing_key="webhooks"),  # its own key: e-mail tasks never land in it
)
CELERY_TASK_ROUTES = {
    "webhooks.tasks.webhooks_deliver": {"queue": "webhooks"},
    "webhooks.tasks.webhooks_release": {"queue": "webhooks"},
}

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "sent-mail"))
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "PM Ladder <pm-ladder@localhost>")

# --- The product's own settings -------------------------------------------------------------
PROMOTIONS_MIN_APPROVALS = env_int("PROMOTIONS_MIN_APPROVALS", 1, minimum=1)
PROMOTIONS_REVIEW_SLA_DAYS = env_int("PROMOTIONS_REVIEW_SLA_DAYS", 7, minimum=1)
# A rejected promotion may be appealed (by its candidate or nominator) this many days after.
APPEAL_WINDOW_DAYS = env_int("APPEAL_WINDOW_DAYS", 30, minimum=1)
# A nomination request still unanswered after this many days reminds the manager (daily).
NOMINATION_REQUEST_SLA_DAYS = env_int("NOMINATION_REQUEST_SLA_DAYS", 14, minimum=1)
# Nominations only within an open cycle of their track (HR may go off-cycle, with a reason).
PROMOTIONS_REQUIRE_CYCLE = env_bool("PROMOTIONS_REQUIRE_CYCLE", False)
# Cycle statistics publish no group of fewer candidates than this.
ANALYTICS_MIN_GROUP = env_int("ANALYTICS_MIN_GROUP", 5, minimum=1)
# Issue 26. Self-reported demographics: the categories offered (docs/analytics.md).
DEMOGRAPHIC_CATEGORIES = env_list("DEMOGRAPHIC_CATEGORIES", ["gender", "ethnicity", "age_band"])
# The key that signs an audit export (docs/audit.md); empty: one derived from SECRET_KEY.
AUDIT_SIGNING_KEY = env_str("AUDIT_SIGNING_KEY", "")
# The free text of promotions closed longer ago than this is removed, unless on legal hold.
RETENTION_YEARS = env_int("RETENTION_YEARS", 7, minimum=1)
NOTIFICATIONS_SWEEP_SECONDS = env_int("NOTIFICATIONS_SWEEP_SECONDS", 60, minimum=1)
# First retry of a failed delivery after this many seconds, doubling each time (up to 10 min).
NOTIFICATIONS_RETRY_BACKOFF_SECONDS = env_int("NOTIFICATIONS_RETRY_BACKOFF_SECONDS", 30, minimum=1)
# Slack direct messages (docs/notifications.md): on when a bot token is set; each member may turn
# them off on the member site. The API's address is a setting so tests answer it locally.
SLACK_BOT_TOKEN = env_str("SLACK_BOT_TOKEN", "")
SLACK_API_URL = env_str("SLACK_API_URL", "https://slack.com/api/")
# Webhooks (docs/webhooks.md). Private URLs: loopback, private, link-local and reserved
# addresses (and plain http under production settings), for development and tests only.
WEBHOOKS_ALLOW_PRIVATE_URLS = env_bool("WEBHOOKS_ALLOW_PRIVATE_URLS", False)
WEBHOOKS_REQUIRE_HTTPS = False  # production: True
# First retry of a failed delivery after this many seconds, doubling each time (up to an hour).
WEBHOOKS_RETRY_BACKOFF_SECONDS = env_int("WEBHOOKS_RETRY_BACKOFF_SECONDS", 30, minimum=1)
WEBHOOKS_SWEEP_SECONDS = env_int("WEBHOOKS_SWEEP_SECONDS", 60, minimum=1)
# A worker holds a delivery this long while sending; a dead worker's hold runs out. Longer than
# the task time limit, so a receiver that answers a byte at a time is never sent to twice at once.
WEBHOOKS_HOLD_SECONDS = env_int("WEBHOOKS_HOLD_SECONDS", 180, minimum=10)
# An endpoint whose every attempt has failed for this long is disabled (a count of failures would
# disable it in a burst under load). While disabled its events are held, for at most the days.
WEBHOOKS_DISABLE_AFTER_HOURS = env_int("WEBHOOKS_DISABLE_AFTER_HOURS", 72, minimum=1)
WEBHOOKS_HOLD_DAYS = env_int("WEBHOOKS_HOLD_DAYS", 7, minimum=1)

# Links in e-mails start here (docs/notifications.md, "Links"). Unset, in development: the port
# the server runs on (PORT, which `make run`, `make serve` and `make demo` pass on), and while a
# request is served, the address it came to (core.site). Production never follows a request.
SITE_URL = site_url_from(
    env_str("SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}")
)
SITE_URL_FOLLOWS_REQUESTS = not os.environ.get("SITE_URL")

CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {
        "task": "notifications.tasks.notifications_sweep",
        "schedule": NOTIFICATIONS_SWEEP_SECONDS,
    },
    "webhooks-sweep": {
        "task": "webhooks.tasks.webhooks_sweep",
        "schedule": WEBHOOKS_SWEEP_SECONDS,
    },
    "promotions-remind-overdue": {
        "task": "promotions.tasks.promotions_remind_overdue",
        "schedule": 3600,  # hourly; each promotion reminds at most once a day
    },
    "accounts-purge-expired-tokens": {
        "task": "accounts.tasks.api_tokens_purge_expired",
        "schedule": 3600,
    },
    # Both idempotent; hourly, so a day's change happens early in the day and after downtime.
    "promotions-apply-effective": {
        "task": "promotions.tasks.promotions_apply_effective",
        "schedule": 3600,
    },
    "promotions-release-due": {
        "task": "promotions.tasks.promotions_release_due",
        "schedule": 3600,
    },
    "cycles-calibrate-due": {
        "task": "promotions.tasks.cycles_calibrate_due",
        "schedule": 3600,
    },
    "promotions-purge-idempotency-keys": {
        "task": "promotions.tasks.promotions_purge_idempotency_keys",
        "schedule": 3600,
    },
    "nomination-requests-remind": {
        "task": "promotions.tasks.nomination_requests_remind",
        "schedule": 3600,  # hourly; each request reminds its manager at most once a day
    },
    # Idempotent; daily is enough for a policy counted in years.
    "promotions-retention": {
        "task": "promotions.tasks.promotions_retention",
        "schedule": 86400,
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Static files: in development whitenoise serves them straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Celery closes the database connection around every task unless told to reuse it; reusing it
# (for up to this many tasks) removes a reconnect per task. Broken connections are still caught
# by CONN_HEALTH_CHECKS.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000, minimum=0)

# --- The member site ------------------------------------------------------------------------
# How often one client address may ask for password reset links (the answer stays the same).
PASSWORD_RESET_REQUESTS_PER_HOUR = env_int("PASSWORD_RESET_REQUESTS_PER_HOUR", 20, minimum=1)
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"
