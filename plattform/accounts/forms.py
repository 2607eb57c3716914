"""Account forms (every one a FlaskForm, so every POST carries a CSRF token)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from plattform.accounts.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from plattform.core.forms import SelectField, SingleLine


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field(label=None):
    return EmailField(
        label or _l("E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
            Email(_l("Bitte geben Sie eine gültige E-Mail-Adresse ein."), check_deliverability=False),
            Length(max=254, message=_l("Die Adresse ist zu lang.")),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )


def _new_password_fields(label=None):
    password = PasswordField(
        label or _l("Neues Passwort"),
        validators=[
            DataRequired(_l("Bitte wählen Sie ein Passwort.")),
            Length(
                min=MIN_PASSWORD_LENGTH,
                max=MAX_PASSWORD_LENGTH,
                message=_l("Das Passwort muss mindestens %(n)d Zeichen lang sein.", n=MIN_PASSWORD_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Passwort wiederholen"),
        validators=[
            DataRequired(_l("Bitte wiederholen Sie das Passwort.")),
            EqualTo("password", _l("Die beiden Passwörter stimmen nicht überein.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class LoginForm(FlaskForm):
    """Log in with e-mail address and password."""

    email = _email_field()
    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Angemeldet bleiben (14 Tage)"))


class RegisterForm(FlaskForm):
    """Create an account: who you are, your work address, a password, consent to the privacy notice."""

    name = StringField(
        _l("Vor- und Nachname"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen ein.")),
            Length(max=120, message=_l("Der Name ist zu lang.")),
            SingleLine(),
        ],
        filters=[_strip],
        render_kw={"autocomplete": "name"},
    )
    email = _email_field(_l("Dienstliche E-Mail-Adresse"))
    funktion = StringField(
        _l("Funktion"),
        validators=[Optional(), Length(max=120, message=_l("Die Angabe ist zu lang.")), SingleLine()],
        render_kw={"autocomplete": "organization-title"},
    )
    password, password_confirm = _new_password_fields(_l("Passwort"))
    privacy = BooleanField(
        _l(
            "Ich habe die Datenschutzhinweise gelesen und bin mit der Verarbeitung meiner Angaben "
            "einverstanden."
        ),
        validators=[DataRequired(_l("Bitte stimmen Sie den Datenschutzhinweisen zu."))],
    )


class EmailOnlyForm(FlaskForm):
    """An address alone: resend the confirmation link, or ask for a reset link."""

    email = _email_field()


class ResetPasswordForm(FlaskForm):
    """Choose a new password after following the reset link."""

    password, password_confirm = _new_password_fields()


class ReauthForm(FlaskForm):
    """Type the password again before a sensitive action."""

    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )


class ChangePasswordForm(FlaskForm):
    """Change the password knowing the current one."""

    current_password = PasswordField(
        _l("Bisheriges Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr bisheriges Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )
    password, password_confirm = _new_password_fields()


class ChangeEmailForm(FlaskForm):
    """Move the account to a new address (confirmed by a link sent there)."""

    new_email = _email_field(_l("Neue E-Mail-Adresse"))


class DeleteAccountForm(FlaskForm):
    """Delete the account: password and an explicit confirmation."""

    password = PasswordField(
        _l("Passwort"),
        validators=[DataRequired(_l("Bitte geben Sie Ihr Passwort ein."))],
        render_kw={"autocomplete": "current-password"},
    )
    confirm = BooleanField(
        _l("Ich möchte mein Konto mit allen Mitgliedschaften endgültig löschen."),
        validators=[DataRequired(_l("Bitte bestätigen Sie, dass Sie das Konto löschen möchten."))],
    )


class LocaleForm(FlaskForm):
    """Interface language of the account."""

    locale = SelectField(_l("Sprache"), choices=[("de", "Deutsch"), ("en", "English")])


class MembershipRequestForm(FlaskForm):
    """Ask to speak for a Kommune, with a short note for the person who approves."""

    role = SelectField(
        _l("Rolle"),
        choices=[
            ("mitglied", _l("Mitglied: für die Kommune handeln und ihr Profil pflegen")),
            ("koordination", _l("Koordination: den Kreis koordinieren und Anfragen freigeben")),
        ],
        default="mitglied",
    )
    message = TextAreaField(
        _l("Nachricht an die Freigabe"),
        validators=[
            Optional(),
            Length(max=1000, message=_l("Bitte fassen Sie sich kürzer (höchstens 1000 Zeichen).")),
        ],
        render_kw={"rows": 4},
    )
