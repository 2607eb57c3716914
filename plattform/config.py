"""Configuration from environment variables, with safe embedded defaults.

Embedded default: SQLite under instance/, Celery on the SQLAlchemy transport (a SQLite file), mail to an
outbox folder. Production (KOMMUNALMATCH_ENV=production): PostgreSQL, Redis or RabbitMQ, SMTP; the app
refuses to start with the default secret key or SQLite unless told explicitly.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-nur-lokal-nicht-fuer-produktion"


class ConfigError(RuntimeError):
    """The configuration is unsafe for the chosen mode."""


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "ja", "on"}


def _transport_options(broker: str) -> dict:
    """Redis (and SQS) hand an unacknowledged task out again after the visibility timeout; the
    SQLAlchemy transport of the embedded default takes no such option (it passes them to its engine)."""
    if broker.startswith(("redis://", "rediss://", "sqs://")):
        return {"visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "600"))}
    return {}


def load_config(overrides: dict | None = None) -> dict:
    """Build the config mapping from the environment, then apply explicit overrides (tests)."""
    instance = Path(os.environ.get("KOMMUNALMATCH_INSTANCE", PROJECT_ROOT / "instance")).resolve()
    env = os.environ.get("KOMMUNALMATCH_ENV", "development")
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'kommunalmatch.db'}")
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would pick psycopg2.
        database_url = "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    broker = os.environ.get("CELERY_BROKER_URL", f"sqla+sqlite:///{instance / 'celery-broker.db'}")
    result_backend = os.environ.get("CELERY_RESULT_BACKEND")
    queue = os.environ.get("CELERY_QUEUE", "kommunalmatch")
    if not result_backend:
        if broker.startswith("redis://"):
            result_backend = broker
        else:
            result_backend = f"db+sqlite:///{instance / 'celery-results.db'}"
    config = {
        "ENV_NAME": env,
        "INSTANCE_DIR": str(instance),
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "ALLOW_SQLITE_IN_PRODUCTION": _bool("ALLOW_SQLITE_IN_PRODUCTION"),
        "ALLOW_DEFAULT_SECRET_IN_PRODUCTION": _bool("ALLOW_DEFAULT_SECRET_IN_PRODUCTION"),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Reverse proxies in front of the app that append X-Forwarded-For/-Proto; 0 ignores the headers.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        "CELERY": {
            "broker_url": broker,
            "result_backend": result_backend,
            "task_ignore_result": True,
            # Late acknowledgement: a task whose worker dies is not lost. Redis hands an unacknowledged
            # task to another worker after the visibility timeout (Redis's default is one hour); ten
            # minutes is longer than any task runs (the recompute is split into blocks), so a task
            # that is still running is never handed out twice.
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "broker_transport_options": _transport_options(broker),
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "Europe/Berlin",
            "enable_utc": True,
            "task_always_eager": _bool("CELERY_TASK_ALWAYS_EAGER"),
            "task_default_queue": queue,
            # Result keys carry the queue's name: installations (and test runs) sharing one Redis
            # keep apart, and everything of one queue can be found and removed together.
            "result_backend_transport_options": {"global_keyprefix": f"{queue}:"},
        },
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Kommunalmatch <noreply@kommunalmatch.local>"),
        "MAIL_OUTBOX_DIR": os.environ.get("MAIL_OUTBOX_DIR", str(instance / "outbox")),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": not _bool("RATELIMIT_DISABLED"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(10 * 1024 * 1024))),
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": ("de", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        "DIRECTORY_PAGE_SIZE": 25,
    }
    if overrides:
        celery_overrides = overrides.pop("CELERY", None) if "CELERY" in overrides else None
        config.update(overrides)
        if celery_overrides:
            config["CELERY"] = {**config["CELERY"], **celery_overrides}
    return config


def check_production_safety(config: dict) -> None:
    """Refuse to run production with the development secret or a SQLite file, unless told explicitly."""
    if config["ENV_NAME"] != "production":
        return
    if config["SECRET_KEY"] == DEFAULT_SECRET_KEY and not config["ALLOW_DEFAULT_SECRET_IN_PRODUCTION"]:
        raise ConfigError(
            "Produktionsbetrieb mit dem Standard-SECRET_KEY verweigert: setzen Sie SECRET_KEY. "
            "(Refusing production with the default SECRET_KEY.)"
        )
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite") and not config["ALLOW_SQLITE_IN_PRODUCTION"]:
        raise ConfigError(
            "Produktionsbetrieb mit SQLite verweigert: setzen Sie DATABASE_URL auf PostgreSQL "
            "oder ALLOW_SQLITE_IN_PRODUCTION=1. (Refusing production on SQLite.)"
        )
