"""Digest forms: consent with a required checkbox, and plain CSRF-protected buttons."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class ConsentForm(FlaskForm):
    """Order the weekly e-mail: the consent text must be accepted explicitly."""

    einwilligung = BooleanField(
        _l("Ich willige ein, die wöchentliche E-Mail wie oben beschrieben zu erhalten."),
        validators=[DataRequired(_l("Bitte bestätigen Sie die Einwilligung."))],
    )


class ButtonForm(FlaskForm):
    """A button that changes something (unsubscribe, resend, confirm): CSRF token only."""
