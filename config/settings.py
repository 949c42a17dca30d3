"""Settings from environment variables only, with embedded defaults when unset (12-factor).

Unset, everything runs on one machine: SQLite, in-memory channel layer, console SMS,
database-backed task queue. DATABASE_URL / REDIS_URL / SMS_BACKEND switch to production services.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config import database, redis_connections
from ops.logs import logging_config as ops_logging_config

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The embedded default key only serves a local demo; production refuses to start without one.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not env_bool("ALLOW_INSECURE_DEFAULTS", True):
        raise RuntimeError("SECRET_KEY must be set when ALLOW_INSECURE_DEFAULTS is off")
    SECRET_KEY = "insecure-local-demo-key-never-use-in-production"  # noqa: S105
# Key of the phone-number hashes every lookup by phone uses (services/privacy.py). Empty:
# derived from SECRET_KEY. Changing either makes stored hashes stale: run rehash_phones.
PHONE_HASH_KEY = os.environ.get("PHONE_HASH_KEY", "")
# Key of the API keys' hashes (services/apikeys/keys.py). Empty: derived from SECRET_KEY, so
# changing SECRET_KEY without setting this invalidates every issued API key.
API_KEY_HASH_KEY = os.environ.get("API_KEY_HASH_KEY", "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
# The public base URL goes into QR codes and SMS links; Twilio signs the URL it called.
PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    # The admin site is the tenant-scoped one (services/directory/admin_site.py).
    "services.directory.adminconfig.TenantAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI from our own static files (no CDN)
    "channels",
    "django_tasks",
    # Before django_tasks_db: its `db_worker` command is replaced by ours (services/eventbus).
    "services.eventbus",
    "django_tasks_db",
    "django_fsm",
    "axes",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "services.directory",
    "services.intake",
    "services.routing",
    "services.notify",
    "services.apikeys",
    "services.open311",
    "services.governance",
    "frontend",
    "demo",
    "ops",
]

MIDDLEWARE = [
    # Probes and metrics first (pod IP as Host, plain HTTP); then every request gets an id.
    "ops.middleware.ProbeMiddleware",
    "ops.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Who made each configuration change, for its history (django-simple-history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "services.directory.middleware.TenantScopeMiddleware",
    # A request with an API key runs in the key's tenant scope (the key itself: DRF's).
    "services.apikeys.middleware.ApiKeyScopeMiddleware",
    # Roles the tenant requires 两步验证 of reach nothing before a TOTP code is verified.
    "services.directory.two_factor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.edge.RateLimitMiddleware",
    "config.edge.DatabaseUnavailableMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "services.notify.context_processors.staff_alerts",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DATABASE_STATEMENT_TIMEOUT = float(os.environ.get("DATABASE_STATEMENT_TIMEOUT", "5"))
if DATABASE_URL:
    # Health checks: after a database restart every pooled connection is dead; checking on
    # checkout (one round trip) keeps the first requests after recovery from failing.
    # A plain dict (not dj-database-url's TypedDict): the keys set below are Django's.
    DATABASES: dict[str, dict[str, Any]] = {
        "default": dict(
            dj_database_url.parse(DATABASE_URL, conn_max_age=0, conn_health_checks=True)
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # psycopg 3's pool; persistent connections must stay off when it is on.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN", "1")),
            "max_size": int(os.environ.get("DB_POOL_MAX", "10")),
            # How long a request waits for a connection before the 503 "try again" page.
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "5")),
        }
        # A database that stops answering fails requests within these (config/database.py):
        # connecting (libpq: whole seconds, at least 2), and each statement (0: unbounded,
        # e.g. for the migration Job).
        database.bounded(
            DATABASES["default"],
            connect_timeout=int(os.environ.get("DATABASE_CONNECT_TIMEOUT", "3")),
            statement_timeout=DATABASE_STATEMENT_TIMEOUT,
        )
    # DATABASE_POOLER=host:port of a PgBouncer in transaction mode (k8s/): same database and
    # credentials, reached through it. A transaction may land on any server connection, so no
    # server-side cursors (they would outlive it); Django already turns psycopg's prepared
    # statements off. Processes needing a session (the scheduler's lock) leave it empty.
    if pooler := os.environ.get("DATABASE_POOLER", ""):
        pooler_host, colon, pooler_port = pooler.rpartition(":")
        if not (pooler_host and colon and pooler_port.isdigit()):
            raise RuntimeError(f"DATABASE_POOLER must be host:port, not {pooler!r}")
        DATABASES["default"].update(
            HOST=pooler_host, PORT=pooler_port, DISABLE_SERVER_SIDE_CURSORS=True
        )
        # PgBouncer refuses libpq's `options` startup parameter, and a session setting would
        # not outlive a pooled transaction anyway: through it, the statement bound is the
        # client's wait (config/database.py) and the role's own statement_timeout (README).
        DATABASES["default"].get("OPTIONS", {}).pop("options", None)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            # Web and workers share one file: WAL lets readers run beside the writer,
            # IMMEDIATE takes the write lock up front instead of failing mid-transaction.
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # Its own file per concurrent test run (SQLITE_TEST_PATH), shared by worker processes.
            "TEST": {
                "NAME": os.environ.get("SQLITE_TEST_PATH", str(BASE_DIR / ".test-db.sqlite3"))
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channels and cache ---------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
# Before every key: several installations (or parallel test workers) can share one Redis.
REDIS_KEY_PREFIX = os.environ.get("REDIS_KEY_PREFIX", "")
if REDIS_URL:
    # Timeouts per use (config/redis_connections.py): a websocket's blocking read must outlast
    # channels_redis's 5 s pop; a rate-limit lookup must give up fast.
    CHANNEL_LAYERS = {"default": redis_connections.channel_layer(REDIS_URL, REDIS_KEY_PREFIX)}
    CACHES = {"default": redis_connections.cache(REDIS_URL, REDIS_KEY_PREFIX)}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Background tasks -----------------------------------------------------------------------
# One queue per service so each worker scales on its own. Swapping the backend for a
# broker-backed one is a settings change: services/eventbus enqueues through django_tasks.
# "deadlines": routing's bookkeeping of assigned cases, apart so it never delays routing itself.
TASK_QUEUES = ["default", "intake", "routing", "deadlines", "notify", "dashboard"]
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": TASK_QUEUES,
    }
}

# Workers beat every TASK_HEARTBEAT_SECONDS; the tasks of one silent for TASK_WORKER_TIMEOUT_SECONDS
# (killed, OOM, node lost) go back to the queue. A worker claims up to TASK_CLAIM_BATCH at once.
TASK_HEARTBEAT_SECONDS = float(os.environ.get("TASK_HEARTBEAT_SECONDS", "2"))
TASK_WORKER_TIMEOUT_SECONDS = float(os.environ.get("TASK_WORKER_TIMEOUT_SECONDS", "10"))
TASK_CLAIM_BATCH = int(os.environ.get("TASK_CLAIM_BATCH", "10"))

# --- SMS ------------------------------------------------------------------------------------
# The providers a tenant may choose from (短信设置): name → factory(tenant_id) -> backend
# (services/notify/backends.py says what a backend is). SMS_BACKEND is the default.
SMS_BACKENDS = {
    "console": "services.notify.backends.console_backend",
    "memory": "services.notify.backends.memory_backend",
    "twilio": "services.notify.backends.twilio_backend",
    "aliyun": "services.notify.aliyun.aliyun_backend",
}
SMS_BACKEND = os.environ.get("SMS_BACKEND", "console")  # console | twilio | aliyun | memory
TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
# Alibaba Cloud SMS (阿里云短信): the deployment's account; a tenant may name its own
# (ALIYUN_ACCESS_KEY_ID_<REF> / ALIYUN_ACCESS_KEY_SECRET_<REF>) in 短信设置.
ALIYUN_ACCESS_KEY_ID = os.environ.get("ALIYUN_ACCESS_KEY_ID", "")
ALIYUN_ACCESS_KEY_SECRET = os.environ.get("ALIYUN_ACCESS_KEY_SECRET", "")
ALIYUN_SMS_ENDPOINT = os.environ.get("ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com")
# Quiet hours a new tenant starts with (local time; each tenant can change its own): non-urgent
# SMS wait until they end. Empty: none.
SMS_QUIET_HOURS = os.environ.get("SMS_QUIET_HOURS", "22:00-08:00")

# --- Edge protection ------------------------------------------------------------------------
# No inline script anywhere; pages load only their own static files. Admin templates still use
# inline style attributes, hence 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
# Per public endpoint (URL name) and method: "key:rate" limits (django-ratelimit rates).
RATE_LIMITS = {
    "frontend:entry": {"POST": ["ip:30/h", "phone:10/h"]},
    "frontend:status": {"GET": ["ip:120/h"]},
    "frontend:survey": {"POST": ["ip:30/h"]},
    # Tracking number + last four digits: 5 tries an hour on one number make its 10,000
    # possible endings unguessable; 20 a client keep it from sweeping many numbers.
    "frontend:status-lookup": {"POST": ["ip:20/h", "tracking:5/h"]},
    "intake-api:api-entry-point-submit": {"POST": ["ip:30/h", "phone:10/h"]},
}
# Proxies in front of the app that append to X-Forwarded-For (k8s: 1, the ingress). The client
# is the entry that many places from its right end (config/client_address.py); 0 trusts none.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if "TRUST_X_FORWARDED_FOR" in os.environ:
    # It trusted the header's left end, which the client writes: refuse rather than guess.
    raise ImproperlyConfigured(
        "TRUST_X_FORWARDED_FOR is gone: set TRUSTED_PROXY_COUNT to the number of proxies "
        "in front of the app (1 behind the k8s ingress)"
    )
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", True)

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
# Login throttling first, then the usual password check, then staff roles' permissions
# (services/directory/policy.py: what each role may do in the admin).
AUTHENTICATION_BACKENDS = [
    "services.directory.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
    "services.directory.roles.RolePermissionBackend",
]
# Brute force: five wrong passwords for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "directory/lockout.html"
AXES_CLIENT_IP_CALLABLE = "config.client_address.client_address"
# Staff sessions end after 8 idle hours (a working day) and with the browser.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(8 * 3600)))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# A history row is a record, not an undo button: reverting would skip the forms' checks.
SIMPLE_HISTORY_REVERT_DISABLED = True

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(BASE_DIR / "media")))
# Citizens' photos: outside MEDIA_ROOT so no static/media URL ever serves them; intake's
# permission-checked view does.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", str(BASE_DIR / "private_media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("STATIC_MANIFEST", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# PRIVATE_STORAGE_BUCKET moves them to an S3-compatible bucket (Alibaba OSS, Tencent COS, MinIO,
# AWS): private objects, never a public URL; the views stream them, or with
# PRIVATE_STORAGE_SIGNED_URL_SECONDS > 0 redirect to a URL signed for that long.
if os.environ.get("PRIVATE_STORAGE_BUCKET"):
    STORAGES["private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ["PRIVATE_STORAGE_BUCKET"],
            "endpoint_url": os.environ.get("PRIVATE_STORAGE_ENDPOINT_URL") or None,
            "region_name": os.environ.get("PRIVATE_STORAGE_REGION") or None,
            "access_key": os.environ.get("PRIVATE_STORAGE_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("PRIVATE_STORAGE_SECRET_ACCESS_KEY") or None,
            # OSS and COS want virtual-hosted buckets; MinIO usually path-style.
            "addressing_style": os.environ.get("PRIVATE_STORAGE_ADDRESSING_STYLE", "virtual"),
            "location": os.environ.get("PRIVATE_STORAGE_PREFIX", ""),
            "default_acl": "private",
            "querystring_auth": True,
            "signature_version": "s3v4",
            "file_overwrite": False,
        },
    }
PRIVATE_STORAGE_SIGNED_URL_SECONDS = int(os.environ.get("PRIVATE_STORAGE_SIGNED_URL_SECONDS", "0"))

# Photo uploads on submissions (per scenario: how many; here: how big). The rules that use
# these limits live in services/intake/photos.py, for every upload path.
INTAKE_PHOTO_MAX_BYTES = int(os.environ.get("INTAKE_PHOTO_MAX_MB", "8")) * 1024 * 1024
INTAKE_PHOTO_MAX_PIXELS = int(float(os.environ.get("INTAKE_PHOTO_MAX_MEGAPIXELS", "25")) * 1e6)
INTAKE_PHOTO_TOTAL_MAX_PIXELS = int(
    float(os.environ.get("INTAKE_PHOTO_TOTAL_MAX_MEGAPIXELS", "60")) * 1e6
)
INTAKE_PHOTO_DECODES_PER_PROCESS = int(os.environ.get("INTAKE_PHOTO_DECODES_PER_PROCESS", "1"))

REST_FRAMEWORK = {
    # A partner system's API key first (its 401 carries WWW-Authenticate), then a staff session.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "services.apikeys.api.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every error as RFC 9457 problem details (services/problems.py).
    "DEFAULT_RENDERER_CLASSES": [
        "services.problems.ProblemJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # JSON through services/json_bodies.py: a body it cannot read is a clear 400, never a 500.
    "DEFAULT_PARSER_CLASSES": [
        "services.json_bodies.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "共治码 API",
    "DESCRIPTION": (
        "Case intake, reading and handling for the co-governance code (共治码).\n\n"
        "Authentication: a partner system sends its API key as `Authorization: Bearer <key>` "
        "(or `X-Api-Key: <key>`); a tenant administrator issues keys in the admin (接口密钥). "
        "Staff pages use their session instead. No or a bad key: 401 with WWW-Authenticate; "
        "a valid key that may not do this: 403; another tenant's case: 404.\n\n"
        "Errors: every error answer is RFC 9457 problem details (application/problem+json: "
        "type, title, status, detail, and errors (field → messages) for invalid input)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "services.problems.document_problems",
    ],
}

# Text by default; LOG_FORMAT=json (as in k8s/) writes one JSON object per line. Either way each
# line carries the request id that also follows the request into the tasks it enqueued.
LOGGING = ops_logging_config(
    os.environ.get("LOG_FORMAT", "text"), os.environ.get("LOG_LEVEL", "INFO")
)

# --- Operations: metrics, and HTTPS behind the ingress ---------------------------------------
# /metrics asks for `Authorization: Bearer $METRICS_TOKEN` when it is set (it is, in k8s/).
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_STATE_TTL = float(os.environ.get("METRICS_STATE_TTL", "15"))
# Finished task rows are pruned hourly (ops/housekeeping.py) after these many days.
TASK_RESULTS_KEEP_DAYS = int(os.environ.get("TASK_RESULTS_KEEP_DAYS", "7"))
TASK_FAILURES_KEEP_DAYS = int(os.environ.get("TASK_FAILURES_KEEP_DAYS", "30"))
# The ingress terminates TLS and says so in X-Forwarded-Proto; only trust that behind one.
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
