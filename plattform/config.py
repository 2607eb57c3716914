"""Configuration from environment variables, with safe embedded defaults.

Embedded default: SQLite under instance/, Celery on the SQLAlchemy transport (a SQLite file), mail to an
outbox folder. Production (KOMMUNALMATCH_ENV=production): PostgreSQL, Redis or RabbitMQ, SMTP; the app
refuses to start with the default secret key or SQLite unless told explicitly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

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


@dataclass(frozen=True)
class OidcProvider:
    """One identity provider of a Kommune or its IT service provider (OpenID Connect, e.g. Keycloak).

    `key` names it in the environment (OIDC_<KEY>_...) and, lower-cased, in its URLs
    (/konto/oidc/<slug>/...). The provider answers for the e-mail `domains`; for those in
    `password_off_domains` password sign-in is switched off. Where `authoritative_ags` names
    Kommunen, the claim `ags_claim` of the ID token makes its holder a member of those Kommunen
    without a coordinator's approval (see docs/betrieb.md, "Anmeldung über den Identitätsanbieter").
    """

    key: str
    issuer: str
    client_id: str
    client_secret: str
    name: str
    domains: tuple[str, ...]
    password_off_domains: tuple[str, ...] = ()
    authoritative_ags: tuple[str, ...] = ()
    ags_claim: str = "kommunalmatch_ags"
    scopes: str = "openid email profile"
    timeout: float = 10.0

    @property
    def slug(self) -> str:
        """The provider's name in URLs."""
        return self.key.lower().replace("_", "-")


_PROVIDER_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]{0,30}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_AGS = re.compile(r"^\d{2,8}$")


def _list(value: str | None) -> tuple[str, ...]:
    return tuple(item.strip() for item in (value or "").replace(";", ",").split(",") if item.strip())


def _seconds(value: str, name: str) -> float:
    try:
        return float(value or 10)
    except ValueError:
        raise ConfigError(f"{name} muss eine Zahl von Sekunden sein (erhalten: {value!r}).") from None


def oidc_providers_from_env(environ=None) -> tuple[OidcProvider, ...]:
    """The identity providers named in OIDC_PROVIDERS, each configured by OIDC_<KEY>_* variables."""
    environ = os.environ if environ is None else environ
    providers = []
    for key in _list(environ.get("OIDC_PROVIDERS")):
        prefix = f"OIDC_{key.upper()}_"

        def get(name: str, default: str = "", prefix=prefix) -> str:
            return environ.get(prefix + name, default).strip()

        domains = tuple(d.lower() for d in _list(get("DOMAINS")))
        password_off = get("PASSWORD_OFF")
        providers.append(
            OidcProvider(
                key=key.upper(),
                issuer=get("ISSUER"),
                client_id=get("CLIENT_ID"),
                client_secret=get("CLIENT_SECRET"),
                name=get("NAME") or key,
                domains=domains,
                password_off_domains=domains
                if password_off == "*"
                else tuple(d.lower() for d in _list(password_off)),
                authoritative_ags=_list(get("AUTHORITATIVE_AGS")),
                ags_claim=get("AGS_CLAIM") or "kommunalmatch_ags",
                scopes=get("SCOPES") or "openid email profile",
                timeout=_seconds(get("TIMEOUT"), prefix + "TIMEOUT"),
            )
        )
    return tuple(providers)


def check_oidc_providers(providers, env_name: str) -> None:
    """Refuse a provider that is incompletely or unsafely configured (German message, variable named)."""
    seen: set[str] = set()
    for p in providers:
        where = f"OIDC_{p.key}_"
        if not _PROVIDER_KEY.match(p.key) or p.slug in seen:
            raise ConfigError(
                f"OIDC_PROVIDERS: der Name {p.key!r} ist ungültig oder doppelt (erlaubt: A–Z, 0–9, _)."
            )
        seen.add(p.slug)
        for field, name in (
            ("issuer", "ISSUER"),
            ("client_id", "CLIENT_ID"),
            ("client_secret", "CLIENT_SECRET"),
        ):
            if not getattr(p, field):
                raise ConfigError(
                    f"{where}{name} fehlt: jeder Identitätsanbieter braucht Issuer, Client-ID und Secret."
                )
        parts = urlsplit(p.issuer)
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback and env_name != "production"):
            raise ConfigError(f"{where}ISSUER muss eine https://-Adresse sein (erhalten: {p.issuer!r}).")
        if parts.query or parts.fragment:
            raise ConfigError(f"{where}ISSUER darf weder Query noch Fragment enthalten.")
        if not p.domains:
            raise ConfigError(f"{where}DOMAINS fehlt: für welche E-Mail-Domains antwortet der Anbieter?")
        for domain in p.domains:
            if not _DOMAIN.match(domain):
                raise ConfigError(f"{where}DOMAINS: {domain!r} ist keine Domain (z. B. kreis-dueren.de).")
        stray = sorted(set(p.password_off_domains) - set(p.domains))
        if stray:
            raise ConfigError(
                f"{where}PASSWORD_OFF: {', '.join(stray)} steht nicht in {where}DOMAINS; die Anmeldung mit "
                "Passwort lässt sich nur für Domains abschalten, für die der Anbieter antwortet."
            )
        for ags in p.authoritative_ags:
            if not _AGS.match(ags):
                raise ConfigError(f"{where}AUTHORITATIVE_AGS: {ags!r} ist kein Gemeindeschlüssel (AGS).")
        if not p.ags_claim or not p.timeout > 0:
            raise ConfigError(f"{where}AGS_CLAIM darf nicht leer und {where}TIMEOUT muss positiv sein.")
        if "openid" not in p.scopes.split():
            raise ConfigError(f"{where}SCOPES muss „openid“ enthalten.")


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
        # Sign-in through the Kommunen's identity providers (OpenID Connect); see OidcProvider.
        "OIDC_PROVIDERS": oidc_providers_from_env(),
    }
    if overrides:
        celery_overrides = overrides.pop("CELERY", None) if "CELERY" in overrides else None
        config.update(overrides)
        if celery_overrides:
            config["CELERY"] = {**config["CELERY"], **celery_overrides}
    return config


def check_production_safety(config: dict) -> None:
    """Refuse to run production with the development secret or a SQLite file, unless told explicitly;
    refuse an incomplete or unsafe identity provider in every mode."""
    check_oidc_providers(config.get("OIDC_PROVIDERS", ()), config["ENV_NAME"])
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
