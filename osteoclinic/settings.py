"""OsteoClinic settings: one module, read from the environment (see .env.example)."""

import datetime
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from exc


# pytest imports settings itself; tests get a throwaway key rather than an error.
TESTING = "pytest" in sys.modules or (len(sys.argv) > 1 and sys.argv[1] == "test")
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if DEBUG or TESTING:
        SECRET_KEY = "insecure-development-key-never-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (see .env.example), "
            "or set DEBUG=true for local development."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG or TESTING else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


def code_digest(apps: tuple[str, ...]) -> str:
    """A digest of our apps' code and templates and of the pinned requirements: the same on every
    server of one deploy."""
    import hashlib

    digest = hashlib.sha256()
    for app in apps:
        for path in sorted((BASE_DIR / app).rglob("*")):
            if path.suffix in (".py", ".html"):
                digest.update(path.read_bytes())
    # The libraries' pinned versions: a new crispy-forms or Django renders differently.
    digest.update((BASE_DIR / "requirements.txt").read_bytes())
    return digest.hexdigest()[:16]


# Part of the key of every cached page part and export, so a deploy never serves what older
# code rendered. A deploy may name its release instead (a commit id, say).
CODE_VERSION = os.environ.get("CODE_VERSION") or code_digest(
    ("patients", "scans", "education", "liaison", "osteoclinic")
)

