"""Account services: create, authenticate, register and confirm, reset and change credentials,
request and decide memberships, grant administration, delete an account.

Services flush but never commit: the view commits the action together with its audit event.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from plattform.accounts.models import MEMBERSHIP_ROLES, KommuneMembership, User
from plattform.accounts.passwords import (
    has_password,
    hash_password,
    is_guessable,
    needs_rehash,
    verify_password,
)
from plattform.core import audit
from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune

# NIST SP 800-63B asks for at least 8; officers' accounts speak for a Kommune, so we ask for 12.
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256


class AccountError(ValueError):
    """A request that cannot be carried out; the message is German and safe to show."""


class WrongPasswordError(AccountError):
    """The password typed to confirm an action is wrong."""


def normalise_email(email: str) -> str:
    """Addresses are compared case-insensitively and without surrounding blanks."""
    return email.strip().lower()


def get_user_by_email(email: str) -> User | None:
    """Find a user by address."""
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def create_user(
    email: str, password: str, name: str, *, is_admin: bool = False, confirmed: bool = False
) -> User:
    """Create an account; the caller commits."""
    if get_user_by_email(email) is not None:
        raise AccountError(_("Für diese Adresse besteht bereits ein Konto."))
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password),
        is_admin=is_admin,
        email_confirmed_at=utcnow() if confirmed else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if address and password match and the account is active; else None (no hint why)."""
    user = get_user_by_email(email)
    if not verify_password(user.password_hash if user else None, password):
        return None
    if not user.active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def membership_of(user_id: int, kommune_id: int) -> KommuneMembership | None:
    """The user's membership row for a Kommune in any state (asked, approved, declined), or None."""
    return db.session.scalar(
        sa.select(KommuneMembership).where(
            KommuneMembership.user_id == user_id, KommuneMembership.kommune_id == kommune_id
        )
    )


def approved_officers(kommune_id: int, session=None) -> list[User]:
    """The approved, active officers of a Kommune, by name: who speaks for it and gets its notices.
    `session`: the caller's own session (notice builders run in one of their own)."""
    return list(
        (session or db.session).scalars(
            sa.select(User)
            .join(KommuneMembership, KommuneMembership.user_id == User.id)
            .where(
                KommuneMembership.kommune_id == kommune_id,
                KommuneMembership.status == "bestaetigt",
                User.active.is_(True),
            )
            .order_by(User.name, User.id)
        )
    )


def request_membership(user: User, kommune_id: int, role: str = "mitglied", message: str | None = None):
    """Ask to speak for a Kommune; a declined request may be asked again."""
    if role not in MEMBERSHIP_ROLES:
        raise AccountError(_("Unbekannte Rolle."))
    kommune = db.session.get(Kommune, kommune_id)
    if kommune is None or not kommune.active:
        raise AccountError(_("Diese Kommune gibt es im Verzeichnis nicht (mehr)."))
    if not kommune.is_matchable:  # the Kreis row of a kreisfreie Stadt: its city's row is the one to ask
        from plattform.kommunen.services import not_matchable_message

        raise AccountError(not_matchable_message(kommune))
    if role == "koordination" and kommune.ebene != "kreis":
        raise AccountError(_("Koordination kann nur für einen Kreis beantragt werden."))
    membership = membership_of(user.id, kommune_id)
    if membership is not None and membership.status in ("beantragt", "bestaetigt"):
        raise AccountError(_("Für diese Kommune besteht bereits eine Anfrage oder Mitgliedschaft."))
    if membership is None:
        membership = KommuneMembership(user_id=user.id, kommune_id=kommune_id)
        db.session.add(membership)
    membership.role = role
    membership.status = "beantragt"
    membership.message = message
    membership.requested_at = utcnow()
    membership.decided_at = membership.decided_by_id = None
    db.session.flush()
    audit.record(
        "membership.requested",
        target=("user_account", user.id),
        details=_membership_details(membership, kommune),
        actor=user,
    )
    return membership


def _membership_details(membership: KommuneMembership, kommune: Kommune | None = None) -> dict:
    kommune = kommune or membership.kommune
    return {
        "membership_id": membership.id,
        "ags": kommune.ags,
        "kommune": kommune.name,
        "role": membership.role,
    }


def decide_membership(membership: KommuneMembership, approver: User, approve: bool) -> KommuneMembership:
    """Approve or decline a membership request (permission checked by the caller)."""
    membership.status = "bestaetigt" if approve else "abgelehnt"
    membership.decided_at = utcnow()
    membership.decided_by_id = approver.id
    db.session.flush()
    audit.record(
        "membership.approved" if approve else "membership.declined",
        target=("user_account", membership.user_id),
        details=_membership_details(membership),
        actor=approver,
    )
    return membership


def load_user(session_id: str) -> User | None:
    """Flask-Login loader: the user of a server-side session that was not revoked (accounts.sessions)."""
    from plattform.accounts.sessions import load_session_user

    return load_session_user(session_id)


# --- registration, confirmation, credentials ------------------------------------------------------


