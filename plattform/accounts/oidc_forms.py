"""Forms of the sign-in through an identity provider (every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Optional


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class OidcCreateAccountForm(FlaskForm):
    """First sign-in without an account: the name as it should appear, and the privacy notice."""

    name = StringField(
        _l("Vor- und Nachname"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen ein.")),
            Length(max=120, message=_l("Der Name ist zu lang.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "name"},
    )
    funktion = StringField(
        _l("Funktion"),
        validators=[Optional(), Length(max=120, message=_l("Die Angabe ist zu lang."))],
        filters=[_strip],
        render_kw={"autocomplete": "organization-title"},
    )
    privacy = BooleanField(
        _l(
            "Ich habe die Datenschutzhinweise gelesen und bin mit der Verarbeitung meiner Angaben "
            "einverstanden."
        ),
        validators=[DataRequired(_l("Bitte stimmen Sie den Datenschutzhinweisen zu."))],
    )


class OidcLinkPasswordForm(FlaskForm):
    """First sign-in for an address that has an account: its password proves it is the same person."""

    password = PasswordField(
        _l("Passwort Ihres Kommunalmatch-Kontos"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )


class OidcLinkMailForm(FlaskForm):
    """Ask for the link by e-mail instead of typing the password (only the CSRF token)."""
