"""The one renderer of suggestion explanations: stored facts → sentences in the reader's language.

Every surface (dashboard, "Warum dieser Vorschlag?", the Kommune page, the API, the weekly e-mail,
`matching show`) calls this module at read time, in the locale that is active (the request's, or one
forced with `flask_babel.force_locale` for a mail recipient or `--lang`). Nothing here computes a
score: the words name what matching.facts holds, and each qualitative word was decided there by
matching.facts.WORDS. Topic names are quoted, so no German declension is needed after a preposition.
"""

from __future__ import annotations

import logging

from babel import Locale
from babel.numbers import parse_pattern
from flask import g, has_request_context
from flask_babel import get_locale

from matching.facts import WORDS, Facts, TopicFact, fit_level
from matching.vocabulary import topic_label, type_label
from plattform.i18n import request_translations

log = logging.getLogger(__name__)

_LOGGED_UNKNOWN: set[str] = set()


class _Words:
    """gettext/ngettext, numbers and lists bound to the active locale once (a dashboard renders ~80
    strings and ~60 numbers: Babel's per-call locale lookups would cost more than the page)."""

    def __init__(self):
        translations = request_translations()
        self._g, self._n = translations.ugettext, translations.ungettext
        self.locale = get_locale() or Locale.parse("de")
        self.language = self.locale.language
        self._patterns: dict[int, object] = {}
        self._lists = self.locale.list_patterns["standard"]

    def __call__(self, message: str, **variables) -> str:
        text = self._g(message)
        return text % variables if variables else text

    def plural(self, singular: str, plural: str, num: int, **variables) -> str:
        return self._n(singular, plural, num) % {"num": num, **variables}

    def number(self, value: float, digits: int = 0) -> str:
        pattern = self._patterns.get(digits)
        if pattern is None:
            pattern = self._patterns[digits] = parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))
        return pattern.apply(value, self.locale)

    def join(self, items: list[str]) -> str:
        """Babel's list formatting ("A, B und C"), with the locale's patterns looked up once."""
        if len(items) <= 1:
            return "".join(items)
        if len(items) == 2:
            return self._lists["2"].format(*items)
        text = self._lists["start"].format(items[0], items[1])
        for item in items[2:-1]:
            text = self._lists["middle"].format(text, item)
        return self._lists["end"].format(text, items[-1])

    def topics(self, topics: tuple[TopicFact, ...] | list[TopicFact]) -> str:
        """Quoted labels joined the locale's way: „A“, „B“ und „C“ / “A”, “B” and “C”."""
        if self.language == "de":
            return self.join([f"„{topic_label(t.slug, 'de')}“" for t in topics])
        return self.join([f"“{topic_label(t.slug, 'en')}”" for t in topics])


def words() -> _Words:
    """The request's (or forced locale's) _Words, made once per locale and request."""
    locale = get_locale()
    key = str(locale)
    if has_request_context():
        cache = g.setdefault("_explain_words", {})
        if key not in cache:
            cache[key] = _Words()
        return cache[key]
    return _Words()


def _split(topics: tuple[TopicFact, ...]) -> tuple[list[TopicFact], list[TopicFact]]:
    return [t for t in topics if not t.estimated], [t for t in topics if t.estimated]


def _log_unknown(facts: Facts) -> None:
    for token in facts.unknown:
        if token not in _LOGGED_UNKNOWN:
            _LOGGED_UNKNOWN.add(token)
            log.warning("Unbekannter Fakt-Code in einem Vorschlag: %r (neutral dargestellt)", token)


def _topic_phrase(_: _Words, topics: list[TopicFact]) -> str:
    """ "im Thema „A“" / "in den Themen „A“ und „B“": the quoted names need no declension."""
    ngettext = _.plural  # the name babel extracts plural forms by
    return ngettext("im Thema %(topics)s", "in den Themen %(topics)s", len(topics), topics=_.topics(topics))


