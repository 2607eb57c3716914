"""User accounts and memberships: who may act for which Kommune, and in which role."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.kommunen.models import Kommune

# A membership is requested, then approved or declined by an administrator or a coordinator.
MEMBERSHIP_STATUSES = ("beantragt", "bestaetigt", "abgelehnt")
# "mitglied" acts for the Kommune; "koordination" at a Kreis also approves and sees its Gemeinden.
MEMBERSHIP_ROLES = ("mitglied", "koordination")


class User(UserMixin, db.Model):
    """A person with a login: an officer of a Kommune, a coordinator or an administrator."""

    __tablename__ = "user_account"
    # AUTOINCREMENT: SQLite never hands a deleted account's id to the next one (without it, it reuses
    # the highest id, and audit entries and signed links naming that id would move to a stranger).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    funktion: Mapped[str | None] = mapped_column(sa.String(120))  # e.g. "Digitalisierungsbeauftragte"
    telefon: Mapped[str | None] = mapped_column(sa.String(40))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    is_admin: Mapped[bool] = mapped_column(default=False)
    email_confirmed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    # When the person accepted the privacy notice at registration (Art. 7 (1) GDPR: be able to show it).
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    locale: Mapped[str] = mapped_column(sa.String(5), default="de")
    # Bumped on password change so that old sessions and reset links stop working.
    session_version: Mapped[int] = mapped_column(default=1)
    active: Mapped[bool] = mapped_column(default=True)

    memberships: Mapped[list[KommuneMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan", foreign_keys="KommuneMembership.user_id"
    )

    # The server-side session this object was loaded for (set by accounts.sessions); Flask-Login
    # stores get_id() in the session and the remember cookie.
    session_token = None  # type: str | None  (not a column)

    def get_id(self) -> str | None:
        """Session identifier: the random token of one server-side session (UserSession), never the
        account id, so it cannot be guessed, is never reused, and ends when that session is revoked."""
        return self.session_token

    @property
    def is_active(self) -> bool:
        """Deactivated accounts cannot log in."""
        return self.active

    @property
    def email_confirmed(self) -> bool:
        """Whether the e-mail address was confirmed by the link we sent."""
        return self.email_confirmed_at is not None

    def approved_memberships(self) -> list[KommuneMembership]:
        """Memberships that let this user act for a Kommune."""
        return [m for m in self.memberships if m.status == "bestaetigt"]


class KommuneMembership(db.Model):
    """A user's request, or approved right, to speak for a Kommune."""

    __tablename__ = "kommune_membership"
    __table_args__ = (sa.UniqueConstraint("user_id", "kommune_id", name="uq_membership_user_kommune"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kommune_id: Mapped[int] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20), default="mitglied")
    status: Mapped[str] = mapped_column(sa.String(20), default="beantragt", index=True)
    message: Mapped[str | None] = mapped_column(sa.Text)
    requested_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    kommune: Mapped[Kommune] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class UserSession(db.Model):
    """One login of a user (one browser): revoked on logout, password change or by an administrator.

    The cookie carries a random token; the table keeps only its SHA-256, so a copy of the database does
    not open anyone's session.
    """

    __tablename__ = "user_session"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    remember: Mapped[bool] = mapped_column(default=False)
    # How the person signed in ("passwort"; OIDC adds its provider), shown with the session.
    method: Mapped[str] = mapped_column(sa.String(40), default="passwort")
