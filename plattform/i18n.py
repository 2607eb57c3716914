"""Language selection: German first, English on request (?lang=en, remembered in the session)."""

from flask import current_app, request, session


def select_locale() -> str:
    """Pick the UI language: explicit choice, then the browser's preference, then German."""
    languages = current_app.config["LANGUAGES"]
    chosen = request.args.get("lang")
    if chosen in languages:
        session["lang"] = chosen
        return chosen
    if session.get("lang") in languages:
        return session["lang"]
    return request.accept_languages.best_match(languages) or "de"
