"""Start page, health endpoint, privacy and imprint pages, the language switch, error handlers."""

from __future__ import annotations

import logging
from urllib.parse import urlencode, urlsplit

import click
import sqlalchemy as sa
from flask import abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from plattform.core import bp
from plattform.core.text import has_forbidden_characters
from plattform.extensions import db

log = logging.getLogger(__name__)


@bp.before_app_request
def refuse_control_characters():
    """The text guard at the web's entrance: path, query, form fields and file names.

    No person types a NUL byte or another control character (tab and line breaks aside); PostgreSQL
    refuses NUL outright. So such a request is answered with a German 400 page before any view reads
    it. The API checks its input against its schema and answers Problem+JSON itself.
    """
    # An API path that matches no route has no blueprint yet; the API answers it with Problem+JSON.
    if request.blueprint == "api" or request.endpoint == "static" or request.path.startswith("/api/"):
        return None
    values = [request.path]
    values.extend(request.args.keys())
    values.extend(request.args.values())
    if request.method in ("POST", "PUT", "PATCH"):
        values.extend(request.form.keys())
        view = current_app.view_functions.get(request.endpoint)
        if not getattr(view, "validates_own_text", False):
            values.extend(request.form.values())
        values.extend(f.filename or "" for f in request.files.values())
    if any(has_forbidden_characters(v) for v in values):
        abort(400, description="control-characters")
    return None


@bp.get("/")
def index():
    """The start page: what the platform is for, and where to begin."""
    from plattform.kommunen.models import Kommune

    count = db.session.scalar(sa.select(sa.func.count(Kommune.id)).where(Kommune.active.is_(True)))
    return render_template("core/index.html", kommunen_count=count or 0)


@bp.get("/health")
def health():
    """Liveness and database check for load balancers and the load benchmark."""
    db.session.execute(sa.text("SELECT 1"))
    return {"status": "ok"}


@bp.get("/datenschutz")
def datenschutz():
    """Privacy page: what is stored and why."""
    return render_template("core/datenschutz.html")


@bp.get("/impressum")
def impressum():
    """Imprint page."""
    return render_template("core/impressum.html")


# The one error page's heading and text per status; any other status gets the general wording.
ERROR_PAGES: dict[int, tuple[object, tuple[object, ...]]] = {
    400: (
        _l("Anfrage nicht lesbar"),
        (
            _l(
                "Die Anfrage war unvollständig oder fehlerhaft. Bitte laden Sie die vorige Seite neu "
                "und versuchen Sie es erneut."
            ),
        ),
    ),
    401: (_l("Anmeldung erforderlich"), (_l("Bitte melden Sie sich an, um diese Seite zu sehen."),)),
    403: (
        _l("Kein Zugriff"),
        (
            _l(
                "Sie haben keine Berechtigung für diese Seite. Melden Sie sich an oder bitten Sie Ihre "
                "Koordination um Freischaltung."
            ),
        ),
    ),
    404: (
        _l("Seite nicht gefunden"),
        (_l("Die Seite gibt es nicht (mehr). Prüfen Sie die Adresse oder suchen Sie im Verzeichnis."),),
    ),
    405: (
        _l("Diese Seite lässt sich so nicht aufrufen"),
        (
            _l(
                "Diese Adresse nimmt nur das Absenden eines Formulars an, etwa nach einem Neuladen der "
                "Seite. Gehen Sie zurück und verwenden Sie die Schaltflächen der Seite."
            ),
        ),
    ),
    409: (
        _l("Die Angaben haben sich inzwischen geändert"),
        (
            _l(
                "Jemand hat dieselben Angaben gerade geändert. Bitte laden Sie die Seite neu und "
                "versuchen Sie es erneut."
            ),
        ),
    ),
    410: (_l("Nicht mehr verfügbar"), (_l("Diese Seite oder dieser Link gilt nicht mehr."),)),
    413: (_l("Datei zu groß"), ()),  # the text names the limit (too_large)
    429: (
        _l("Zu viele Anfragen"),
        (_l("Bitte warten Sie einige Minuten und versuchen Sie es dann erneut."),),
    ),
    500: (
        _l("Ein Fehler ist aufgetreten"),
        (
            _l(
                "Das hat nicht geklappt. Bitte versuchen Sie es in einigen Minuten erneut; der Fehler "
                "wurde protokolliert."
            ),
        ),
    ),
    503: (
        _l("Vorübergehend nicht erreichbar"),
        (_l("Die Plattform ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut."),),
    ),
}
GENERAL_ERROR = (
    _l("Die Anfrage konnte nicht bearbeitet werden"),
    (_l("Bitte gehen Sie zurück und versuchen Sie es erneut."),),
)


