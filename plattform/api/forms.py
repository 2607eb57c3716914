"""Forms of the token pages (FlaskForm: every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from plattform.api.services import EXPIRY_CHOICES_DAYS, NAME_MAX
from plattform.core.forms import SelectField


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class CreateTokenForm(FlaskForm):
    """Name, scope and lifetime of a new token."""

    name = StringField(
        _l("Name des Tokens"),
        validators=[
            DataRequired(_l("Bitte geben Sie dem Token einen Namen.")),
            Length(max=NAME_MAX, message=_l("Der Name darf höchstens %(n)d Zeichen lang sein.", n=NAME_MAX)),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    scope = SelectField(
        _l("Umfang"),
        choices=[
            SelectChoice("lesen", _l("lesen – Daten abrufen")),
            SelectChoice("schreiben", _l("schreiben – Daten abrufen und ändern")),
        ],
        default="lesen",
    )
    ablauf = SelectField(
        _l("Gültig für"),
        choices=[SelectChoice(str(d), _l("%(n)d Tage", n=d)) for d in EXPIRY_CHOICES_DAYS]
        + [SelectChoice("0", _l("unbegrenzt"))],
        default="90",
    )


class RevokeTokenForm(FlaskForm):
    """Revoke one token (the form only carries the CSRF token)."""
