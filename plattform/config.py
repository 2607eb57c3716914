"""Configuration from environment variables, with safe embedded defaults: every setting in one table.

``SETTINGS`` lists every setting of the platform with its type, default and meaning (docs/betrieb.md,
"Einstellungen", is the same table for operators; a test keeps the two equal). ``load_config`` reads
each from the environment variable of the same name (unless noted), converts it to its type and
refuses a value that does not convert. Views and tasks read ``current_app.config[NAME]``; nothing else
reads the environment.

Embedded default: SQLite under instance/, Celery on the SQLAlchemy transport (a SQLite file), mail to an
outbox folder. Production (KOMMUNALMATCH_ENV=production): PostgreSQL, Redis or RabbitMQ, SMTP; the app
refuses to start with the default secret key or SQLite unless told explicitly.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-nur-lokal-nicht-fuer-produktion"


class ConfigError(RuntimeError):
    """The configuration is unsafe for the chosen mode, or a value does not have its type."""


@dataclass(frozen=True)
class Setting:
    """One setting: config key, type, default, meaning (German, for the operators' table), variable."""

    name: str
    type: type
    default: Any
    doc: str
    env: str | None = ""  # "" = the same name; None = not read from the environment

    @property
    def variable(self) -> str | None:
        """The environment variable that sets it."""
        return self.name if self.env == "" else self.env


_TRUE = {"1", "true", "yes", "ja", "on"}
_FALSE = {"0", "false", "no", "nein", "off", ""}


def _convert(setting: Setting, raw: str) -> Any:
    text = raw.strip()
    if setting.type is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
    elif setting.type is int:
        if text.lstrip("-").isascii() and text.lstrip("-").isdigit():
            return int(text)
    elif setting.type is float:
        try:
            return float(text)
        except ValueError:
            pass
    else:
        return raw
    raise ConfigError(
        f"{setting.variable}={raw!r} ist kein gültiger Wert (erwartet: {setting.type.__name__}). "
        f"({setting.variable} must be a {setting.type.__name__}.)"
    )


MB = 1024 * 1024
SETTINGS: tuple[Setting, ...] = (
    # --- mode, secrets, addresses
    Setting(
        "ENV_NAME",
        str,
        "development",
        "`production` verweigert den Start mit Standard-`SECRET_KEY` oder SQLite",
        "KOMMUNALMATCH_ENV",
    ),
    Setting(
        "INSTANCE_DIR",
        str,
        "instance/",
        "Ordner für SQLite-Dateien, Mail-Ausgang und Laufzeitdaten",
        "KOMMUNALMATCH_INSTANCE",
    ),
    Setting("SECRET_KEY", str, DEFAULT_SECRET_KEY, "Sitzungs- und Token-Signatur (in Produktion Pflicht)"),
    Setting("ALLOW_SQLITE_IN_PRODUCTION", bool, False, "SQLite in Produktion ausdrücklich erlauben"),
    Setting(
        "ALLOW_DEFAULT_SECRET_IN_PRODUCTION",
        bool,
        False,
        "Standard-`SECRET_KEY` in Produktion erlauben (nur Tests)",
    ),
    Setting(
        "BASE_URL",
        str,
        "http://127.0.0.1:5000",
        "Adresse der Plattform für Links in E-Mails; ungesetzt: `http://127.0.0.1:` und `PORT`, "
        "falls gesetzt",
    ),
    Setting(
        "TRUSTED_PROXIES",
        int,
        0,
        "Anzahl der Reverse Proxys vor der App; dann gelten deren `X-Forwarded-For`/`-Proto`",
    ),
    Setting(
        "OIDC_PROVIDERS",
        str,
        "",
        "Kürzel der Identitätsanbieter (OpenID Connect), durch Komma getrennt; je Anbieter `OIDC_<KÜRZEL>_…` "
        "(siehe „Anmeldung über den Identitätsanbieter“)",
    ),
    # --- database and worker
    Setting(
        "SQLALCHEMY_DATABASE_URI",
        str,
        "sqlite:///instance/kommunalmatch.db",
        "Datenbank; Produktion: `postgresql+psycopg://…`",
        "DATABASE_URL",
    ),
    Setting(
        "CELERY_BROKER_URL",
        str,
        "sqla+sqlite:///instance/celery-broker.db",
        "Celery-Broker; Produktion: `redis://…` oder `amqp://…`",
    ),
    Setting(
        "CELERY_RESULT_BACKEND",
        str,
        "",
        "Ergebnisse von Celery-Aufgaben; leer: wie der Broker (Redis) bzw. SQLite",
    ),
    Setting(
        "CELERY_QUEUE", str, "kommunalmatch", "Name der Warteschlange (und Präfix der Ergebnisse in Redis)"
    ),
    Setting(
        "CELERY_TASK_ALWAYS_EAGER", bool, False, "Aufgaben sofort im selben Prozess ausführen (nur Tests)"
    ),
    Setting(
        "CELERY_VISIBILITY_TIMEOUT",
        int,
        600,
        "Sekunden, nach denen Redis eine unbestätigte Aufgabe eines gestorbenen Workers neu vergibt",
    ),
    # --- mail
    Setting("MAIL_SERVER", str, "", "SMTP-Server; leer: Mails als Dateien in `MAIL_OUTBOX_DIR`"),
    Setting("MAIL_PORT", int, 25, "SMTP-Port"),
    Setting("MAIL_USERNAME", str, "", "SMTP-Benutzer"),
    Setting("MAIL_PASSWORD", str, "", "SMTP-Passwort"),
    Setting("MAIL_USE_TLS", bool, False, "STARTTLS zum SMTP-Server"),
    Setting("MAIL_TIMEOUT", float, 30.0, "Sekunden, die auf jede Antwort des SMTP-Servers gewartet wird"),
    Setting("MAIL_SENDER", str, "Kommunalmatch <noreply@kommunalmatch.local>", "Absender der Mails"),
    Setting(
        "MAIL_OUTBOX_DIR",
        str,
        "instance/outbox",
        "Mail-Ausgang als Dateien, wenn kein `MAIL_SERVER` gesetzt ist",
    ),
    # --- limits and requests
    Setting("RATELIMIT_STORAGE_URI", str, "memory://", "Zähler der Anfragelimits; Produktion: `redis://…`"),
    Setting("RATELIMIT_DISABLED", bool, False, "Anfragelimits abschalten (nur Tests)"),
    Setting("MAX_CONTENT_LENGTH", int, 10 * MB, "größte Anfrage in Bytes (Uploads)", "MAX_UPLOAD_BYTES"),
    Setting(
        "FRESH_LOGIN_MAX_AGE", int, 15 * 60, "Sekunden, die eine Passworteingabe für sensible Aktionen gilt"
    ),
    Setting(
        "CONFIRM_TOKEN_MAX_AGE",
        int,
        3 * 24 * 3600,
        "Gültigkeit des Bestätigungslinks nach der Registrierung (Sekunden)",
    ),
    Setting(
        "RESET_TOKEN_MAX_AGE", int, 3600, "Gültigkeit des Links zum Zurücksetzen des Passworts (Sekunden)"
    ),
    Setting(
        "EMAIL_CHANGE_TOKEN_MAX_AGE",
        int,
        24 * 3600,
        "Gültigkeit des Links zur Änderung der E-Mail-Adresse (Sekunden)",
    ),
    Setting("DIRECTORY_PAGE_SIZE", int, 25, "Einträge je Seite im Verzeichnis"),
    # --- profiles
    Setting("PROFILE_UPLOAD_MAX_BYTES", int, 5 * MB, "größte Profildatei in Bytes"),
    Setting(
        "PROFILE_IMPORT_INLINE_MAX_BYTES",
        int,
        512 * 1024,
        "Profildateien bis zu dieser Größe (Bytes) sofort importieren, größere im Hintergrund",
    ),
    # --- API
    Setting("API_RATE_LIMIT_READ", str, "300/minute", "lesende API-Anfragen je Token"),
    Setting("API_RATE_LIMIT_WRITE", str, "60/minute", "schreibende API-Anfragen je Token"),
    Setting("API_RATE_LIMIT_ANONYMOUS", str, "60/minute", "API-Anfragen ohne Token je Adresse"),
    Setting("API_MAX_BODY_BYTES", int, 64 * 1024, "größter Inhalt einer API-Anfrage in Bytes"),
    # --- partner suggestions
    Setting("MATCHING_K", int, 10, "Partnervorschläge je Kommune"),
    Setting(
        "MATCHING_NIGHTLY_AT", str, "02:30", "Uhrzeit (HH:MM, Europe/Berlin) der nächtlichen Neuberechnung"
    ),
    Setting("MATCHING_WRITE_CHUNK", int, 20_000, "Vorschläge je Schreibvorgang einer Neuberechnung"),
    Setting(
        "MATCHING_CATCHUP_MARGIN_S",
        int,
        60,
        "Sekunden vor dem Start einer Neuberechnung, deren Profiländerungen nachgeholt werden",
    ),
    Setting(
        "MATCHING_INCREMENTAL_MAX",
        int,
        50,
        "höchstens so viele geänderte Profile einzeln nachrechnen, sonst neu berechnen",
    ),
    Setting(
        "MATCHING_CHORD_MIN_ROWS",
        int,
        20_000,
        "ab so vielen Kommunen in Blöcken auf mehrere Worker verteilen",
    ),
    Setting("MATCHING_CHORD_BLOCK_ROWS", int, 6000, "Kommunen je Block der verteilten Neuberechnung"),
    # --- weekly digest
    Setting(
        "DIGEST_CRONTAB",
        str,
        "",
        "Versandzeit als Crontab (Minute Stunde Tag Monat Wochentag); leer: die drei folgenden",
    ),
    Setting("DIGEST_WEEKDAY", str, "mon", "Versandtag der Wochen-E-Mail"),
    Setting("DIGEST_HOUR", str, "7", "Versandstunde (Europe/Berlin)"),
    Setting("DIGEST_MINUTE", str, "0", "Versandminute"),
    Setting("DIGEST_SUGGESTIONS_PER_KOMMUNE", int, 5, "Partnervorschläge je Kommune in der Wochen-E-Mail"),
    Setting("DIGEST_CONFIRM_MAX_AGE_DAYS", int, 7, "Tage, die der Bestätigungslink der Wochen-E-Mail gilt"),
    Setting("DIGEST_RETRY_MAX", int, 5, "Zustellversuche einer Wochen-E-Mail nach dem ersten"),
    Setting("DIGEST_RETRY_BACKOFF", int, 60, "Sekunden bis zum ersten erneuten Versuch (verdoppelt sich)"),
    Setting("DIGEST_RETRY_BACKOFF_MAX", int, 3600, "längste Wartezeit zwischen zwei Versuchen (Sekunden)"),
    Setting(
        "DIGEST_STALE_MINUTES", int, 180, "Minuten, nach denen ein hängender Versand als abgebrochen gilt"
    ),
)
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def _read(setting: Setting, instance: Path) -> Any:
    raw = os.environ.get(setting.variable) if setting.variable else None
    if raw is None:
        default = setting.default
        if isinstance(default, str) and default.startswith("instance/"):
            return str(instance / default.removeprefix("instance/"))
        if isinstance(default, str) and default.startswith(
            ("sqlite:///instance/", "sqla+sqlite:///instance/")
        ):
            scheme, rest = default.split(":///", 1)
            return f"{scheme}:///{instance / rest.removeprefix('instance/')}"
        return default
    return _convert(setting, raw)


def _transport_options(broker: str, visibility_timeout: int) -> dict:
    """Redis (and SQS) hand an unacknowledged task out again after the visibility timeout; the
    SQLAlchemy transport of the embedded default takes no such option (it passes them to its engine)."""
    if broker.startswith(("redis://", "rediss://", "sqs://")):
        return {"visibility_timeout": visibility_timeout}
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


def _base_url(configured: str) -> str:
    """BASE_URL as set; unset, it follows PORT (`PORT=5101 make run` mails links to port 5101)."""
    if os.environ.get("BASE_URL") is not None:
        return configured
    port = (os.environ.get("PORT") or "").strip()
    if not port:
        return configured
    if not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise ConfigError(f"PORT={port!r} ist keine Portnummer. (PORT must be a port number.)")
    return f"http://127.0.0.1:{int(port)}"


def load_config(overrides: dict | None = None) -> dict:
    """Build the config mapping from the environment, then apply explicit overrides (tests)."""
    instance = Path(os.environ.get("KOMMUNALMATCH_INSTANCE", PROJECT_ROOT / "instance")).resolve()
    values = {s.name: _read(s, instance) for s in SETTINGS}
    values["INSTANCE_DIR"] = str(instance)
    values["BASE_URL"] = _base_url(values["BASE_URL"])
    database_url = values["SQLALCHEMY_DATABASE_URI"]
    if database_url.startswith("postgresql://"):
        # psycopg 3 is the driver we ship; plain postgresql:// would pick psycopg2.
        values["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + database_url.removeprefix(
            "postgresql://"
        )
    broker = values["CELERY_BROKER_URL"]
    result_backend = values["CELERY_RESULT_BACKEND"] or (
        broker if broker.startswith("redis://") else f"db+sqlite:///{instance / 'celery-results.db'}"
    )
    queue = values["CELERY_QUEUE"]
    production = values["ENV_NAME"] == "production"
    config = {
        **values,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
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
            "broker_transport_options": _transport_options(broker, values["CELERY_VISIBILITY_TIMEOUT"]),
            "worker_prefetch_multiplier": 1,
            "broker_connection_retry_on_startup": True,
            "timezone": "Europe/Berlin",
            "enable_utc": True,
            "task_always_eager": values["CELERY_TASK_ALWAYS_EAGER"],
            "task_default_queue": queue,
            # Result keys carry the queue's name: installations (and test runs) sharing one Redis
            # keep apart, and everything of one queue can be found and removed together.
            "result_backend_transport_options": {"global_keyprefix": f"{queue}:"},
        },
        "RATELIMIT_ENABLED": not values["RATELIMIT_DISABLED"],
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_DURATION": 14 * 24 * 3600,
        "BABEL_DEFAULT_LOCALE": "de",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "translations"),
        "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
        "LANGUAGES": ("de", "en"),
        "WTF_CSRF_TIME_LIMIT": None,
        # Sign-in through the Kommunen's identity providers (OpenID Connect); see OidcProvider: the
        # variables OIDC_<KEY>_* of each provider named in OIDC_PROVIDERS.
        "OIDC_PROVIDERS": oidc_providers_from_env(),
    }
    if overrides:
        celery_overrides = overrides.pop("CELERY", None) if "CELERY" in overrides else None
        config.update(overrides)
        if "RATELIMIT_DISABLED" in overrides and "RATELIMIT_ENABLED" not in overrides:
            config["RATELIMIT_ENABLED"] = not overrides["RATELIMIT_DISABLED"]
        if celery_overrides:
            config["CELERY"] = {**config["CELERY"], **celery_overrides}
    return config


def settings_table() -> list[tuple[str, str, str, str]]:
    """(variable, type, default, meaning) of every setting read from the environment (the docs' table)."""
    rows = []
    for s in SETTINGS:
        if s.variable:
            rows.append((s.variable, s.type.__name__, _shown_default(s), s.doc))
    return rows


def _shown_default(s: Setting) -> str:
    if s.type is bool:
        return "aus" if not s.default else "an"
    if s.default == "":
        return "leer"
    return str(s.default)


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