def _teach_clauses(_: _Words, facts: Facts, me: str, partner: str) -> list[str]:
    """Who can learn what from whom; "von" names the teacher, so no reader can swap the two."""
    clauses = []
    entered, estimated = _split(facts.teaches_me)
    if entered:
        clauses.append(
            _(
                "%(me)s kann von %(partner)s %(topics)s lernen",
                partner=partner,
                me=me,
                topics=_topic_phrase(_, entered),
            )
        )
    if estimated:
        clauses.append(
            _(
                "%(partner)s ist laut Typtest vermutlich stark bei %(topics)s, was %(me)s lernen möchte",
                partner=partner,
                me=me,
                topics=_.topics(estimated),
            )
        )
    entered, estimated = _split(facts.learns_from_me)
    lead = bool(clauses)
    if entered:
        if lead:
            text = _(
                "im Gegenzug kann %(partner)s von %(me)s %(topics)s lernen",
                me=me,
                partner=partner,
                topics=_topic_phrase(_, entered),
            )
        else:
            text = _(
                "%(partner)s kann von %(me)s %(topics)s lernen",
                me=me,
                partner=partner,
                topics=_topic_phrase(_, entered),
            )
        clauses.append(text)
    if estimated:
        clauses.append(
            _(
                "%(me)s ist laut Typtest vermutlich stark bei %(topics)s, was %(partner)s lernen möchte",
                me=me,
                partner=partner,
                topics=_.topics(estimated),
            )
        )
    if not facts.teaches_me and not facts.learns_from_me:
        clauses.append(
            _("noch keine zueinander passenden Stärken und Bedarfe; vorgeschlagen nach Lage und Umfeld")
        )
    return clauses


def _distance(_: _Words, facts: Facts) -> str:
    d = facts.distance_km
    if d is None:
        return _("Entfernung unbekannt")
    if facts.distance_approx:
        return _("etwa %(km)s km entfernt (Lage geschätzt)", km=_.number(max(d, 1.0)))
    if d < WORDS.neighbour_max_km:
        return _("direkt benachbart")
    return _("%(km)s km entfernt", km=_.number(d))


def _size(_: _Words, facts: Facts, partner: str) -> str | None:
    if facts.size == "similar":
        return _("ähnlich groß")
    if facts.size == "larger":
        return _("%(partner)s hat mehr als doppelt so viele Einwohner", partner=partner)
    if facts.size == "smaller":
        return _("%(partner)s hat weniger als halb so viele Einwohner", partner=partner)
    return None


def _context(_: _Words, facts: Facts) -> list[str]:
    out = []
    if facts.same_kreis:
        out.append(_("im selben Kreis"))
    if facts.shared_networks:
        ngettext = _.plural  # the name babel extracts plural forms by
        out.append(
            ngettext("%(num)d gemeinsames Netzwerk", "%(num)d gemeinsame Netzwerke", facts.shared_networks)
        )
    if facts.complementary_types:
        out.append(
            _(
                "unterschiedliche Typen (%(own)s und %(other)s) ergänzen sich",
                own=type_label(facts.own_type, _.language),
                other=type_label(facts.partner_type, _.language),
            )
        )
    return out


def sentence(facts: Facts, me: str, partner: str) -> str:
    """One sentence: why `partner` is in `me`'s list (the card, the API, the e-mail, the CLI)."""
    _ = words()
    _log_unknown(facts)
    clauses = _teach_clauses(_, facts, me, partner)
    clauses.append(_distance(_, facts))
    size = _size(_, facts, partner)
    if size:
        clauses.append(size)
    clauses.extend(_context(_, facts))
    text = "; ".join(clauses)
    if facts.unknown:
        text += "; " + _("weitere Gründe, die diese Version nicht darstellen kann")
    return text[:1].upper() + text[1:] + "."


def reason(facts: Facts, me: str, partner: str) -> str:
    """The card's one reason: who can learn what from whom, and how far apart (the rest: details)."""
    _ = words()
    _log_unknown(facts)
    text = "; ".join([*_teach_clauses(_, facts, me, partner), _distance(_, facts)])
    return text[:1].upper() + text[1:] + "."


def fit(facts: Facts) -> tuple[str, str]:
    """(level, word) of matching.facts.fit_level: the card says how strong the match is in words."""
    _ = words()
    level = fit_level(facts)
    labels = {
        "stark": _("Passt sehr gut"),
        "gut": _("Passt gut"),
        "moeglich": _("Passt vielleicht"),
    }
    return level, labels[level]


