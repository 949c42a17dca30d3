"""Settings of the bare application: only what Django needs to answer and to write."""

import os

import dj_database_url

SECRET_KEY = "bench-only-bare-application"  # noqa: S105 (never deployed)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "bench.bare_app.urls"
USE_TZ = True
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=0)}
# The project's pool settings (config/settings.py), so the two differ only in what runs.
DATABASES["default"]["OPTIONS"] = {
    "pool": {"min_size": 1, "max_size": int(os.environ.get("DB_POOL_MAX", "10")), "timeout": 5}
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