def check_password_rules(password: str, email: str | None = None) -> None:
    """Raise AccountError when a new password is too short, too long, the address itself, or on the
    lists of common and breached passwords (or as easy to guess)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(_("Das Passwort muss mindestens %(n)d Zeichen lang sein.", n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(_("Das Passwort darf höchstens %(n)d Zeichen lang sein.", n=MAX_PASSWORD_LENGTH))
    if email and password.strip().lower() == normalise_email(email):
        raise AccountError(_("Das Passwort darf nicht Ihre E-Mail-Adresse sein."))
    if is_guessable(password, [email] if email else None):
        raise AccountError(
            _(
                "Dieses Passwort ist zu leicht zu erraten: Es steht in Listen häufiger oder gestohlener "
                "Passwörter oder besteht aus Wiederholungen, Reihen oder Ihrer Adresse. Bitte wählen Sie "
                "ein anderes, zum Beispiel drei, vier Wörter mit Bindestrichen."
            )
        )


def register_user(
    email: str, password: str, name: str, funktion: str | None, locale: str = "de"
) -> tuple[User, bool]:
    """Register an unconfirmed account. Returns (user, created): for an address that already has an
    account nothing is changed and created is False, so the caller can answer the same either way."""
    check_password_rules(password, email)
    existing = get_user_by_email(email)
    if existing is not None:
        # Equal time: a new account costs one Argon2 hash, so a known address pays the same hash
        # (thrown away); without it the answer came 17 times faster and told who has an account.
        hash_password(password)
        # …and the same write: the attempt is noted for the account (the owner is mailed as well).
        audit.record("account.registration_repeated", target=existing)
        return existing, False
    user = create_user(email, password, name)
    user.funktion = (funktion or "").strip() or None
    user.locale = locale if locale in ("de", "en") else "de"
    user.privacy_accepted_at = utcnow()
    audit.record("account.registered", target=user, actor=user)
    return user, True


def confirm_email(user: User) -> bool:
    """Mark the address as confirmed; False if it already was."""
    if user.email_confirmed_at is not None:
        return False
    user.email_confirmed_at = utcnow()
    audit.record("account.email_confirmed", target=user, actor=user)
    return True


def set_password(user: User, new_password: str, *, reset: bool = False) -> None:
    """Set a new password and end every other session (the session version is part of their id)."""
    from plattform.accounts.sessions import revoke_sessions

    check_password_rules(new_password, user.email)
    user.password_hash = hash_password(new_password)
    user.session_version = (user.session_version or 1) + 1
    ended = revoke_sessions(user)
    details: dict = {"sitzungen_beendet": ended}
    if reset:
        if user.email_confirmed_at is None:
            # The reset link arrived at the address, which proves it.
            user.email_confirmed_at = utcnow()
        # A reset means the password may be known to someone else: what it let them create goes too.
        details["api_tokens_widerrufen"] = revoke_api_tokens(user)
    action = "account.password_reset" if reset else "account.password_changed"
    audit.record(action, target=user, actor=user, details=details)


def revoke_api_tokens(user: User) -> int:
    """Revoke every API token of the user that is still valid; the caller commits."""
    from plattform.api.models import ApiToken

    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def change_password(user: User, current_password: str, new_password: str) -> None:
    """Change the password after checking the current one."""
    if not verify_password(user.password_hash, current_password):
        raise WrongPasswordError(_("Das bisherige Passwort stimmt nicht."))
    set_password(user, new_password)


def check_email_change(user: User, new_email: str) -> str | None:
    """The normalised new address if a confirmation should be sent to it, else None (unchanged, or
    taken by another account: the caller answers the same, so no address is revealed)."""
    new_email = normalise_email(new_email)
    if new_email == user.email or get_user_by_email(new_email) is not None:
        return None
    return new_email


def apply_email_change(user: User, new_email: str) -> str:
    """Move the account to the confirmed new address; returns the old one."""
    new_email = normalise_email(new_email)
    other = get_user_by_email(new_email)
    if other is not None and other.id != user.id:
        raise AccountError(_("Diese Adresse gehört inzwischen zu einem anderen Konto."))
    old = user.email
    user.email = new_email
    user.email_confirmed_at = utcnow()
    audit.record("account.email_changed", target=user, actor=user, details={"alt": old, "neu": new_email})
    return old


def set_locale(user: User, locale: str) -> None:
    """Store the user's interface language."""
    if locale not in ("de", "en"):
        raise AccountError(_("Unbekannte Sprache."))
    user.locale = locale


# --- administration and deletion --------------------------------------------------------------------


def active_admin_count() -> int:
    """How many active administrators there are."""
    return db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.is_admin.is_(True), User.active.is_(True))
    )


def set_admin(user: User, is_admin: bool, actor: User) -> None:
    """Grant or revoke administration; the last administrator cannot be removed."""
    if user.is_admin == is_admin:
        return
    if not is_admin and active_admin_count() <= 1:
        raise AccountError(_("Das letzte Administrationskonto kann nicht entzogen werden."))
    user.is_admin = is_admin
    audit.record("admin.granted" if is_admin else "admin.revoked", target=user, actor=actor)


def delete_account(user: User, password: str) -> None:
    """Delete the account and its memberships after checking the password; Kommune profiles stay.

    Contact requests keep their Kommune and text but lose the sender (the foreign key sets null).
    An account without a password (made through an identity provider) is confirmed by the fresh
    sign-in the view demands.
    """
    if has_password(user) and not verify_password(user.password_hash, password):
        raise WrongPasswordError(_("Das Passwort stimmt nicht."))
    if user.is_admin and active_admin_count() <= 1:
        raise AccountError(
            _("Sie sind das letzte Administrationskonto. Ernennen Sie zuerst eine andere Person.")
        )
    from plattform.accounts.sessions import revoke_sessions

    audit.record("account.deleted", target=user, actor=user)
    revoke_sessions(user)
    db.session.delete(user)
    db.session.flush()
