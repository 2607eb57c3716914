"""Language selection: German first, English on request (?lang=en, remembered in the session), and
for a logged-in user the language stored in their account."""

from collections.abc import Callable

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user


def select_locale() -> str:
    """Pick the UI language: explicit choice (?lang=, kept in the session; logging in stores the
    account's language there), then the account's, then the browser's preference, then German.
    Outside a request (CLI, worker) German."""
    if not has_request_context():
        return "de"
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and current_user.is_authenticated and getattr(current_user, "locale", None) in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or "de"


def N_(message: str) -> str:
    """Mark a German label for extraction without translating it now (babel.cfg keyword): labels in
    module-level dicts are translated where they are shown, with `_()` in the template or view."""
    return message


# Flask-Babel's catalogue per locale, kept here: Flask-Babel recomputes the locale's identifier on
# every lookup (~9 µs), and a page translates about a hundred strings.
_CATALOGUES: dict = {}


def request_translations():
    """The catalogue of this request's locale (Flask-Babel's own object, found by the locale)."""
    locale = get_locale()
    try:
        return _CATALOGUES[locale]
    except KeyError:
        return _CATALOGUES.setdefault(locale, get_translations())


def install_template_gettext(app) -> None:
    """Let templates translate through `request_translations` (same catalogues, same output)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
    )


def bound_gettext() -> Callable[..., str]:
    """Flask-Babel's `gettext`, bound to this request's catalogue once: for code that translates
    dozens of strings per page."""
    translations = request_translations()

    def gettext(message: str, **variables) -> str:
        text = translations.ugettext(message)
        return text % variables if variables else text

    return gettext
