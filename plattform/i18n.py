"""Language selection: German first, English on request (?lang=en, remembered in the session), and
for a logged-in user the language stored in their account."""

from collections.abc import Callable, Iterator, Mapping

from flask import current_app, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from markupsafe import Markup


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
    """Let templates translate through `request_translations` (same catalogues, same output), and
    give them the filter `german` (German text inside a page in another language)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters["german"] = german


def page_is_german() -> bool:
    """True when this request's page is German (also outside a request)."""
    if not has_request_context():
        return True
    locale = get_locale()
    return locale is None or locale.language == "de"


def german(text):
    """German text (the study's, the directory's, a user's) as shown in this request's page: unchanged
    in a German page, in `<span lang="de">` in another language (so screen readers switch voice).
    Empty text stays empty."""
    if not text or page_is_german():
        return text
    return Markup('<span lang="de">{}</span>').format(text)


def bound_gettext() -> Callable[..., str]:
    """Flask-Babel's `gettext`, bound to this request's catalogue once: for code that translates
    dozens of strings per page."""
    translations = request_translations()

    def gettext(message: str, **variables) -> str:
        text = translations.ugettext(message)
        return text % variables if variables else text

    return gettext


class LocalizedLabels(Mapping):
    """Labels of a vocabulary (slug -> label) in the request's language: German, or English where the
    vocabulary has it (a slug without an English label keeps its German one). Outside a request German.

    Views hand these to templates where they used the German dicts (`labels.get(slug, slug)` works
    the same); the stored data stays the German slugs.
    """

    def __init__(self, german: dict[str, str], english: dict[str, str]):
        self._de = german
        self._en = english
        self._de_with_en = {**german, **english}  # English where it exists, German for the rest

    def _labels(self) -> dict[str, str]:
        if has_request_context() and get_locale() is not None and get_locale().language == "en":
            return self._de_with_en
        return self._de

    def __getitem__(self, slug: str) -> str:
        return self._labels()[slug]

    def __iter__(self) -> Iterator[str]:
        return iter(self._de)

    def __len__(self) -> int:
        return len(self._de)

    def is_german(self, slug: str) -> bool:
        """True when the label shown for slug in this request is German (mark it lang="de")."""
        return self._labels() is self._de or slug not in self._en


def _vocabulary_labels():
    from matching import vocabulary as v

    return {
        "TOPIC_LABELS": LocalizedLabels(v.TOPIC_LABELS_DE, v.TOPIC_LABELS_EN),
        "TYPE_LABELS": LocalizedLabels(v.TYPE_LABELS_DE, v.TYPE_LABELS_EN),
        "HANDLUNGSFELD_LABELS": LocalizedLabels(v.HANDLUNGSFELD_LABELS_DE, v.HANDLUNGSFELD_LABELS_EN),
        "OPEN_FOR_LABELS": LocalizedLabels(v.OPEN_FOR_LABELS_DE, v.OPEN_FOR_LABELS_EN),
        "GOAL_LABELS": LocalizedLabels(v.GOAL_LABELS_DE, v.GOAL_LABELS_EN),
        "TOPIC_GROUP_LABELS": LocalizedLabels({g: g for g in v.TOPIC_GROUPS}, v.TOPIC_GROUP_LABELS_EN),
    }


_LABELS = _vocabulary_labels()
TOPIC_LABELS: LocalizedLabels = _LABELS["TOPIC_LABELS"]
TYPE_LABELS: LocalizedLabels = _LABELS["TYPE_LABELS"]
HANDLUNGSFELD_LABELS: LocalizedLabels = _LABELS["HANDLUNGSFELD_LABELS"]
OPEN_FOR_LABELS: LocalizedLabels = _LABELS["OPEN_FOR_LABELS"]
GOAL_LABELS: LocalizedLabels = _LABELS["GOAL_LABELS"]
TOPIC_GROUP_LABELS: LocalizedLabels = _LABELS["TOPIC_GROUP_LABELS"]
