"""Settings for the dealer CRM, read from the environment with defaults that work on a developer machine.

Two database roles matter (see docs/decisions.md, "Row-level security"):
- DATABASE_URL: the application role. It owns nothing, is not a superuser and cannot bypass row-level
  security. Web, worker, beat and management commands connect as it.
- DATABASE_OWNER_URL: the role that owns the tables. Only migrations (CRM_DB_AS_OWNER=1) use it.
- DATABASE_REPLICA_URL (optional): a streaming replica, as the application role, that the OEM's reports,
  dashboards and exports read from (crm/core/replica.py).
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.csp import CSP
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
    # Pages compressed on the way out (a showroom's weak link); Django's gzip pads each response against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The Content-Security-Policy header (SECURE_CSP below): no inline script runs, whatever a page prints.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "crm.core.middleware.RefuseUnstorableTextMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "crm.network.middleware.UserLanguageMiddleware",
    "crm.network.middleware.RequestScopeMiddleware",
    # Inside the request's transaction: a request that wrote keeps its user's reports on the primary until the
    # replica has replayed the write (not installed without DATABASE_REPLICA_URL).
    "crm.core.replica.ReadYourWritesMiddleware",
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
# Behind PgBouncer in transaction mode a server-side cursor cannot outlive its transaction's server
# connection; everything else works as is (the row-level-security scope is set per transaction already).
DATABASE_BEHIND_PGBOUNCER = env_bool("DATABASE_BEHIND_PGBOUNCER", False)
if DATABASE_BEHIND_PGBOUNCER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# A streaming replica for reports (crm/core/replica.py says what reads there). Empty: everything on the primary.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", "")
# Past this replay lag (seconds) the replica is not read; after failing to reach it, the primary serves this long.
DATABASE_REPLICA_MAX_LAG_SECONDS = float(env("DATABASE_REPLICA_MAX_LAG_SECONDS", "30"))
DATABASE_REPLICA_RETRY_SECONDS = float(env("DATABASE_REPLICA_RETRY_SECONDS", "30"))
if DATABASE_REPLICA_URL and not DB_AS_OWNER:
    _replica_db = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60, conn_health_checks=True)
    # A dead replica must cost a report a moment, not the operating system's connect timeout.
    _replica_db.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    _replica_db["DISABLE_SERVER_SIDE_CURSORS"] = DATABASE_BEHIND_PGBOUNCER
    _replica_db["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica_db
    DATABASE_ROUTERS = ["crm.core.replica.ReplicaRouter"]
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
# Tasks go to three queues named after the default one ("crm", "crm.realtime", "crm.bulk"), each with its own
# worker in production, so a campaign's listing and sending never delay reminders and escalations. Which task
# goes where: crm/celery.py (TASK_LANES), the one place.
CELERY_TASK_ROUTES = ("crm.celery.task_route",)
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
    # svc-care: missed complaint deadlines go to the dealer's manager, then the OEM region.
    "service-complaints-escalate": {
        "task": "service.care.tasks.complaints_escalate",
        "schedule": crontab(minute="*/5"),
    },
    # service (maintenance due): every vehicle's next service recomputed, at 02:40 in China (safety net).
    "service-maintenance-recompute": {
        "task": "service.maintenance.tasks.maintenance_recompute_nightly",
        "schedule": crontab(hour=18, minute=40),
    },
    # dealers (dl-figures): re-derive the daily facts of recent days, at 03:30 in China.
    "dealers-facts-rederive": {
        "task": "dealers.tasks.facts_rederive_recent",
        "schedule": crontab(hour=19, minute=30),
    },
}
# Minutes of the dealer's business hours within which a phone/internet/OEM lead gets a first contact.
LEAD_FIRST_RESPONSE_MINUTES = int(env("LEAD_FIRST_RESPONSE_MINUTES", "120"))
# dealers (dl-figures): how many recent days the nightly pass recomputes the daily facts of.
DEALERS_FACTS_REDERIVE_DAYS = int(env("DEALERS_FACTS_REDERIVE_DAYS", "7"))
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
# --- Service care: complaints, call-backs, recalls (svc-care) ---
# Hours from opening to the first contact and to the resolution, by severity.
SERVICE_COMPLAINT_DEADLINE_HOURS = {
    "critical": (2, 24),
    "high": (4, 48),
    "medium": (24, 120),
    "low": (48, 240),
}
# A missed deadline goes to the dealer's manager at once, and to the OEM region after this many more hours.
SERVICE_COMPLAINT_REGION_ESCALATION_HOURS = int(env("SERVICE_COMPLAINT_REGION_ESCALATION_HOURS", "24"))
# The satisfaction call after a settled repair order: from this many days after settling, until that many.
SERVICE_CALL_BACK_DAYS = (2, 3)
# True: every call-back goes to the call-centre queue; False: to another staff member of the dealer first.
SERVICE_CALL_BACKS_BY_CALL_CENTRE = env_bool("SERVICE_CALL_BACKS_BY_CALL_CENTRE", False)
# svc-appointments: the dealer-local hour from which the day-before reminders go out; public booking limits
# per caller address and per source, per minute (service/appointments).
SERVICE_APPOINTMENT_REMINDER_HOUR = int(env("SERVICE_APPOINTMENT_REMINDER_HOUR", "10"))
SERVICE_APPOINTMENT_RATE_PER_IP = int(env("SERVICE_APPOINTMENT_RATE_PER_IP", "20"))
SERVICE_APPOINTMENT_RATE_PER_SOURCE = int(env("SERVICE_APPOINTMENT_RATE_PER_SOURCE", "600"))
CELERY_BEAT_SCHEDULE |= {
    # svc-appointments: no check-in by start + the dealer's grace marks a no-show; the day-before reminders.
    "service-appointments-no-shows": {
        "task": "service.appointments.tasks.appointments_mark_no_shows",
        "schedule": crontab(minute="*/5"),
    },
    "service-appointment-reminders": {
        "task": "service.appointments.tasks.appointment_reminders_queue",
        "schedule": crontab(minute="*/15"),
    },
}
# The replacement window (set by the OEM): a repair order on a vehicle this old or this far driven gives the
# dealer's sales team a "service" lead (leads/services/replacement.py).
LEADS_REPLACEMENT_AGE_YEARS = float(env("LEADS_REPLACEMENT_AGE_YEARS", "5"))
LEADS_REPLACEMENT_KM = int(env("LEADS_REPLACEMENT_KM", "100000"))

# --- Auth -----------------------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
# A sign-in lasts a working day, then asks again (a showroom tablet passes between hands).
SESSION_COOKIE_AGE = int(env("SESSION_HOURS", "12")) * 3600
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# A showroom shares one address: lock the (user, address) pair, never the address alone, and let it cool off.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(env("AXES_COOLOFF_MINUTES", "15")) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# TLS proxies in front of the web processes (compose: 1). Sign-in throttling and the API's rate limits read
# the client's address behind them; with 0 behind a proxy every client would share the proxy's address.
AXES_IPWARE_PROXY_COUNT = int(env("AXES_PROXY_COUNT", "0"))
AXES_VERBOSE = False

# Two-factor sign-in (crm/network/two_factor): roles that must use an authenticator app; others may.
TWO_FACTOR_REQUIRED_ROLES = env_list(
    "TWO_FACTOR_REQUIRED_ROLES", "dealer_admin,call_centre_agent,regional_manager,oem_admin"
)
TWO_FACTOR_ISSUER = env("TWO_FACTOR_ISSUER", "Dealer CRM")  # the name authenticator apps list
# Wrong codes in a row before the codes are refused for TWO_FACTOR_LOCK_MINUTES (per user, any address).
TWO_FACTOR_FAILURE_LIMIT = int(env("TWO_FACTOR_FAILURE_LIMIT", "5"))
TWO_FACTOR_LOCK_MINUTES = int(env("TWO_FACTOR_LOCK_MINUTES", "15"))
# Time between the password and the code (or the enrolment) before the password must be typed again.
TWO_FACTOR_PENDING_MINUTES = int(env("TWO_FACTOR_PENDING_MINUTES", "10"))
# API tokens (crm/network/api_tokens): the longest life a token may be given, in days.
API_TOKEN_MAX_DAYS = int(env("API_TOKEN_MAX_DAYS", "365"))

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
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
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
        # Tokens made on the product's own page (crm/network/api_tokens): hashed, named, expiring, revocable.
        "crm.network.api_tokens.api.ApiTokenAuthentication",
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
    # Per signed-in user, and per client address for calls without one (web-form intake is keyed by its
    # source but posted from a site's server: generous). Addresses are read behind AXES_PROXY_COUNT proxies.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle",
        "rest_framework.throttling.AnonRateThrottle",
        "crm.network.api_tokens.api.ApiTokenRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "user": env("API_RATE_USER", "1200/minute"),
        "anon": env("API_RATE_ANON", "600/minute"),
        # Per API token, beside its user's limit: one leaking integration cannot starve the others.
        "api_token": env("API_RATE_TOKEN", "600/minute"),
    },
    "NUM_PROXIES": AXES_IPWARE_PROXY_COUNT,
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
        "DmsImportRowOutcomeEnum": "service.models.DmsImportRow.Outcome",  # svc-workshop
        "OutcomeEnum": "leads.models.ContactAttempt.Outcome",  # svc-workshop: keeps its name beside the above
        "DmsImportSourceEnum": "service.models.DmsImport.Source",  # svc-workshop
        "ScorecardStatusEnum": "dealers.models.Scorecard.Status",  # dl-gaps
        "FindingStatusEnum": "dealers.models.Finding.Status",  # dl-gaps
        "FindingSourceEnum": "dealers.models.Finding.Source",  # dl-gaps
    },
}

# --- History (pghistory) --------------------------------------------------------------------------------

# --- Security -------------------------------------------------------------------------------------------
# Content-Security-Policy: scripts only from our own static files (no inline script, no eval, no handler
# attribute). Inline style attributes stay allowed: they cannot run code, and the pages use a few dozen.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
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
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "crm@dealer-crm.local")

# --- Messaging (crm/messaging) ----------------------------------------------------------------------
# Where links in messages point (unsubscribe, lead pages in staff reminders).
SITE_URL = env("SITE_URL", "" if IS_PRODUCTION else "http://127.0.0.1:8000")
if not SITE_URL:
    raise RuntimeError("SITE_URL must be set when CRM_MODE=production (links in messages point there)")
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
# The share of a channel's rate limit that bulk senders (campaigns, care, recalls) leave to one-off messages.
MESSAGING_REALTIME_RATE_SHARE = float(env("MESSAGING_REALTIME_RATE_SHARE", "0.1"))
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

# --- Dealers' pages (dealers/, area dl-pages) ------------------------------------------------------------
# The key figure the regional landing ranks dealers on by default (a registered figure's code): the share of
# leads answered within the SLA, what the OEM's regional centres phoned dealers about. When it is not
# registered, the first figure tagged "primary", else the first scorable one.
DEALERS_PRIMARY_FIGURE = env("DEALERS_PRIMARY_FIGURE", "leads.first_response_within_sla")
# Targets per figure code ({"code": value}) the heat table colours against; a figure without one is
# coloured against its region's median. The OEM's scorecard templates are the place targets will live.
DEALERS_FIGURE_TARGETS: dict[str, float] = {}
# --- dealers: scorecards, audits, findings (dl-audit) --------------------------------------------------
# The zone in which the OEM closes a month (its scorecards are drafted the day after).
DEALERS_OEM_TIME_ZONE = env("DEALERS_OEM_TIME_ZONE", TIME_ZONE)
# Evidence files live outside the web root; only the evidence view serves them, after an access check.
DEALERS_EVIDENCE_ROOT = Path(env("DEALERS_EVIDENCE_ROOT", str(BASE_DIR / "var" / "evidence")))
DEALERS_EVIDENCE_MAX_BYTES = int(env("DEALERS_EVIDENCE_MAX_BYTES", str(10 * 1024 * 1024)))
CELERY_BEAT_SCHEDULE["dealers-scorecards-draft"] = {
    "task": "dealers.tasks.scorecards_draft",
    "schedule": crontab(minute=20, hour="*"),
}
CELERY_BEAT_SCHEDULE["dealers-findings-escalate"] = {
    "task": "dealers.tasks.findings_escalate",
    "schedule": crontab(minute=5, hour="*"),
}
# loyalty (ly-points): points expiry hourly (so each dealer zone's midnight is caught within the hour), pending
# repair-order points past their return window, the nightly tier re-evaluation.
CELERY_BEAT_SCHEDULE.update(
    {
        "loyalty-points-expire": {"task": "loyalty.tasks.points_expire", "schedule": crontab(minute=5)},
        "loyalty-pending-release": {"task": "loyalty.tasks.pending_points_release", "schedule": crontab(minute=10)},
        "loyalty-tiers-evaluate": {"task": "loyalty.tasks.tiers_evaluate", "schedule": crontab(hour=19, minute=30)},
    }
)
# --- Satisfaction surveys (loyalty, ly-surveys) ----------------------------------------------------------
SURVEY_LINK_VALID_DAYS = int(env("SURVEY_LINK_VALID_DAYS", "14"))
SURVEY_REMINDER_AFTER_DAYS = int(env("SURVEY_REMINDER_AFTER_DAYS", "3"))
# At most one survey per customer within this many days (the fatigue rule).
SURVEY_FATIGUE_DAYS = int(env("SURVEY_FATIGUE_DAYS", "30"))
# A staff change to the customer's phone or e-mail within this many days before a survey is flagged on it.
SURVEY_CONTACT_CHANGE_DAYS = int(env("SURVEY_CONTACT_CHANGE_DAYS", "14"))
# NPS-only surveys: this many days after a delivery (0: none), and to every club member once per this many days
# (0: none).
SURVEY_NPS_AFTER_DELIVERY_DAYS = int(env("SURVEY_NPS_AFTER_DELIVERY_DAYS", "90"))
SURVEY_NPS_MEMBER_PERIOD_DAYS = int(env("SURVEY_NPS_MEMBER_PERIOD_DAYS", "365"))
CELERY_BEAT_SCHEDULE |= {
    "loyalty-survey-reminders": {"task": "loyalty.tasks.survey_reminders", "schedule": crontab(minute="*/15")},
    "loyalty-survey-complaints": {"task": "loyalty.tasks.survey_complaints", "schedule": crontab(minute="*/5")},
    "loyalty-nps-invitations": {"task": "loyalty.tasks.nps_invitations", "schedule": crontab(hour=2, minute=40)},
}
