"""Forms of the netzwerke domain (all with CSRF through FlaskForm)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from plattform.core.forms import SelectField
from plattform.netzwerke.models import NETZWERK_ART_LABELS_DE


class NetzwerkForm(FlaskForm):
    """Create a network (administrators: any; Kreis coordinators: the network of their Kreis)."""

    name = StringField(
        _l("Name des Netzwerks"),
        validators=[DataRequired(_l("Bitte geben Sie einen Namen an.")), Length(max=200)],
    )
    art = SelectField(_l("Art"), choices=list(NETZWERK_ART_LABELS_DE.items()))
    beschreibung = TextAreaField(_l("Beschreibung"), validators=[Length(max=5000)])
    kreis_ags = StringField(_l("Kreisschlüssel (nur bei einem Kreis-Netzwerk)"), validators=[Optional()])
    koordination_email = EmailField(
        _l("E-Mail-Adresse der Koordination"),
        validators=[Optional(), Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."))],
    )
    gemeinden = BooleanField(_l("Alle Gemeinden des Kreises aufnehmen"))


class InviteForm(FlaskForm):
    """Invite a Kommune by AGS and/or its officer by e-mail."""

    ags = StringField(_l("Gemeindeschlüssel (AGS)"), validators=[Optional(), Length(max=8)])
    email = EmailField(
        _l("E-Mail-Adresse der oder des Beauftragten"),
        validators=[Optional(), Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an."))],
    )


class ImportForm(FlaskForm):
    """Upload member profiles (JSON, JSON Lines, CSV or XLSX)."""

    datei = FileField(_l("Profildatei"), validators=[FileRequired(_l("Bitte wählen Sie eine Datei aus."))])


class CoordinatorForm(FlaskForm):
    """Name a coordinator by the e-mail address of an existing account."""

    email = EmailField(
        _l("E-Mail-Adresse des Kontos"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse an.")),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse an.")),
        ],
    )


class AcceptForm(FlaskForm):
    """Accept or decline an invitation for one of the user's Kommunen."""

    kommune_id = SelectField(_l("Für welche Kommune?"), coerce=int)