def render_error(code: int, *, texts=None, action: dict | None = None, headers=None, bare: bool = False):
    """The error page of a status in the app's layout: heading, text, an optional next step."""
    heading, default_texts = ERROR_PAGES.get(code, GENERAL_ERROR)
    html = render_template(
        "errors/fehler.html",
        code=code,
        heading=heading,
        texts=default_texts if texts is None else texts,
        action=action,
        bare_page=bare,
    )
    return html, code, headers or []


def _passed_headers(error: HTTPException) -> list[tuple[str, str]]:
    """The exception's own headers (Allow of a 405, Retry-After), without its plain-text content type."""
    return [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """Every other status (401, 405, 409, 410, …) as the app's error page, keeping the exception's headers."""
    if error.code is None or error.code < 400:
        return error
    return render_error(error.code, headers=_passed_headers(error))


@bp.app_errorhandler(404)
def not_found(error):
    """A German 'not found' page."""
    return render_error(404)


@bp.app_errorhandler(403)
def forbidden(error):
    """A German 'forbidden' page; an account that speaks for no Kommune yet is shown how to ask."""
    from flask_login import current_user

    from plattform.accounts.permissions import has_approved_role

    if current_user.is_authenticated and not has_approved_role(current_user):
        texts = (
            _(
                "Diese Seite zeigt, was eine Kommune betrifft. Ihr Konto spricht noch für keine "
                "Kommune: Beantragen "
                "Sie, für Ihre Kommune zu sprechen; nach der Freigabe steht Ihnen die Seite offen."
            ),
        )
        action = {
            "url": url_for("accounts.kommune_beantragen"),
            "label": _("Für eine Kommune sprechen – Kommune beantragen"),
        }
        return render_error(403, texts=texts, action=action)
    return render_error(403)


@bp.app_errorhandler(413)
def too_large(error):
    """Upload larger than allowed (MAX_CONTENT_LENGTH), as a German page naming the limit."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    text = _(
        "Die hochgeladene Datei ist zu groß. Erlaubt sind höchstens %(mb)s MB je Anfrage.",
        mb=f"{limit / 1024 / 1024:g}",
    )
    return render_error(413, texts=(text,))


@bp.app_errorhandler(400)
def bad_request(error):
    """A German page for a request the platform cannot read (e.g. control characters in a field)."""
    if getattr(error, "description", None) == "control-characters":
        text = _(
            "Ihre Eingabe enthält Steuerzeichen (zum Beispiel ein Null-Byte), die hier nicht erlaubt "
            "sind. Bitte "
            "entfernen Sie sie – etwa indem Sie den Text neu eintippen statt ihn einzufügen – und "
            "senden Sie das "
            "Formular erneut."
        )
        return render_error(400, texts=(text,))
    return render_error(400)


def _request_locale() -> str:
    """The page language from the session or the browser alone, never from the account (no database)."""
    languages = current_app.config["LANGUAGES"]
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or "de"


@bp.app_errorhandler(500)
def server_error(error):
    """A German error page; the details go to the log.

    The page renders without the database: when the database is the cause, loading the user or the
    navigation would fail again and leave gunicorn's bare English page without security headers.
    """
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone; the page must still come
        log.warning("Rollback nach Fehler nicht möglich (database unreachable)")
    # Flask-Login's template context loads the user eagerly: stand an anonymous one in for it.
    g._login_user = current_app.login_manager.anonymous_user()
    with force_locale(_request_locale()):
        return render_error(500, bare=True)


# --- language switch: a plain GET link that works on every page, also one rendered for a POST ----------


def _safe_back(target: str | None) -> str:
    """A path on this site to return to (no scheme, no host, no protocol-relative '//'); '/' otherwise."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def _gettable(path: str) -> bool:
    """Whether GET on this path reaches a page (a POST-only action would answer 405)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:
        return True
    except HTTPException:
        return False
    return True


@bp.app_template_global()
def language_url(lang: str) -> str:
    """The footer's language link: /sprache/<lang> with the page to return to (GET-able, same site)."""
    if request.method == "GET":
        args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
        back = request.path + ("?" + urlencode(args) if args else "")
    else:
        back = request.path if _gettable(request.path) else "/"
    return url_for("core.sprache", lang=lang, zurueck=back)


@bp.get("/sprache/<lang>")
def sprache(lang: str):
    """Switch the page language (kept in the session) and return to the page the link was on."""
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = lang
    back = _safe_back(request.args.get("zurueck"))
    return redirect(back if _gettable(urlsplit(back).path) else "/")


@bp.cli.command("seed")
@click.option("--ohne-profile", is_flag=True, help="Nur das Verzeichnis der Demo-Region laden.")
def seed_command(ohne_profile: bool) -> None:
    """Load the demo region (real Kommunen) and, where available, demo profiles."""
    from plattform.core.demo import seed_demo

    for line in seed_demo(with_profiles=not ohne_profile):
        click.echo(line)
