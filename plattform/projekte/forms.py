"""Forms of the projekte domain (all with CSRF through FlaskForm)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.core.forms import SelectField


def topic_choices() -> list[tuple[str, str]]:
    """Topic slugs with their German labels, alphabetically by label."""
    return sorted(TOPIC_LABELS_DE.items(), key=lambda kv: kv[1].lower())


class KommuneChoiceForm(FlaskForm):
    """Which of the user's Kommunen acts (join, leave, create from a proposal)."""

    kommune_id = SelectField(_l("Für welche Kommune?"), coerce=int, validators=[Optional()])


class ProposeForm(FlaskForm):
    """Propose a shared project from scratch."""

    kommune_id = SelectField(_l("Federführende Kommune"), coerce=int)
    thema = SelectField(_l("Thema"), choices=topic_choices())
    titel = StringField(
        _l("Titel"),
        validators=[DataRequired(_l("Bitte geben Sie einen Titel an.")), Length(max=200)],
    )
    beschreibung = TextAreaField(_l("Beschreibung"), validators=[Length(max=5000)])


class HandOverForm(FlaskForm):
    """Hand the lead to another member."""

    new_lead_id = SelectField(_l("Neue federführende Kommune"), coerce=int)


class CloseForm(FlaskForm):
    """Close a project with its result."""

    ergebnis = TextAreaField(
        _l("Ergebnis"),
        validators=[DataRequired(_l("Bitte beschreiben Sie das Ergebnis.")), Length(max=10000)],
    )
    nachnutzung = BooleanField(_l("Das Ergebnis steht anderen Kommunen zur Nachnutzung offen"))


class StatusForm(FlaskForm):
    """Move a running project between its open states."""

    status = SelectField(
        _l("Neuer Status"),
        choices=[
            ("vorgeschlagen", _l("Vorgeschlagen")),
            ("offen", _l("Offen für weitere Kommunen")),
            ("aktiv", _l("Aktiv")),
        ],
    )


class InviteKommunenForm(FlaskForm):
    """The lead invites more Kommunen into a running project, by Gemeindeschlüssel."""

    ags = StringField(
        _l("Gemeindeschlüssel (AGS) der Kommunen"),
        validators=[
            DataRequired(_l("Bitte geben Sie mindestens einen Gemeindeschlüssel an.")),
            Length(max=500),
        ],
    )