INSTALLED_APPS = [
    # Django's admin with our site: "view on site" answers 404 to whoever may not see it.
    "osteoclinic.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    # Before django_tasks_db: its `db_worker` command is the library's with our clock beside it.
    "jobs",
    "django_tasks",
    "django_tasks_db",
    "outbox",
    "patients",
    "scans",
    "exchange",
    "education",
    "liaison",
    "osteoclinic",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "osteoclinic.middleware.SecurityHeadersMiddleware",
    "osteoclinic.middleware.IdleTimeoutMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into its lockout page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses sign-in for a locked-out username and address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock it for the cool-off time.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Sign-in audit rows are kept this long, then removed by `manage.py prune_signin_audit` only.
SIGNIN_AUDIT_RETENTION_DAYS = env_int("SIGNIN_AUDIT_RETENTION_DAYS", 365)
# Proxies in front of the app that append to X-Forwarded-For (0: none, the header is ignored).
# The lockout and the access log take the client's address from the entry the first of them
# added; left at 0 behind a proxy, every client has the proxy's address.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
AXES_CLIENT_IP_CALLABLE = "patients.client_ip.client_ip"
# Password reset emails: at most this many an hour to one address, and asked from one client.
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env_int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", 3)
PASSWORD_RESET_PER_CLIENT_PER_HOUR = env_int("PASSWORD_RESET_PER_CLIENT_PER_HOUR", 10)

# Staff sessions end after this many minutes without a request (patients keep Django's
# default two-week session, ended by signing out or closing access).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)

ROOT_URLCONF = "osteoclinic.urls"
WSGI_APPLICATION = "osteoclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's own templates first: the admin's registration/ pages (password reset
        # and change, signed out) would otherwise replace ours, the admin app coming first.
        "DIRS": [BASE_DIR / "osteoclinic" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "osteoclinic.context_processors.role",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server: psycopg then prepares a query run a few times on a
    # connection, and PostgreSQL stops planning it again on every request (a third of a cached
    # page's time). Off behind a pooler in transaction mode, which cannot keep prepared
    # statements.
    DATABASES["default"].setdefault("OPTIONS", {})["server_side_binding"] = env_bool(
        "DATABASE_SERVER_SIDE_BINDING", True
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server and the workers share the file: with write-ahead logging a reader never
    # waits for a writer, and a transaction takes the write lock when it begins (IMMEDIATE),
    # so it waits its turn (up to the timeout) rather than failing when another process wrote
    # since it first read.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (imports, the outbox, the daily jobs) runs on django-tasks, the backport of
# Django 6's tasks framework, with its database backend: a task is a row in the database,
# run by `manage.py db_worker` (README: Workers). Tests keep the same backend, so what a
# request enqueues is a row a test runs with the real worker loop (tests/tasks.py).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# Each worker's clock: how often it enqueues the daily jobs that are due, sends again what the
# outbox holds back, and says it is alive. A worker unheard of for three ticks is taken as
# stopped, and its running task as failed.
WORKER_CLOCK_SECONDS = env_int("WORKER_CLOCK_SECONDS", 30)
# Management commands run once a day by the workers (no cron needed).
DAILY_JOBS = [
    "sync_education",
    "refresh_status",
    "prune_signin_audit",
    "release_due_results",
    "notify_scans_due",
]
# Called by every worker's clock on each tick, with the time (`now=`).
WORKER_CLOCK_HOOKS = ["outbox.services.outbox_requeue_due"]
# The daily jobs run once each local day, from this hour on (with no worker then, at the next
# worker's first tick).
DAILY_JOBS_HOUR = env_int("DAILY_JOBS_HOUR", 2)
# Staff see on the worklist that background work is waiting once a task has been ready this
# many minutes without a worker taking it.
BACKGROUND_WAITING_MINUTES = env_int("BACKGROUND_WAITING_MINUTES", 5)
# The outbox tries a message this many times, waiting twice as long after each failure.
OUTBOX_MAX_ATTEMPTS = env_int("OUTBOX_MAX_ATTEMPTS", 10)
OUTBOX_RETRY_SECONDS = env_int("OUTBOX_RETRY_SECONDS", 60)
# HL7 v2 results (docs/clinical-rules.md §14). The listener (`manage.py hl7_listen`) refuses
# a message larger than this and closes a connection silent this long in the middle of one.
HL7_MAX_MESSAGE_BYTES = env_int("HL7_MAX_MESSAGE_BYTES", 1024 * 1024)
HL7_IDLE_SECONDS = env_int("HL7_IDLE_SECONDS", 60)
# Releasing a scan sends its results as an ORU^R01 to this MLLP endpoint (host:port), through
# the outbox; empty sends nothing. MSH-5 and MSH-6 name the receiver.
HL7_OUTBOUND_ENDPOINT = os.environ.get("HL7_OUTBOUND_ENDPOINT", "")
HL7_OUTBOUND_APPLICATION = os.environ.get("HL7_OUTBOUND_APPLICATION", "")
HL7_OUTBOUND_FACILITY = os.environ.get("HL7_OUTBOUND_FACILITY", "")
# Seconds to wait for the receiver to connect and to answer before an attempt counts as failed.
HL7_OUTBOUND_TIMEOUT = env_int("HL7_OUTBOUND_TIMEOUT", 30)
OUTBOX_SENDERS = {"hl7": "outbox.mllp.send_mllp"}
# Called with `scan=` in the transaction that releases a scan.
SCAN_RELEASE_HOOKS = ["exchange.outbound.outbound_enqueue"]

# Page parts, exports and the KPI report kept rendered under the version of the records they show
# (osteoclinic/fragments.py). Off, every page is built on the plain path and shows the same.
PAGE_PARTS_CACHE = env_bool("PAGE_PARTS_CACHE", True)

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "osteoclinic",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and development serve straight from the app folders; no collectstatic needed.
WHITENOISE_USE_FINDERS = DEBUG or TESTING
# Files browsers ask for at the site's root (/favicon.ico), served by whitenoise as they are.
WHITENOISE_ROOT = BASE_DIR / "osteoclinic" / "root"

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds to wait for the mail server; a worker never hangs on one that stopped answering.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "OsteoClinic <noreply@localhost>")
# With the file backend (a demo without a mail server), each email is a file in this folder.
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH") or str(BASE_DIR / "sent-emails")

# Production hardening: behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG and not TESTING)
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if TESTING:
    # A fast hasher keeps the suite quick; production uses Django's default (PBKDF2).
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Repeat-scan intervals in months (docs/clinical-rules.md §8: a clinic setting; "1–2 years" on
# therapy).
SCAN_INTERVAL_UNTREATED_MONTHS = env_int("SCAN_INTERVAL_UNTREATED_MONTHS", 24)
SCAN_INTERVAL_ON_TREATMENT_MONTHS = env_int("SCAN_INTERVAL_ON_TREATMENT_MONTHS", 24)
SCAN_INTERVAL_GLUCOCORTICOID_MONTHS = env_int("SCAN_INTERVAL_GLUCOCORTICOID_MONTHS", 12)

# A change in BMD since the previous released scan at a site faster than this, in % a year,
# needs a confirmation against the report before it is saved (docs/clinical-rules.md §13).
SCAN_MAX_CHANGE_PERCENT_PER_YEAR = env_int("SCAN_MAX_CHANGE_PERCENT_PER_YEAR", 10)

# The largest CSV of scans the import page accepts, and the system of MRNs in FHIR exports.
SCAN_IMPORT_MAX_BYTES = env_int("SCAN_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
FHIR_MRN_SYSTEM = os.environ.get("FHIR_MRN_SYSTEM", "urn:osteoclinic:mrn")

# Planned dates (a treatment's stop, a page's next review) are at most this many years ahead.
PLANNED_DATE_MAX_YEARS = env_int("PLANNED_DATE_MAX_YEARS", 5)

# A portal invitation link works once and for this many days.
PORTAL_INVITATION_DAYS = env_int("PORTAL_INVITATION_DAYS", 7)

# The address of the site as patients reach it, for the links in emails sent by the workers
# (no request to take it from).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Patients (who have not turned it off) are emailed this many weeks before their next scan is due.
SCAN_DUE_NOTICE_WEEKS = env_int("SCAN_DUE_NOTICE_WEEKS", 4)

# Fracture liaison (docs/clinical-rules.md §15): the window for the fracture-risk assessment and
# DXA, "12-weeks" (84 days, the IOF KPI set) or "90-days" (the UK FLS Database).
FLS_ASSESSMENT_WINDOW = os.environ.get("FLS_ASSESSMENT_WINDOW") or "12-weeks"
if FLS_ASSESSMENT_WINDOW not in ("12-weeks", "90-days"):
    raise ImproperlyConfigured(
        f"FLS_ASSESSMENT_WINDOW must be 12-weeks or 90-days, not {FLS_ASSESSMENT_WINDOW!r}."
    )
