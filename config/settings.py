"""One settings module, driven by the environment (healthchecks style).

Development defaults need nothing installed: a SQLite file under var/ and Celery on kombu's
filesystem transport. Production sets DATABASE_URL, REDIS_URL, SECRET_KEY (or SECRET_KEY_FILE),
DEBUG=0 and ALLOWED_HOSTS.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Exchange, Queue

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name: str, default: str = "") -> str:
    """A setting from `NAME`, or from the file named by `NAME_FILE` (docker/k8s secrets)."""
    if name in os.environ:
        return os.environ[name]
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text().strip()
    return default


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "1" if default else "0").strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, got {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    # Development only: a fixed key so sessions survive restarts of `dev.py up`.
    SECRET_KEY = "django-insecure-development-only-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.PlannerAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from the package: the docs work offline
    "django_celery_beat",
    "asemplanner",
    "events",
    "delegations",
    "protocol",
    "reminders",
    "badges",
    "matchmaking",
    "planning",
    "portal",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header (see "Security" below)
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",  # Accept-Language or the language cookie; English by default
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"

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
                "django.template.context_processors.i18n",  # LANGUAGES and LANGUAGE_CODE for the switch
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------------------------------
# PLANNER_PGBOUNCER=1: DATABASE_URL is PgBouncer in transaction pooling mode; no server-side cursors, no prepared
# statements, nothing kept on a server session between transactions (config/databases.py, docs/deployment.md).
# Migrations go straight to PostgreSQL (another DATABASE_URL for `migrate`), not through PgBouncer.
from config.databases import database_settings, sqlite_default_url  # noqa: E402 — next to the settings it makes

DATABASE_URL = env("DATABASE_URL") or sqlite_default_url(VAR_DIR)
PLANNER_PGBOUNCER = env_bool("PLANNER_PGBOUNCER", False)
DATABASES = {
    "default": database_settings(DATABASE_URL, pgbouncer=PLANNER_PGBOUNCER, conn_max_age=int(env("CONN_MAX_AGE", "60")))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Celery -----------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test workers (pytest-xdist sets PYTEST_XDIST_WORKER) share one Redis: each keeps its own
            # keys, so one worker's debounce flag cannot swallow another's conflict check.
            "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", ""),
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", REDIS_URL)
else:
    # Files under var/, not process memory: the web process, the worker and beat must share the cache (the
    # conflict check's debounce flag is set by the web and cleared by the worker).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "KEY_PREFIX": os.environ.get("PYTEST_XDIST_WORKER", ""),
        }
    }
    # No services installed: kombu's filesystem transport lets the worker and beat run from a folder.
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://localhost//")
    broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(broker_dir / "queue"),
        "data_folder_out": str(broker_dir / "queue"),
        "processed_folder": str(broker_dir / "processed"),
        "control_folder": str(broker_dir / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", f"file://{broker_dir / 'results'}")
    if CELERY_BROKER_URL.startswith("filesystem://"):
        for folder in ("queue", "processed", "control", "results"):
            (broker_dir / folder).mkdir(parents=True, exist_ok=True)

# Reliability. Every task the planner runs is idempotent (it claims its work in the database), so a task
# may run twice but must never be lost:
# - acks_late: a message is acknowledged only after its task finished; a worker that dies mid-task leaves
#   it on the broker to be delivered again (set per task on the idempotent ones, in their decorators).
# - reject_on_worker_lost: when a pool process is killed (SIGKILL, OOM) the message goes back to the
#   queue at once instead of being acknowledged as failed.
# - prefetch 1: a worker holds one unacknowledged message per process, so a crash strands no backlog.
# - visibility timeout: Redis hands an unacknowledged message to another worker after this many seconds.
#   It must be longer than any countdown/ETA we use (else a waiting message would be delivered twice)
#   and than the longest task; the check below keeps it above PLANNER_MAX_TASK_COUNTDOWN.
# - soft shutdown: on a cold shutdown (second Ctrl-C, SIGQUIT) running tasks get this many seconds to
#   finish before the worker stops, so a deploy rarely cuts a send in half.
# - connection retry on startup: a worker started before Redis waits for it instead of exiting.
# Tasks are enqueued only after their transaction commits (transaction.on_commit), never inside it.
PLANNER_MAX_TASK_COUNTDOWN = 600
CELERY_BROKER_VISIBILITY_TIMEOUT = int(env("CELERY_BROKER_VISIBILITY_TIMEOUT", "3600"))
if CELERY_BROKER_URL.startswith("redis"):
    if CELERY_BROKER_VISIBILITY_TIMEOUT <= PLANNER_MAX_TASK_COUNTDOWN:
        raise ImproperlyConfigured(
            f"CELERY_BROKER_VISIBILITY_TIMEOUT ({CELERY_BROKER_VISIBILITY_TIMEOUT} s) must be above the longest "
            f"task countdown ({PLANNER_MAX_TASK_COUNTDOWN} s), or delayed messages are delivered twice."
        )
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = float(env("CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT", "30"))
CELERY_WORKER_ENABLE_SOFT_SHUTDOWN_ON_IDLE = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Tasks report through the database, not results; the health check asks for its result explicitly.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "Asia/Phnom_Penh"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
# Queues: the CP-SAT solver (a bilateral scheduling run may take PLANNER_SCHEDULER_SECONDS and every core) and the
# conflict checks must never hold up a reminder, so each kind of work has its own queue and, in production, its own
# workers (docs/deployment.md, "Queues"). Every task is named here; tests/config/test_queues.py fails on a task
# without a route. A worker started without -Q consumes every queue below (development: `dev.py up`, and the
# README's one-worker start); production starts one worker group per queue with -Q.
# PLANNER_REMINDER_QUEUE renames the reminders' queue (the worker tests give each run its own).
PLANNER_REMINDER_QUEUE = env("PLANNER_REMINDER_QUEUE", "reminders")
PLANNER_QUEUES = {
    "default": "celery",  # short housekeeping; also anything sent to a name no route knows
    "conflicts": "conflicts",
    "reminders": PLANNER_REMINDER_QUEUE,
    "scheduling": "scheduling",
}
CELERY_TASK_DEFAULT_QUEUE = PLANNER_QUEUES["default"]
CELERY_TASK_QUEUES = [Queue(name, Exchange(name), routing_key=name) for name in PLANNER_QUEUES.values()]
CELERY_TASK_ROUTES = {
    # Conflict checks: the debounced check after changes and the 5-minute full scan.
    "planning.check_pending_conflicts": {"queue": PLANNER_QUEUES["conflicts"]},
    "planning.scan_conflicts": {"queue": PLANNER_QUEUES["conflicts"]},
    # Reminders: the minute's sweep and the batches it claims. Nothing else runs on their workers.
    "reminders.sweep": {"queue": PLANNER_QUEUES["reminders"]},
    "reminders.send": {"queue": PLANNER_QUEUES["reminders"]},
    # The solver: bilateral scheduling runs (full, short-notice and disruption re-plans all run through it).
    "planning.schedule_bilaterals": {"queue": PLANNER_QUEUES["scheduling"]},
    # The business forum's matchmaking runs on the same solver.
    "matchmaking.plan_forum": {"queue": PLANNER_QUEUES["scheduling"]},
    # The rest is short: the 15-minute reminder re-plan (a safety net that never sends and may take seconds, so
    # not on the reminders' workers), a disruption's impact (staff wait for it: not behind a solver run),
    # protocol-task generation, the hourly and daily housekeeping, the health check.
    "reminders.sync_all": {"queue": PLANNER_QUEUES["default"]},
    "planning.assess_disruption": {"queue": PLANNER_QUEUES["default"]},
    "protocol.generate_tasks": {"queue": PLANNER_QUEUES["default"]},
    "delegations.prune_imports": {"queue": PLANNER_QUEUES["default"]},
    "delegations.purge_personal_data": {"queue": PLANNER_QUEUES["default"]},
    "events.healthcheck": {"queue": PLANNER_QUEUES["default"]},
}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# The periodic tasks beat runs. After every `migrate` a missing one is created (asemplanner/domain/bootstrap.py);
# one that exists keeps what staff changed in the admin (Periodic tasks: interval, paused, expiry) and only
# follows a change of `task` here. `expire_seconds`: a message still queued that long after beat sent it is
# dropped unrun, so while workers are down runs do not pile up on the broker, and the first run after they
# return does all the work.
PLANNER_BEAT_SCHEDULES = [
    {
        "name": "Full conflict scan",
        "task": "planning.scan_conflicts",
        "every": 5,
        "period": "minutes",
        "expire_seconds": None,
        "description": "Finds every clash and resolves the ones that disappeared.",
    },
    # Unconfirmed spreadsheet uploads may hold passport data that nobody is going to import.
    {
        "name": "Stale spreadsheet uploads",
        "task": "delegations.prune_imports",
        "every": 1,
        "period": "hours",
        "expire_seconds": 3000,
        "description": "Drops unconfirmed member-list uploads older than a day.",
    },
    # Retention: passports, birth dates, photos, travel and hotels of events whose retention has passed.
    {
        "name": "Personal data purge",
        "task": "delegations.purge_personal_data",
        "every": 1,
        "period": "days",
        "expire_seconds": 3600,
        "description": "Removes the personal data of events whose retention period after their end has passed.",
    },
    {
        "name": "Reminder sweep",
        "task": "reminders.sweep",
        "every": 1,
        "period": "minutes",
        "expire_seconds": 55,
        "description": "Claims due reminders and sends them, each exactly once.",
    },
    {
        "name": "Reminder sync",
        "task": "reminders.sync_all",
        "every": 15,
        "period": "minutes",
        "expire_seconds": 600,
        "description": "Re-plans every reminder from the rules (a safety net).",
    },
]

# --- Encryption and retention ---------------------------------------------------------------------
# Passport numbers, passport expiry and dates of birth are stored encrypted (asemplanner/crypto.py).
# PLANNER_FIELD_KEYS (or PLANNER_FIELD_KEYS_FILE): Fernet keys separated by commas or new lines; the first
# encrypts, all decrypt, so a new key goes first and the old one stays until `rotate_field_keys` has run.
# PLANNER_DIGEST_KEY (or _FILE): the HMAC key of the passport-number digest used for exact search.
from asemplanner.crypto import check_keys, parse_keys  # noqa: E402 — next to the settings it checks

PLANNER_FIELD_KEYS = parse_keys(env("PLANNER_FIELD_KEYS"))
PLANNER_DIGEST_KEY = env("PLANNER_DIGEST_KEY").strip()
if not PLANNER_FIELD_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PLANNER_FIELD_KEYS (or PLANNER_FIELD_KEYS_FILE) must be set when DEBUG is off: the Fernet key(s) that "
            "encrypt passport data, the current one first. See docs/security.md."
        )
    # Development only: a fixed key so the demo database stays readable across restarts.
    PLANNER_FIELD_KEYS = ["ZGV2ZWxvcG1lbnQtb25seS1maWVsZC1rZXktIS0hLSE="]
if not PLANNER_DIGEST_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "PLANNER_DIGEST_KEY (or PLANNER_DIGEST_KEY_FILE) must be set when DEBUG is off: the secret of the "
            "passport-number digest that exact search uses. See docs/security.md."
        )
    PLANNER_DIGEST_KEY = "development-only-digest-key"  # noqa: S105
check_keys(PLANNER_FIELD_KEYS)
# Retention is per event (Event.retention_days, default 90 days after its end and its side events'); the
# beat schedule "Personal data purge" below applies it once a day.

# --- Auth -----------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation -------------------------------------------------------------------------
# --- Languages ------------------------------------------------------------------------------------
# English (the default, and the API's) and Khmer. Every text we wrote is marked for translation; the catalogues
# live in each app's locale/ and, for the project templates, in locale/ (`manage.py messages update|compile|check`,
# docs/translation.md). A request's language: the signed-in user's choice (asemplanner.UserPreference), else the
# language cookie the switch sets, else Accept-Language; anything else falls back to English.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("km", "ខ្មែរ")]
# config/ is no installed app (its admin config is named django.contrib.admin), so its catalogue (the admin
# site's titles) is listed here for Django to find; makemessages writes config/*.py's messages there.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "config" / "locale"]
LANGUAGE_COOKIE_NAME = "planner_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Asia/Phnom_Penh"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "static")))
MEDIA_URL = "media/"
# Photos and passports are not public: MEDIA_ROOT is never served as static files.
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# --- Mail -----------------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# With EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend (rehearsals, deploy/cluster.py's drill): the
# directory every process writes its sent mail to, one file per connection.
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "planner@asem13.example")

# --- REST framework -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # JSON read strictly: depth, number range, UTF-8, duplicate keys (badges/api/parsers.py, docs/security.md).
    "DEFAULT_PARSER_CLASSES": ["badges.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "badges.api.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ASEM summit planner — print-station API",
    "DESCRIPTION": (
        "Badges for accreditation print stations and checkpoints. Authenticate with a device token "
        "(`Authorization: Bearer …`) made by accreditation staff in the admin. Every error has the shape "
        '`{"error": {"code", "message", "fields"}}`. See docs/print-stations.md.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    # No badge from Swagger's online validator: nothing is loaded from another origin (and the CSP forbids it).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security -------------------------------------------------------------------------------------
# Production (DEBUG off) gets the secure defaults; each can be relaxed explicitly, e.g. behind a
# TLS-terminating proxy that already redirects (SECURE_SSL_REDIRECT=0).
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
# Frames: nobody may frame the planner (clickjacking), said twice for old and new browsers.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = env("SECURE_REFERRER_POLICY", "same-origin")
SECURE_CROSS_ORIGIN_OPENER_POLICY = env("SECURE_CROSS_ORIGIN_OPENER_POLICY", "same-origin")
# Content-Security-Policy (django-csp 4, csp.middleware.CSPMiddleware). Scripts only from our own files: no inline
# script, no on*= handler, no eval. Every page's data reaches its script through json_script or data- attributes;
# the Swagger UI at /api/docs/ loads its start-up script as a file (SpectacularSwaggerSplitView). Styles keep
# 'unsafe-inline': the admin, the timeline's bars (left/width per bar) and Swagger UI set style attributes, and a
# style cannot run code. data: images are Swagger UI's icons. Nothing from another origin is loaded.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Rate limits ----------------------------------------------------------------------------------
# Requests a client may make, as N/s, N/m, N/h or N/d. Per device token on the checkpoint scan and verify
# endpoints (DRF throttles, badges/api/views.py): a busy gate scans a badge every second or two, 120 a minute is
# twice that; far more is a stuck scanner or someone probing QR codes. Per signed-in liaison on the portal's writes
# (every POST of every portal form together, portal/ratelimit.py with django-ratelimit): a person filling forms
# makes a few a minute. Above the rate: 429 with Retry-After. Counted in the "ratelimit" cache, which is the default
# cache's store (Redis, or the files under var/) so that every web process counts together.
PLANNER_RATE_CHECKPOINT_SCAN = env("PLANNER_RATE_CHECKPOINT_SCAN", "120/m")
PLANNER_RATE_VERIFY = env("PLANNER_RATE_VERIFY", "120/m")
PLANNER_RATE_PORTAL_WRITE = env("PLANNER_RATE_PORTAL_WRITE", "60/m")
for rate_name in ("PLANNER_RATE_CHECKPOINT_SCAN", "PLANNER_RATE_VERIFY", "PLANNER_RATE_PORTAL_WRITE"):
    if not re.fullmatch(r"[1-9]\d*/[smhd]", globals()[rate_name]):
        raise ImproperlyConfigured(
            f"{rate_name} must be a number of requests per unit, such as 120/m (units: s, m, h, d); "
            f"got {globals()[rate_name]!r}."
        )
del rate_name
CACHES["ratelimit"] = {**CACHES["default"], "KEY_PREFIX": "ratelimit" + os.environ.get("PYTEST_XDIST_WORKER", "")}
if not REDIS_URL:  # a folder of its own: clearing the default file cache must not reset the counts
    CACHES["ratelimit"]["LOCATION"] = str(VAR_DIR / "cache-ratelimit")
RATELIMIT_USE_CACHE = "ratelimit"

# --- Logging --------------------------------------------------------------------------------------
# One handler, and every line through it passes the redaction filter (asemplanner/log_redaction.py): bearer and
# device tokens, session and CSRF cookie values, invitation and password-reset links, passport-shaped values and
# the values a database constraint error names become [redacted]. The planner's own messages name objects by id
# and never log a passport number, a date of birth, a token or a session id; the filter is the net under that.
# Django's own loggers lose their default handlers (runserver's request lines, the admin mails that carry a
# request's data) and reach this one through the root. SQL (with its parameters) is never logged.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "asemplanner.log_redaction.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_secrets"]},
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django": {"handlers": [], "propagate": True},
        # These print request paths (invitation and reset tokens): redacted where the record is made, so every
        # handler sees it redacted, also one an operator adds (an error tracker) or a test's log capture.
        "django.request": {"filters": ["redact_secrets"]},
        "django.server": {"handlers": [], "propagate": True, "filters": ["redact_secrets"]},
        "django.security.csrf": {"filters": ["redact_secrets"]},
        # At DEBUG it logs every unresolved template variable with the whole template context (forms, tokens).
        "django.template": {"level": "INFO", "filters": ["redact_secrets"]},
        # The API's unexpected errors, with their traceback (a database error there names the row's values).
        "badges.api.errors": {"filters": ["redact_secrets"]},
        # django-axes logs each sign-in with the request path, which for an invitation holds its token.
        **{
            f"axes.{module}": {"filters": ["redact_secrets"]}
            for module in (
                "apps",
                "attempts",
                "helpers",
                "signals",
                "utils",
                "handlers.base",
                "handlers.database",
                "handlers.cache",
                "handlers.proxy",
                "middleware",
                "backends",
            )
        },  # fmt: skip
        "django.db.backends": {"level": "WARNING"},
    },
}

# --- The planner ----------------------------------------------------------------------------------
# Events are planned in the host's local time; the admin shows and takes times in this zone.
PLANNER_HOST_PARTNER = env("PLANNER_HOST_PARTNER", "KHM")
# Minutes of protocol margin on top of the motorcade transfer time between two commitments of one person.
PLANNER_PROTOCOL_BUFFER_MINUTES = int(env("PLANNER_PROTOCOL_BUFFER_MINUTES", "15"))
# Automatic bilateral scheduling (protocol/domain/scheduling.py): the local hours of a day in which bilaterals
# may be placed, minutes a bilateral room needs between two meetings (flags, chairs), and the CP-SAT search:
# at most this many seconds, stopping early once the plan is proven within this relative gap of the best.
PLANNER_BILATERAL_HOURS = env("PLANNER_BILATERAL_HOURS", "08:00-20:00")
PLANNER_BILATERAL_CHANGEOVER_MINUTES = int(env("PLANNER_BILATERAL_CHANGEOVER_MINUTES", "15"))
PLANNER_SCHEDULER_SECONDS = float(env("PLANNER_SCHEDULER_SECONDS", "20"))
PLANNER_SCHEDULER_GAP = float(env("PLANNER_SCHEDULER_GAP", "0.005"))
# CP-SAT workers; the scheduler uses at most one a core (more starve the worker that proves the bound: B3).
PLANNER_SCHEDULER_WORKERS = int(env("PLANNER_SCHEDULER_WORKERS", "8"))
# The scoped re-plan of the bilaterals a room out of service hits (planning/domain/room_outages.py): staff wait
# for it on the impact page, so it is bounded well below a full run.
PLANNER_OUTAGE_SOLVER_SECONDS = float(env("PLANNER_OUTAGE_SOLVER_SECONDS", "5"))
# A short-notice run (one new request placed around the published meetings) gets its own, shorter limit.
PLANNER_SHORT_NOTICE_SECONDS = float(env("PLANNER_SHORT_NOTICE_SECONDS", "5"))
# The business forum's matchmaking run (matchmaking/domain/planning.py): at most this many seconds of CP-SAT search.
PLANNER_FORUM_SOLVER_SECONDS = float(env("PLANNER_FORUM_SOLVER_SECONDS", "30"))
# Seconds a committed change waits so a burst of saves is checked by one task (see planning/domain/conflict_triggers).
PLANNER_CONFLICT_CHECK_DELAY = float(env("PLANNER_CONFLICT_CHECK_DELAY", "0.5"))
# Seconds between two refreshes of the operations board's body (admin:ops; planning/static/planning/ops-board.js).
PLANNER_OPS_REFRESH_SECONDS = int(env("PLANNER_OPS_REFRESH_SECONDS", "30"))
# Days before the first and after the last day of an event (with its side events) that travel may fall on.
PLANNER_TRAVEL_WINDOW_DAYS = int(env("PLANNER_TRAVEL_WINDOW_DAYS", "3"))
# Badge photos (delegations/domain/photos.py): the largest upload accepted, and the most pixels it may decode to.
PLANNER_PHOTO_MAX_BYTES = int(env("PLANNER_PHOTO_MAX_BYTES", str(5_000_000)))
PLANNER_PHOTO_MAX_PIXELS = int(env("PLANNER_PHOTO_MAX_PIXELS", str(40_000_000)))
# Days a liaison's invitation link stays valid.
PLANNER_INVITATION_DAYS = int(env("PLANNER_INVITATION_DAYS", "7"))
# Mail staff notices (new clashes) as well as putting them in the admin inbox.
PLANNER_NOTIFY_BY_EMAIL = env_bool("PLANNER_NOTIFY_BY_EMAIL", False)

# Reminders (reminders/). The beat sweep runs every minute; these tune what it does.
# How many reminders one send task takes: fewer tasks than reminders, small enough to spread over workers.
PLANNER_REMINDER_BATCH_SIZE = int(env("PLANNER_REMINDER_BATCH_SIZE", "250"))
# A reminder claimed by a sweep but not sent after this many seconds (its message was lost with a broker
# restart, say) is handed out again by the next sweep. Above the slowest batch send.
PLANNER_REMINDER_REQUEUE_AFTER = int(env("PLANNER_REMINDER_REQUEUE_AFTER", "300"))
# Sent more than this many minutes after it fell due, a reminder is marked late.
PLANNER_REMINDER_LATE_AFTER_MINUTES = int(env("PLANNER_REMINDER_LATE_AFTER_MINUTES", "5"))
# Tries on a mail failure before a reminder is marked failed; waits double from the first (60 s, 120 s, ...).
PLANNER_REMINDER_MAX_ATTEMPTS = int(env("PLANNER_REMINDER_MAX_ATTEMPTS", "5"))
PLANNER_REMINDER_RETRY_SECONDS = int(env("PLANNER_REMINDER_RETRY_SECONDS", "60"))
# A subject that moves by at least this many minutes after its reminder went out gets one change notice.
PLANNER_REMINDER_MATERIAL_CHANGE_MINUTES = int(env("PLANNER_REMINDER_MATERIAL_CHANGE_MINUTES", "15"))
EMAIL_TIMEOUT = int(env("EMAIL_TIMEOUT", "30"))
# Where staff and liaisons reach the planner: links in reminder mails start with it.
PLANNER_BASE_URL = env("PLANNER_BASE_URL", "http://127.0.0.1:8000")

# --- Sign-in: second factor, lockout, sessions ----------------------------------------------------------------
# docs/security.md, "Staff sign-in". Second factor: django-otp (TOTP in an authenticator app, plus one-time
# recovery codes), required for every staff account and for a liaison who enrolled one. Lockout: django-axes.
INSTALLED_APPS += [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
]
# After the authentication middleware: django-otp marks request.user verified or not; then the session limits
# (idle, absolute) may sign the user out, and only then the second factor sends staff to enrol or verify.
# AxesMiddleware turns a lockout into the lockout page; it goes last.
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
# A signed-in user's own language choice wins over the browser's (asemplanner.i18n).
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "asemplanner.middleware.UserLanguageMiddleware",
)
# After the messages middleware: a session that ends says why on the sign-in page.
MIDDLEWARE[MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1 : 0] = [
    "asemplanner.middleware.SessionLimitsMiddleware",
    "asemplanner.middleware.SecondFactorMiddleware",
]
MIDDLEWARE.append("axes.middleware.AxesMiddleware")
AUTHENTICATION_BACKENDS = [
    # Refuses a locked-out username or address before any password is checked; ModelBackend then checks the
    # password (and hashes one for an unknown username too, so both take the same time).
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# The issuer an authenticator app shows beside the account.
OTP_TOTP_ISSUER = env("PLANNER_OTP_ISSUER", "ASEM13 Planner")
# A TOTP code is accepted one 30-second step either side (clock drift), and each code only once.
OTP_TOTP_TOLERANCE = 1
# How many recovery codes an enrolment hands out.
PLANNER_RECOVERY_CODES = int(env("PLANNER_RECOVERY_CODES", "10"))

# Lockout (django-axes): failed sign-ins, wrong second-factor codes, wrong invitation or reset links and wrong
# print-station tokens count. PLANNER_LOCKOUT_FAILURES within PLANNER_LOCKOUT_MINUTES lock the account (its
# username) and, separately, the address (IP) for PLANNER_LOCKOUT_MINUTES after the last failure.
AXES_FAILURE_LIMIT = int(env("PLANNER_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(env("PLANNER_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = "asemplanner.domain.signin.lockout_parameters"
AXES_LOCKOUT_CALLABLE = "portal.second_factor.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_USERNAME_CALLABLE = "asemplanner.domain.signin.lockout_username"
# Masked in the attempt records axes keeps (the password field is masked by axes itself).
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "token",
    "password1",
    "password2",
    "new_password1",
    "new_password2",
    "csrfmiddlewaretoken",
]
# The admin lists lockouts (asemplanner/admin.py registers axes' own AccessAttempt admin; deleting one unlocks).
AXES_ENABLE_ADMIN = False
AXES_VERBOSE = False  # no banner on every manage.py command; lockouts are in the audit trail
# django-otp's own slow-down after a wrong code is left off: axes counts wrong codes with wrong passwords and
# locks out after PLANNER_LOCKOUT_FAILURES, with one message and an audit entry.
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Behind a proxy, the address to count is the one the proxy saw (only when SECURE_PROXY_SSL_HEADER says so).
AXES_IPWARE_PROXY_COUNT = int(env("PLANNER_PROXY_COUNT", "0")) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if env("PLANNER_PROXY_COUNT") else ["REMOTE_ADDR"]
)

# Sessions: staff are signed out after PLANNER_STAFF_IDLE_MINUTES without a request, liaisons (on their own
# devices, filling long forms) after PLANNER_LIAISON_IDLE_MINUTES; everyone after PLANNER_SESSION_MAX_HOURS
# whatever the activity. The session cookie lives as long as that absolute limit.
PLANNER_STAFF_IDLE_MINUTES = int(env("PLANNER_STAFF_IDLE_MINUTES", "30"))
PLANNER_LIAISON_IDLE_MINUTES = int(env("PLANNER_LIAISON_IDLE_MINUTES", "120"))
PLANNER_SESSION_MAX_HOURS = int(env("PLANNER_SESSION_MAX_HOURS", "12"))
SESSION_COOKIE_AGE = PLANNER_SESSION_MAX_HOURS * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
