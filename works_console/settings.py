"""Works Console settings: one module, driven by the environment (django-environ).

With no environment at all it runs on embedded defaults (SQLite, kombu's filesystem broker) so that
`make run` works on a fresh machine; DATABASE_URL and CELERY_BROKER_URL switch it to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
# A local `.env` (written by `make setup` for development, never committed) fills in what the environment leaves
# unset; production sets real environment variables and has no such file.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Required outside debug: a production deploy must never run on a key from the repository.
SECRET_KEY = env.str("DJANGO_SECRET_KEY") if not DEBUG else env.str("DJANGO_SECRET_KEY", default="dev-insecure-key")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Before django.contrib.admin, as django-modeltranslation asks (its admin integration patches the admin).
    "modeltranslation",
    "backoffice.apps.OperatorsAdminConfig",  # django.contrib.admin with the dashboard (SPEC 11)
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "formtools",
    "axes",
    "django_htmx",
    "django_celery_beat",
    "phonenumber_field",
    # The operators' second factor (SPEC 13): TOTP devices, and static devices for the recovery codes.
    "django_otp",
    "backoffice.apps.AuthenticatorAppsConfig",  # django_otp.plugins.otp_totp
    "backoffice.apps.RecoveryCodesConfig",  # django_otp.plugins.otp_static
    "accounts",
    "billing",
    "workspaces",
    "subscriptions",
    # The operators' room: it imports the apps above, none of them imports it (issue 19).
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything that reads a form body (CSRF, sessions, views): an unreadable one is a 400 here.
    "works_console.middleware.UnreadableBodyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with the second factor too (SPEC 13, backoffice/second_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "works_console.middleware.AdminBadInputMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "works_console.urls"
WSGI_APPLICATION = "works_console.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "works_console.context_processors.console_shell",
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default of `make run` (SPEC 10): beat's jobs write while people log in. WAL lets readers and
    # the writer go on together; IMMEDIATE takes the write lock when a transaction begins, so a transaction that
    # read first never fails to upgrade ("database is locked"); and a writer waits up to `timeout` seconds for
    # the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# A web process keeps its connection (issue 17): opening one per request cost My Product about a fifth of its speed,
# a page that reads nothing paying none of it. CONN_HEALTH_CHECKS above replaces a connection that died meanwhile.
# Not in debug: the development server answers each request in a new thread, which would leave its connection open.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=0 if DEBUG else 60)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A shared cache: django-ratelimit and django-axes count across processes (gunicorn workers).
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"].endswith("RedisCache"):
    # An unreachable cache fails fast, and its callers degrade (works_console/cache.py), rather than holding a
    # request for the operating system's TCP timeout.
    CACHES["default"].setdefault("OPTIONS", {}).update({"socket_connect_timeout": 1, "socket_timeout": 1})

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.validators.MaximumLengthValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "subscriptions:my-product"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login limits of both logins, the console's and NAVER WORKS Admin's (accounts/throttling.py): failures
# within the window per account and address, per address over any accounts, per account from any address.
# Past the per-account limit only addresses without a failure on that account may still try it.
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_FAILURE_LIMITS = {
    "account_and_address": env.int("LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS", default=5),
    "account": env.int("LOGIN_FAILURES_PER_ACCOUNT", default=20),
    "address": env.int("LOGIN_FAILURES_PER_ADDRESS", default=50),
}
# The console's counting is django-axes' (database handler); its own limit is the per-pair one.
AXES_HANDLER = "accounts.throttling.ConsoleLoginHandler"
AXES_FAILURE_LIMIT = "accounts.throttling.pair_failure_limit"
AXES_COOLOFF_TIME = LOGIN_FAILURE_WINDOW
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A refused attempt is not counted (nor is it on NAVER WORKS Admin): the counts are of passwords actually tried,
# and a lock ends one window after the last of them, as the lockout page says.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
# The operators' second factor (SPEC 13): the issuer shown in authenticator apps. Wrong codes are throttled by the
# login limits above (backoffice/second_factor.py), so django-otp's own per-device back-off is off.
OTP_TOTP_ISSUER = "Works Console"
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_STATIC_THROTTLE_FACTOR = 0
# The client address every limit counts by, axes', ratelimit's and our own (works_console/client_ip.py, SPEC 8):
# the proxies in front of the console, by number or by address (outermost first). None by default, and then
# X-Forwarded-For is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
AXES_CLIENT_IP_CALLABLE = "works_console.client_ip.client_ip"
RATELIMIT_IP_META_KEY = "works_console.client_ip.client_ip"
# Password reset (SPEC 8): the link works once and for one hour; requests are throttled like the login, per
# address asked about and per client (django-ratelimit, in the shared cache).
PASSWORD_RESET_TIMEOUT = 3600
PASSWORD_RESET_RATE_PER_EMAIL = env.str("PASSWORD_RESET_RATE_PER_EMAIL", default="5/15m")
PASSWORD_RESET_RATE_PER_CLIENT = env.str("PASSWORD_RESET_RATE_PER_CLIENT", default="20/15m")
# Sign-up attempts per client address (SPEC 8: "a handful of accounts per address per hour, then a clear message").
SIGNUP_RATE_PER_CLIENT = env.str("SIGNUP_RATE_PER_CLIENT", default="10/h")

# SPEC 2: English by default, Japanese and Korean shipped; calendar dates are KST, instants UTC.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ja", _("Japanese")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Seoul"
USE_TZ = True
# Catalogue data per language (django-modeltranslation): `name_ja` etc. beside `name`; a text not translated yet
# falls back to English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Vendor assets come from the npm registry at install time (package.json), never from a CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/bootstrap", BASE_DIR / "node_modules" / "bootstrap" / "dist"),
    ("vendor/htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
]
# Files the console keeps: the billing documents' PDFs (SPEC 12), rendered once and served from here ever after.
# Any Django storage backend by setting (e.g. an S3-compatible object storage through django-storages); they are
# never served as public media, only through the owner-checked download views.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": env.str("DEFAULT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    "staticfiles": {
        "BACKEND": env.str("STATICFILES_BACKEND", default="whitenoise.storage.CompressedManifestStaticFilesStorage")
    },
}
if DEBUG:
    STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"
    STATIC_ROOT = None  # `make run` serves from the finders; collectstatic is for production
    WHITENOISE_USE_FINDERS = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
PHONENUMBER_DEFAULT_REGION = "KR"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# Without a mail server (`make run`), mails are printed on the console as a person reads them: the text part
# decoded, so a link copies whole (works_console/mail_backends.py). Production sets an SMTP backend.
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="works_console.mail_backends.ReadableConsoleBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Works Console <no-reply@works-console.local>")
# The SMTP server of `EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend`. Mails go out from Celery tasks
# and jobs; the timeout bounds a server that does not answer (the password reset mail is then retried).
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)

# Domain ownership checks (SPEC 7.2, workspaces/dns.py): the resolvers asked (empty: the system's), their port,
# and the seconds a lookup may take, retries included.
WORKS_DNS_RESOLVERS = env.list("WORKS_DNS_RESOLVERS", default=[])
WORKS_DNS_PORT = env.int("WORKS_DNS_PORT", default=53)
WORKS_DNS_TIMEOUT = env.float("WORKS_DNS_TIMEOUT", default=5.0)

# Production hardening, on whenever debug is off (`manage.py check --deploy` stays quiet).
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language cookie (the header's language switcher) like the others: HTTPS only in production, not sent by
# other sites' requests, not read by scripts.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# /healthz (works_console/health.py): seconds each dependency has to answer, and seconds an answer is kept.
HEALTH_CHECK_TIMEOUT = env.float("HEALTH_CHECK_TIMEOUT", default=0.3)
HEALTH_ANSWER_SECONDS = env.float("HEALTH_ANSWER_SECONDS", default=5.0)
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (Django's own): scripts and styles only from our static files, no inline script, no
# inline style, no eval. Bootstrap's CSS draws its form icons from data: SVGs. JavaScript lives in static/js/.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
if DEBUG:
    # `make run`: Django's debug pages have inline styles and scripts; the browser still reports what the policy
    # would refuse (on its console), without refusing it.
    SECURE_CSP, SECURE_CSP_REPORT_ONLY = {}, SECURE_CSP
# Permissions-Policy (django-permissions-policy): the console uses none of these browser features.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}

# --- Billing and lifecycle rules (SPEC 3, 5.6, 6) ---
VAT_RATE = env.str("VAT_RATE", default="0.10")  # parsed as a Decimal/Fraction, never a float
EARLY_TERMINATION_RATE = env.str("EARLY_TERMINATION_RATE", default="0.10")
# The issuer block of every invoice and credit note (SPEC 12). The defaults name NAVER Cloud for a demo; a real
# deployment sets its own (the registration number default is a placeholder).
BILLING_ISSUER = {
    "name": env.str("BILLING_ISSUER_NAME", default="NAVER Cloud Corp."),
    "registration_number": env.str("BILLING_ISSUER_REGISTRATION_NUMBER", default="000-00-00000"),
    "address": env.str(
        "BILLING_ISSUER_ADDRESS",
        default="NAVER 1784, 95 Jeongjail-ro, Bundang-gu, Seongnam-si, Gyeonggi-do 13561, Republic of Korea",
    ),
    "contact": env.str("BILLING_ISSUER_CONTACT", default="www.ncloud.com · +82 1544-5876"),
}
# /metrics (SPEC 11) answers staff, and a Prometheus scraper sending "Authorization: Bearer <this token>".
# Empty: staff only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
TRIAL_DAYS = 30
TRIAL_GRACE_DAYS = env.int("TRIAL_GRACE_DAYS", default=30)
TRIAL_MEMBER_LIMIT = 1_000

# --- Celery (works_console/celery.py reads every CELERY_* setting) ---
# The longest a single task may run. The lifecycle jobs fan out into chunk messages of ~1,000 rows (SPEC 6, 10),
# so the longest task is a chunk, or a job's planning of its chunks: seconds on PostgreSQL, minutes at worst.
# A run's record with no heartbeat for longer than this is dead (closed as abandoned by the next run), and the
# broker redelivers an unacknowledged message (acks_late: its worker was killed) after a minute more.
TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=5 * 60)
JOB_RUN_STALE_AFTER = TASK_TIME_LIMIT
# Due rows per chunk message of the lifecycle jobs (~1,000 measured fastest: bounded queries and memory per chunk).
JOB_CHUNK_SIZE = env.int("JOB_CHUNK_SIZE", default=1000)
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    # The embedded default for `make run`: kombu's filesystem transport in var/broker.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(VAR_DIR / "broker" / "out"),
        "data_folder_out": str(VAR_DIR / "broker" / "out"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "store_processed": False,
        # The exchange-queue tables; kombu's default is `control/` in the working directory (the checkout).
        "control_folder": str(VAR_DIR / "broker" / "control"),
    }
else:
    # Above the longest task (a chunk), so a running chunk is never redelivered to a second worker, and no more:
    # the message of a killed worker waits this long before another worker takes it (docs/operations.md).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": TASK_TIME_LIMIT + 60}
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = TASK_TIME_LIMIT - 30
CELERY_TASK_TIME_LIMIT = TASK_TIME_LIMIT
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The worker's log lines carry the job run id too: every record has it (works_console/logging.py).
CELERY_WORKER_LOG_FORMAT = "[%(asctime)s: %(levelname)s/%(processName)s] [job_run=%(job_run)s] %(message)s"
CELERY_WORKER_TASK_LOG_FORMAT = (
    "[%(asctime)s: %(levelname)s/%(processName)s] %(task_name)s[%(task_id)s] [job_run=%(job_run)s] %(message)s"
)
# The lifecycle jobs (SPEC 6). django-celery-beat copies these into its tables on start; operators then
# change the schedule in Django admin. Each message expires before the next run is due, so a backlog of
# stale messages never piles up behind a stopped worker.
_EVERY_15_MINUTES = 15 * 60
CELERY_BEAT_SCHEDULE = {
    name: {"task": task, "schedule": _EVERY_15_MINUTES, "options": {"expires": _EVERY_15_MINUTES}}
    for name, task in (
        # Reserved paid conversions whose start date has come (first: a converted trial must not expire).
        ("activate-scheduled-conversions", "subscriptions.tasks.activate_scheduled_conversions"),
        # Close ended billing periods (invoices) and apply the renewal option at a term's end.
        ("renew-subscriptions", "billing.tasks.renew_subscriptions"),
        # Reserved cancellations whose date has come: final invoice, terminated, purge.
        ("execute-scheduled-cancellations", "subscriptions.tasks.execute_scheduled_cancellations"),
        # Trials past their last day to suspended; suspended past the grace to terminated and purged.
        ("expire-trials", "subscriptions.tasks.expire_trials"),
        # Reminder e-mails (trial ending, cancellation coming, term ending, invoice issued), each once.
        ("send-reminders", "subscriptions.tasks.send_reminders"),
    )
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line says which job run it belongs to, "-" outside one: every record carries it
    # (works_console/logging.py).
    "formatters": {"default": {"format": "%(asctime)s %(levelname)s %(name)s [job_run=%(job_run)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
