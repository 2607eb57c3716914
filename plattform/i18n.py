"""Language selection: German first, English on request (?lang=en, remembered in the session), and
for a logged-in user the language stored in their account."""

from collections.abc import Callable

from flask import current_app, has_request_context, request, session
from flask_babel import get_translations
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


def bound_gettext() -> Callable[..., str]:
    """Flask-Babel's `gettext`, bound to this request's catalogue once: for code that translates
    dozens of strings per page (Flask-Babel looks the catalogue up again on every call)."""
    translations = get_translations()

    def gettext(message: str, **variables) -> str:
        text = translations.ugettext(message)
        return text % variables if variables else text

    return gettext
