"""Dashboard filters: a GET form (it changes nothing, so no CSRF token)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from plattform.core.forms import SelectField
from plattform.suche.forms import max_km_field, topic_choices, type_choices


class SuggestionFilterForm(FlaskForm):
    """Narrow one's suggestions by topic, maximum distance and the partner's type."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    kommune = SelectField(_l("Kommune"), coerce=int, choices=[], validate_choice=False)
    thema = SelectField(_l("Thema"), choices=topic_choices, default="")
    max_km = max_km_field()
    typ = SelectField(_l("Typ der Partnerkommune"), choices=type_choices, default="")
