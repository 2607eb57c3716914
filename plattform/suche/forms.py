"""The search form: GET filters (no CSRF token: they change nothing), rendered with the KERN macros."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import NumberRange, Optional

from matching.vocabulary import TOPIC_GROUPS, TOPICS, TYPES
from plattform.core.forms import SelectField
from plattform.i18n import TOPIC_GROUP_LABELS, TOPIC_LABELS, TYPE_LABELS


def choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def type_choices() -> list[SelectChoice]:
    """The four Kommune types of the study (in the request's language), with an "any" option first."""
    return choices([("", _l("Alle Typen")), *((t, TYPE_LABELS[t]) for t in TYPES)])


def topic_choices() -> list[SelectChoice]:
    """Topics grouped as in the vocabulary (rendered as optgroups), with an "any" option first; labels
    in the request's language."""
    options = [SelectChoice("", _l("Alle Themen"))]
    for group in TOPIC_GROUPS:
        shown = TOPIC_GROUP_LABELS[group]
        topics = (t for t in TOPICS if t.group == group)
        options += [SelectChoice(t.slug, TOPIC_LABELS[t.slug], optgroup=shown) for t in topics]
    return options


def max_km_field() -> IntegerField:
    """Maximum distance in km (optional), shared by search and dashboard filters."""
    return IntegerField(
        _l("Höchstens so viele km entfernt"),
        validators=[
            Optional(),
            NumberRange(min=1, max=1000, message=_l("Bitte eine Zahl zwischen 1 und 1000 angeben.")),
        ],
    )


class SearchForm(FlaskForm):
    """Filters of the search page."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField(_l("Name, Gemeindeschlüssel (AGS) oder Postleitzahl"))
    ebene = SelectField(
        _l("Ebene"),
        choices=choices(
            [
                ("", _l("Gemeinden, Städte und Kreise")),
                ("gemeinde", _l("nur Gemeinden und Städte")),
                ("kreis", _l("nur Kreise")),
            ]
        ),
        default="",
    )
    land = SelectField(_l("Land"), choices=[], default="")
    kreis = SelectField(_l("Kreis"), choices=[], default="")
    typ = SelectField(_l("Typ (laut Typentest)"), choices=type_choices, default="")
    thema = SelectField(_l("Thema"), choices=topic_choices, default="")
    rolle = SelectField(
        _l("Thema als"),
        choices=choices(
            [
                ("beides", _l("Stärke oder Bedarf")),
                ("staerke", _l("Stärke (kann es anderen zeigen)")),
                ("bedarf", _l("Bedarf (möchte es lernen)")),
            ]
        ),
        default="beides",
    )
    groesse = SelectField(
        _l("Größe"),
        choices=choices(
            [
                ("", _l("Alle Größen")),
                ("unter-5000", _l("unter 5.000 Einwohner")),
                ("5000-20000", _l("5.000 bis unter 20.000")),
                ("20000-50000", _l("20.000 bis unter 50.000")),
                ("50000-100000", _l("50.000 bis unter 100.000")),
                ("ab-100000", _l("100.000 und mehr")),
            ]
        ),
        default="",
    )
    max_km = max_km_field()
    von = SelectField(_l("Entfernung gemessen ab"), coerce=int, choices=[], validate_choice=False)
