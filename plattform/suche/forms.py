"""The search form: plain GET filters (no CSRF: they change nothing), rendered with the KERN macros."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Form, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from matching.vocabulary import TOPIC_GROUPS, TOPICS, TYPE_LABELS_DE, TYPES


def type_choices() -> list[tuple[str, str]]:
    """The four Kommune types of the study, with an "any" option first."""
    return [("", _l("Alle Typen")), *((t, TYPE_LABELS_DE[t]) for t in TYPES)]


def topic_choices() -> dict:
    """Topics grouped as in the vocabulary (rendered as optgroups), with an "any" option first."""
    groups: dict = {None: [("", _l("Alle Themen"))]}
    for group in TOPIC_GROUPS:
        groups[group] = [(t.slug, t.label_de) for t in TOPICS if t.group == group]
    return groups


def max_km_field() -> IntegerField:
    """Maximum distance in km (optional), shared by search and dashboard filters."""
    return IntegerField(
        _l("Höchstens so viele km entfernt"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1000, message=_l("Bitte eine Zahl zwischen 1 und 1000 angeben.")),
        ],
    )


class SearchForm(Form):
    """Filters of the search page."""

    land = SelectField(_l("Land"), choices=[], validate_choice=False)
    kreis = SelectField(_l("Kreis"), choices=[], validate_choice=False)
    typ = SelectField(_l("Typ"), choices=type_choices)
    thema = SelectField(_l("Thema"), choices=topic_choices)
    rolle = SelectField(
        _l("Thema als"),
        choices=[
            ("beides", _l("Stärke oder Bedarf")),
            ("staerke", _l("Stärke (kann es anderen zeigen)")),
            ("bedarf", _l("Bedarf (möchte es lernen)")),
        ],
        default="beides",
    )
    groesse = SelectField(
        _l("Größe"),
        choices=[
            ("", _l("Alle Größen")),
            ("unter-5000", _l("unter 5.000 Einwohner")),
            ("5000-20000", _l("5.000 bis unter 20.000")),
            ("20000-50000", _l("20.000 bis unter 50.000")),
            ("50000-100000", _l("50.000 bis unter 100.000")),
            ("ab-100000", _l("100.000 und mehr")),
        ],
    )
    max_km = max_km_field()
    von = SelectField(_l("Entfernung gemessen ab"), coerce=int, choices=[], validate_choice=False)
