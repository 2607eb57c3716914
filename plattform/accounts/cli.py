"""`flask --app wsgi accounts create-admin EMAIL`."""

import click

from plattform.accounts import bp
from plattform.accounts.services import AccountError, check_password_rules, create_user
from plattform.core.text import one_line
from plattform.extensions import db


@bp.cli.command(
    "create-admin", help="Administrationskonto anlegen. Bestätigt, für EMAIL; fragt nach dem Passwort."
)
@click.argument("email")
@click.option("--name", default="Administration", show_default=True, help="Angezeigter Name des Kontos.")
@click.password_option(prompt="Passwort", confirmation_prompt="Passwort wiederholen")
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create a confirmed administrator account."""
    try:
        check_password_rules(password, email)  # the same rules as the web (length, common passwords)
        create_user(email, password, one_line(name), is_admin=True, confirmed=True)
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"Administrator {email} angelegt.")
