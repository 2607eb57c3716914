"""Forms of the contacts domain: the contact request."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from plattform.core.forms import SelectField
from plattform.kontakte.services import MESSAGE_MAX


class ContactRequestForm(FlaskForm):
    """Ask another Kommune for a learning partnership, in the name of one's own Kommune."""

    # Not validated against the choices: the view answers a foreign sender with 403, not a form error.
    absender = SelectField(_l("Anfrage im Namen von"), coerce=int, validate_choice=False)
    nachricht = TextAreaField(
        _l("Ihre Nachricht"),
        validators=[
            DataRequired(_l("Bitte schreiben Sie eine kurze Nachricht.")),
            Length(max=MESSAGE_MAX, message=_l("Bitte höchstens %(max)d Zeichen.")),
        ],
        render_kw={"rows": 6, "maxlength": MESSAGE_MAX},
    )
