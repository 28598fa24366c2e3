"""Settings for the dealer CRM, read from the environment with defaults that work on a developer machine.

Two database roles matter (see docs/decisions.md, "Row-level security"):
- DATABASE_URL: the application role. It owns nothing, is not a superuser and cannot bypass row-level
  security. Web, worker, beat and management commands connect as it.
- DATABASE_OWNER_URL: the role that owns the tables. Only migrations (CRM_DB_AS_OWNER=1) use it.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "production" switches on every hardening that `manage.py check --deploy` asks for.
CRM_MODE = env("CRM_MODE", "development")
IS_PRODUCTION = CRM_MODE == "production"

DEBUG = env_bool("DEBUG", not IS_PRODUCTION)
SECRET_KEY = env(
    "SECRET_KEY", "" if IS_PRODUCTION else "dev-only-insecure-key-change-me-0123456789abcdefghij"
)
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when CRM_MODE=production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if IS_PRODUCTION else "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "pgtrigger",
    "pghistory",
    "pghistory.admin",
    "axes",
    "crm.core",
    "crm.network",
    "crm.timeline",
    "crm.customers",
    "crm.messaging",
    "leads",
    "service",
    "loyalty",
    "dealers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crm.core.middleware.RefuseUnstorableTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.network.middleware.UserLanguageMiddleware",
    "crm.network.middleware.RequestScopeMiddleware",
    "pghistory.middleware.HistoryMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crm.urls"
WSGI_APPLICATION = "crm.wsgi.application"

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
                "django.template.context_processors.i18n",
                "crm.core.context_processors.navigation",
                "crm.network.context_processors.dealer_switch",
                "crm.messaging.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", "postgres://crm_app@127.0.0.1:5432/crm")
DATABASE_OWNER_URL = env("DATABASE_OWNER_URL", "postgres://crm_owner@127.0.0.1:5432/crm")
# Superuser connection used once, by `manage.py db_bootstrap`, to create the roles and the database.
DATABASE_ADMIN_URL = env("DATABASE_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
DB_AS_OWNER = env_bool("CRM_DB_AS_OWNER", False)

_app_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
_owner_db = dj_database_url.parse(DATABASE_OWNER_URL, conn_max_age=0)
CRM_APP_DB_ROLE = _app_db["USER"]
CRM_OWNER_DB_ROLE = _owner_db["USER"]
DATABASES = {"default": _owner_db if DB_AS_OWNER else _app_db}
DATABASES["default"]["TEST"] = {"NAME": env("TEST_DATABASE_NAME", "test_crm")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Celery --------------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", "redis://127.0.0.1:6379/0")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
# A task whose worker died is put back: every task is idempotent, and PostgreSQL says what is done.
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# Tasks are short wake-up calls; none is scheduled far ahead, so an hour of visibility is never reached.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "crm")
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_BEAT_SCHEDULE = {
    "timeline-dispatch-sweep": {
        "task": "crm.timeline.tasks.timeline_dispatch_sweep",
        "schedule": crontab(minute="*"),
    },
    "messaging-tick": {
        "task": "crm.messaging.tasks.messaging_tick",
        "schedule": float(env("MESSAGING_TICK_SECONDS", "10")),
    },
    "messaging-care": {
        "task": "crm.messaging.tasks.care_messages",
        "schedule": crontab(minute="*/15"),
    },
    "leads-sla-breaches": {
        "task": "leads.tasks.sla_breaches_mark",
        "schedule": crontab(minute="*"),
    },
    # Morning digests, due-soon reminders and SLA escalation: a scan of due rows, once a minute.
    "leads-staff-reminders": {
        "task": "leads.tasks.staff_reminders",
        "schedule": crontab(minute="*"),
    },
}
# Minutes of the dealer's business hours within which a phone/internet/OEM lead gets a first contact.
LEAD_FIRST_RESPONSE_MINUTES = int(env("LEAD_FIRST_RESPONSE_MINUTES", "120"))
# Staff reminders (leads/services/reminders): minutes before a follow-up and before a first-response
# deadline that its owner is reminded; business minutes after a missed deadline that the OEM regional
# manager is told; how long after the dealer opens the morning digest may still go out; how many
# (row, recipient) pairs one scan query fetches (they are then sent a hundred at a time).
# How far back a salesperson may log a showroom visit after the fact, in days.
LEAD_VISIT_BACKLOG_DAYS = int(env("LEAD_VISIT_BACKLOG_DAYS", "7"))
# A contact attempt claimed this many minutes before it was logged is marked back-dated.
LEAD_BACKDATED_CONTACT_MINUTES = int(env("LEAD_BACKDATED_CONTACT_MINUTES", "60"))
LEAD_FOLLOW_UP_REMINDER_MINUTES = int(env("LEAD_FOLLOW_UP_REMINDER_MINUTES", "30"))
LEAD_SLA_REMINDER_MINUTES = int(env("LEAD_SLA_REMINDER_MINUTES", "30"))
LEAD_SLA_REGIONAL_ESCALATION_MINUTES = int(env("LEAD_SLA_REGIONAL_ESCALATION_MINUTES", "240"))
LEAD_DIGEST_WINDOW_MINUTES = int(env("LEAD_DIGEST_WINDOW_MINUTES", "120"))
LEAD_REMINDER_BATCH = int(env("LEAD_REMINDER_BATCH", "1000"))
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# --- Auth -----------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A showroom shares one address: lock the (user, address) pair, never the address alone, and let it cool off.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_IPWARE_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0"))
AXES_VERBOSE = False

# --- I18N -----------------------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as each language writes them (2026年12月3日 17:20 / 3 Dec 2026, 17:20); templates use the named formats.
FORMAT_MODULE_PATH = ["crm.core.formats"]
TIME_ZONE = env("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
DEFAULT_PHONE_REGION = env("DEFAULT_PHONE_REGION", "CN")
# Regions whose VINs carry a check digit in position 9 (North America and China, GB 16735).
VIN_CHECK_DIGIT_REGIONS = env_list("VIN_CHECK_DIGIT_REGIONS", "CN,US,CA,MX")

# --- Static ---------------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if IS_PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- API ------------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "crm.core.api.IdCursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "crm.core.api.exception_handler",
    "DEFAULT_METADATA_CLASS": "crm.core.api.Metadata",
    "DEFAULT_PARSER_CLASSES": [
        "crm.core.api.JSONParser",
        "crm.core.api.FormParser",
        "crm.core.api.MultiPartParser",
    ],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dealer CRM API",
    "DESCRIPTION": "Customers, vehicles and timelines across the dealer network, scoped to the caller.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "crm.core.api.document_generic_errors",
    ],
    "ENUM_NAME_OVERRIDES": {
        "CustomerKindEnum": "crm.customers.models.Customer.Kind",
        "ContactPointKindEnum": "crm.customers.models.ContactPoint.Kind",
        "ChannelEnum": "crm.customers.models.Channel",
        "ContactAttemptChannelEnum": "leads.models.ContactAttempt.Channel",
        "LeadStageEnum": "leads.models.Stage",
        "TestDriveStatusEnum": "leads.models.TestDrive.Status",
        "OrderStatusEnum": "leads.models.Order.Status",
        "LostVerdictStatusEnum": "leads.models.LostVerdict.Status",
        "ConsentStatusEnum": "crm.customers.models.Consent.Status",
    },
}

# --- History (pghistory) --------------------------------------------------------------------------------

# --- Security -------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(env("EMAIL_PORT", "1025"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "crm@dealer-crm.local")

# --- Messaging (crm/messaging) ----------------------------------------------------------------------
# Where links in messages point (unsubscribe, lead pages in staff reminders).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")
MESSAGING_CHANNELS = {
    "email": env("MESSAGING_EMAIL_CHANNEL", "crm.messaging.channels.email.EmailChannel"),
    "sms": env("MESSAGING_SMS_CHANNEL", "crm.messaging.channels.sms.HttpSmsChannel"),
}
MESSAGING_EMAIL_DOMAIN = env("MESSAGING_EMAIL_DOMAIN", "dealer-crm.local")
# The SMS gateway (development: crm/messaging/devtools/sms_simulator.py, started by `make run`).
SMS_PROVIDER_URL = env("SMS_PROVIDER_URL", "http://127.0.0.1:8025")
SMS_PROVIDER_KEY = env("SMS_PROVIDER_KEY", "dev-sms-key")
SMS_PROVIDER_TIMEOUT_SECONDS = float(env("SMS_PROVIDER_TIMEOUT_SECONDS", "10"))
SMS_SENDER_ID = env("SMS_SENDER_ID", "DEALERCRM")
# Shared secret the gateway signs receipts and replies with (HMAC-SHA256 of the body, X-Signature header).
SMS_WEBHOOK_SECRET = env("SMS_WEBHOOK_SECRET", "dev-sms-webhook-secret")
if IS_PRODUCTION and SMS_WEBHOOK_SECRET.startswith("dev-"):
    raise RuntimeError("SMS_WEBHOOK_SECRET must be set when CRM_MODE=production")
# --- Click-to-call (dl-phone: crm/messaging/channels/telephony.py; development and tests:
# crm/messaging/devtools/telephony_simulator.py, started by `make run`). The provider signs its call records
# with TELEPHONY_WEBHOOK_SECRET (HMAC-SHA256 of the body, X-Signature header), like the SMS gateway.
TELEPHONY_ADAPTER = env("TELEPHONY_ADAPTER", "crm.messaging.channels.telephony.HttpTelephony")
TELEPHONY_PROVIDER_URL = env("TELEPHONY_PROVIDER_URL", "http://127.0.0.1:8026")
TELEPHONY_PROVIDER_KEY = env("TELEPHONY_PROVIDER_KEY", "dev-telephony-key")
TELEPHONY_PROVIDER_TIMEOUT_SECONDS = float(env("TELEPHONY_PROVIDER_TIMEOUT_SECONDS", "10"))
TELEPHONY_WEBHOOK_SECRET = env("TELEPHONY_WEBHOOK_SECRET", "dev-telephony-webhook-secret")
if IS_PRODUCTION and TELEPHONY_WEBHOOK_SECRET.startswith("dev-"):
    # Click-to-call is optional: without a real secret every call record is refused (403), never trusted.
    TELEPHONY_WEBHOOK_SECRET = ""
# An answered call through click-to-call verifies a contact from this many seconds on (leads/verification.py).
LEAD_VERIFIED_CALL_MIN_SECONDS = int(env("LEAD_VERIFIED_CALL_MIN_SECONDS", "10"))
# No marketing between these local times of the dealer (or MESSAGING_DEFAULT_TIME_ZONE): such messages wait.
MESSAGING_QUIET_HOURS = tuple(env("MESSAGING_QUIET_HOURS", "21:00-08:00").split("-"))
MESSAGING_DEFAULT_TIME_ZONE = env("MESSAGING_DEFAULT_TIME_ZONE", "Asia/Shanghai")
# At most this many marketing messages per customer per this many days, across all campaigns.
MESSAGING_FREQUENCY_CAP = int(env("MESSAGING_FREQUENCY_CAP", "3"))
MESSAGING_FREQUENCY_CAP_DAYS = int(env("MESSAGING_FREQUENCY_CAP_DAYS", "7"))
MESSAGING_CAP_LOCK_SPACE = 7301  # first key of the per-customer advisory locks of the frequency cap
# Messages handed to a channel per second (0 = no limit), per channel.
MESSAGING_RATE_LIMITS = {
    "sms": int(env("MESSAGING_SMS_PER_SECOND", "0")),
    "email": int(env("MESSAGING_EMAIL_PER_SECOND", "0")),
}
MESSAGING_BATCH_SIZE = int(env("MESSAGING_BATCH_SIZE", "100"))
MESSAGING_SNAPSHOT_BATCH = int(env("MESSAGING_SNAPSHOT_BATCH", "1000"))
MESSAGING_SENDERS = int(env("MESSAGING_SENDERS", "2"))  # parallel sender chains a campaign wakes
# Requests in flight per sender to a channel that deduplicates (the SMS gateway).
MESSAGING_SEND_CONCURRENCY = int(env("MESSAGING_SEND_CONCURRENCY", "8"))
MESSAGING_MAX_ATTEMPTS = int(env("MESSAGING_MAX_ATTEMPTS", "6"))
MESSAGING_RETRY_BASE_SECONDS = int(env("MESSAGING_RETRY_BASE_SECONDS", "30"))
# A row "sending" for longer than this lost its sender (batches take seconds; tasks are killed at 120 s).
MESSAGING_SENDING_TIMEOUT_SECONDS = int(env("MESSAGING_SENDING_TIMEOUT_SECONDS", "150"))
# No progress for this long means a wake-up call was lost: the tick wakes the work again.
MESSAGING_STALL_SECONDS = int(env("MESSAGING_STALL_SECONDS", "20"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    # httpx logs every request at INFO: one line per SMS would drown the worker's log.
    "loggers": {
        "axes": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# The role that owns the narrow identity-match functions (NOLOGIN, BYPASSRLS); created by db_bootstrap.
CRM_IDENTITY_DB_ROLE = env("CRM_IDENTITY_DB_ROLE", "crm_identity")