def _fit_text(_: _Words, facts: Facts, me: str, partner: str) -> str:
    """The "Passung" row in words: the fit level, what it rests on, and what lowered it."""
    level = fit_level(facts)
    text = {
        "stark": _("Passt sehr gut: beide können voneinander lernen, und die Lage passt."),
        "gut": _("Passt gut: mindestens eine Seite kann von der anderen lernen."),
        "moeglich": _("Passt vielleicht: vorgeschlagen nach Lage und Umfeld, ohne passende Themen."),
    }[level]
    parts = facts.parts
    context = parts.get("context") if parts else None
    if context is not None:
        if context >= WORDS.good_context:
            text += " " + _("Nähe, Größe und gemeinsames Umfeld sprechen zusätzlich dafür.")
        elif context < WORDS.weak_context:
            text += " " + _(
                "Die Entfernung oder der Größenunterschied schwächen den Vorschlag ab "
                "(weiter, als %(me)s und %(partner)s gewöhnlich fahren, oder sehr verschieden groß).",
                me=me,
                partner=partner,
            )
    if parts and parts.get("ignored", 1.0) < 1.0:
        text += " " + _("Schon mehrmals gezeigt, ohne dass jemand reagiert hat: steht deshalb weiter unten.")
    return text


def _level_word(_: _Words, level: int) -> str:
    return {1: _("Grundlagen"), 2: _("Erfahrung"), 3: _("Expertise")}.get(level, "")


def _topic_levels(_: _Words, topics: tuple[TopicFact, ...], teacher: str) -> str:
    """„A“ (Aldenhoven: Expertise), „B“ (Aldenhoven: vermutlich Erfahrung, laut Typtest geschätzt)."""
    items = []
    for t in topics:
        label = _.topics([t])
        if t.estimated:
            items.append(
                _(
                    "%(topic)s (%(teacher)s: vermutlich %(level)s, laut Typtest geschätzt)",
                    topic=label,
                    teacher=teacher,
                    level=_level_word(_, t.level),
                )
            )
        else:
            items.append(
                _(
                    "%(topic)s (%(teacher)s: %(level)s)",
                    topic=label,
                    teacher=teacher,
                    level=_level_word(_, t.level),
                )
            )
    return _.join(items)


def details(facts: Facts, me: str, partner: str, populations: tuple[int | None, int | None] = (None, None)):
    """ "Alle Gründe": (term, description) rows, each one fact in plain words; the terms say with
    "von" who learns from whom."""
    _ = words()
    _log_unknown(facts)
    rows = []
    if facts.teaches_me:
        text = _topic_levels(_, facts.teaches_me, partner)
    else:
        text = _("%(partner)s ist in keinem Bedarf von %(me)s stark.", partner=partner, me=me)
    rows.append((_("%(me)s lernt von %(partner)s", partner=partner, me=me), text))
    if facts.learns_from_me:
        text = _topic_levels(_, facts.learns_from_me, me)
    else:
        text = _("%(me)s ist in keinem Bedarf von %(partner)s stark.", me=me, partner=partner)
    rows.append((_("%(partner)s lernt von %(me)s", me=me, partner=partner), text))
    rows.append((_("Entfernung"), _distance(_, facts)))
    size = _size(_, facts, partner)
    if size:
        a, b = populations
        if a and b:
            size += " " + _("(Einwohner: %(a)s und %(b)s)", a=_.number(a), b=_.number(b))
        rows.append((_("Größe"), size))
    context = _context(_, facts)
    if context:
        rows.append((_("Umfeld"), "; ".join(context)))
    if facts.partner_estimated:
        rows.append(
            (
                _("Hinweis"),
                _("Das Profil von %(partner)s ist nur aus dem Typtest geschätzt.", partner=partner),
            )
        )
    rows.append((_("Passung"), _fit_text(_, facts, me, partner)))
    if facts.unknown:
        rows.append(
            (_("Weitere Gründe"), _("Diese Version kann nicht alle Gründe des Vorschlags darstellen."))
        )
    return rows
