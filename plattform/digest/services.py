"""The weekly digest: consent (double opt-in), signed links, building, rendering and sending at most once.

Exactly-once (in practice: at most once, never a duplicate): `deliver_digest` inserts the
DigestDelivery row for (user, ISO week) BEFORE it sends; the unique constraint makes a second insert
fail, so a duplicated, retried or restarted job skips. A row is re-claimed only when the previous
attempt proved that the SMTP server did not accept the message (core.mail.MailNotDelivered: it refused
the connection, closed it before its greeting, never answered, or answered with an error code): by the
task's retries, and after they ran out (status `undelivered`) by a later run of the same week. A
connection lost after the message was transmitted is "maybe delivered" and never retried. A crash
between claim and "sent" leaves the row `reserved`
without error: we cannot know whether the server accepted the message, so it is never resent;
`mark_stale_reservations` turns such rows into `failed` after DIGEST_STALE_MINUTES.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError

from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids
from plattform.core.clock import utcnow
from plattform.core.mail import MailNotDelivered, build_message, send_message
from plattform.digest.consent import CURRENT_CONSENT_VERSION
from plattform.digest.models import DigestDelivery, DigestSubscription
from plattform.digest.registry import DigestSection, build_sections
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import kommunen_by_name

BERLIN = ZoneInfo("Europe/Berlin")
ISO_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")
CONFIRM_SALT = "digest-bestaetigen"
UNSUBSCRIBE_SALT = "digest-abmelden"

# The server certainly did not accept the message (refused the connection, closed it before its
# greeting, never answered, or answered with an error code): another attempt cannot make a duplicate.
NOT_ACCEPTED_ERRORS = (MailNotDelivered,)


class TransientMailError(RuntimeError):
    """The SMTP server did not accept the digest; the task may try again later."""


# --- settings --------------------------------------------------------------------------------------


def aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every stored time is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


# --- ISO weeks -------------------------------------------------------------------------------------


def iso_week_of(moment: datetime | None = None) -> str:
    """The ISO week ("2026-W48") of a moment, in Berlin time."""
    local = (aware(moment) or utcnow()).astimezone(BERLIN)
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> str:
    """Validate "YYYY-Www" (a week that exists in that year); raises ValueError otherwise."""
    match = ISO_WEEK_RE.match(text.strip())
    if not match:
        raise ValueError("Kalenderwoche im Format JJJJ-Www angeben, z. B. 2026-W48.")
    year, week = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, week, 1)
    except ValueError:
        raise ValueError(f"Die Kalenderwoche {year}-W{week:02d} gibt es nicht.") from None
    return f"{year}-W{week:02d}"


# --- signed links ----------------------------------------------------------------------------------


def absolute_url(endpoint: str, **values) -> str:
    """An absolute link on the configured BASE_URL (works in tasks, where there is no request)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def unsubscribe_token(user_id: int) -> str:
    """A signed token that lets its holder unsubscribe this user (used in every digest)."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps(user_id)


def user_id_from_unsubscribe_token(token: str) -> int | None:
    """The user id in a genuine unsubscribe token, None for a forged or damaged one."""
    try:
        value = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def confirm_token(subscription: DigestSubscription) -> str:
    """A signed, expiring token for the double opt-in link, bound to this request's time."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    return serializer.dumps(
        {"u": subscription.user_id, "r": int(aware(subscription.requested_at).timestamp())}
    )


def _load_confirm_token(token: str) -> dict | None:
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    max_age = current_app.config["DIGEST_CONFIRM_MAX_AGE_DAYS"] * 24 * 3600
    try:
        value = serializer.loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    return value if isinstance(value, dict) and {"u", "r"} <= value.keys() else None


# --- consent ---------------------------------------------------------------------------------------


def get_subscription(user_id: int) -> DigestSubscription | None:
    """The user's subscription record, if any."""
    return db.session.scalar(sa.select(DigestSubscription).where(DigestSubscription.user_id == user_id))


def request_subscription(user: User) -> DigestSubscription:
    """Start the double opt-in with the current consent text; an active subscription stays as it is."""
    subscription = get_subscription(user.id)
    if subscription is not None and subscription.status == "active":
        return subscription
    if subscription is None:
        subscription = DigestSubscription(user_id=user.id)
        db.session.add(subscription)
    subscription.status = "pending"
    subscription.consent_text_version = CURRENT_CONSENT_VERSION
    subscription.requested_at = utcnow().replace(microsecond=0)
    subscription.confirmed_at = None
    db.session.flush()
    return subscription


def subscription_for_confirm_token(token: str) -> DigestSubscription | None:
    """The subscription a genuine, fresh confirmation link belongs to (changes nothing); else None."""
    data = _load_confirm_token(token)
    if data is None:
        return None
    subscription = get_subscription(data["u"])
    if subscription is None or int(aware(subscription.requested_at).timestamp()) != data["r"]:
        return None  # an older link, superseded by a newer request (e.g. after unsubscribing)
    return subscription


def confirm_subscription(token: str) -> DigestSubscription | None:
    """Activate the subscription of a valid confirmation link (idempotent); None if the link is void."""
    subscription = subscription_for_confirm_token(token)
    if subscription is None or subscription.status == "unsubscribed":
        return None
    if subscription.status == "pending":
        subscription.status = "active"
        subscription.confirmed_at = utcnow()
    return subscription


def unsubscribe(user_id: int) -> bool:
    """End the subscription (idempotent); False if there was none."""
    subscription = get_subscription(user_id)
    if subscription is None:
        return False
    if subscription.status != "unsubscribed":
        subscription.status = "unsubscribed"
        subscription.unsubscribed_at = utcnow()
    return True


def send_confirmation_mail(user_id: int) -> bool:
    """Send the double opt-in link to a pending subscriber; False if nothing is pending."""
    subscription = get_subscription(user_id)
    if subscription is None or subscription.status != "pending":
        return False
    user = subscription.user
    link = absolute_url("digest.bestaetigen", token=confirm_token(subscription))
    with force_locale("de"):
        text = render_template(
            "digest/bestaetigung_mail.txt",
            user=user,
            link=link,
            days=current_app.config["DIGEST_CONFIRM_MAX_AGE_DAYS"],
        )
        subject = _("Kommunalmatch: Bitte bestätigen Sie die wöchentliche E-Mail")
    send_message(build_message(formataddr((user.name, user.email)), subject, text))
    return True


# --- building the digest ---------------------------------------------------------------------------


@dataclass
class Digest:
    """What one recipient would get for one week."""

    user: User
    week: str
    since: datetime
    until: datetime
    sections: list[DigestSection] = field(default_factory=list)
    kommunen: list[Kommune] = field(default_factory=list)

    @property
    def has_news(self) -> bool:
        """Whether anything is new; reminders alone are not worth an e-mail."""
        return any(section.has_news for section in self.sections)

    @property
    def week_number(self) -> int:
        """The number of the ISO week, for "KW 48"."""
        return int(self.week.split("-W")[1])

    @property
    def subject(self) -> str:
        """E.g. "Kommunalmatch: 3 neue Vorschläge für Kreuzau (KW 48)"."""
        summaries = [s.summary_de for s in self.sections if s.has_news and s.summary_de]
        headline = ", ".join(summaries[:2]) if summaries else _("Neuigkeiten")
        if len(self.kommunen) == 1:
            where = " " + _("für %(name)s", name=self.kommunen[0].short_name)
        elif self.kommunen:
            first, others = self.kommunen[0].short_name, len(self.kommunen) - 1
            where = " " + _("für %(name)s und %(num)d weitere", name=first, num=others)
        else:
            where = ""
        week = _("KW %(num)d", num=self.week_number)  # outside the f-string, so pybabel finds it
        return f"Kommunalmatch: {headline}{where} ({week})"

    def listed_keys(self, previous: dict | None) -> dict:
        """The keys to store: this digest's sections, the rest carried over from the previous digest."""
        keys = dict(previous or {})
        for section in self.sections:
            keys[section.name] = section.remembered_keys()
        return keys


def previous_delivery(user_id: int, before: datetime | None = None) -> DigestDelivery | None:
    """The last digest actually sent to the user (before a moment, if given)."""
    stmt = sa.select(DigestDelivery).where(DigestDelivery.user_id == user_id, DigestDelivery.status == "sent")
    if before is not None:
        stmt = stmt.where(DigestDelivery.sent_at < before)
    return db.session.scalar(stmt.order_by(DigestDelivery.sent_at.desc(), DigestDelivery.id.desc()).limit(1))


def previous_listed_keys(user_id: int, section: str, before: datetime | None = None) -> set[str]:
    """The keys a section remembered in the user's last sent digest (what the user has already seen)."""
    delivery = previous_delivery(user_id, before)
    if delivery is None:
        return set()
    return set((delivery.listed_keys or {}).get(section, []))


def digest_window(user: User, until: datetime) -> tuple[datetime, datetime]:
    """[since, until): since the last sent digest, but never before the (latest) consent."""
    subscription = get_subscription(user.id)
    candidates = []
    last = previous_delivery(user.id, until)
    if last is not None:
        candidates.append(aware(last.sent_at))
    if subscription is not None and subscription.confirmed_at is not None:
        candidates.append(aware(subscription.confirmed_at))
    since = max(candidates) if candidates else until - timedelta(days=7)
    return since, until


def recipient_locale(user: User) -> str:
    """The language of the recipient's account (German unless English is chosen and offered)."""
    locale = getattr(user, "locale", None) or "de"
    return locale if locale in current_app.config["LANGUAGES"] else "de"


def user_kommunen(user: User) -> list[Kommune]:
    """The Kommunen the user acts for, by name (for the subject line)."""
    ids = acting_kommune_ids(user)
    if not ids:
        return []
    return kommunen_by_name(ids)


def build_digest(user: User, week: str | None = None, until: datetime | None = None) -> Digest:
    """Assemble the user's digest from the registered sections; reads only, writes nothing."""
    until = until or utcnow()
    since, until = digest_window(user, until)
    with force_locale(recipient_locale(user)):
        sections = build_sections(user, since, until)
    return Digest(
        user=user,
        week=week or iso_week_of(until),
        since=since,
        until=until,
        sections=sections,
        kommunen=user_kommunen(user),
    )


def render_digest(digest: Digest) -> tuple[str, str]:
    """The plain-text and HTML bodies, links absolute to BASE_URL."""
    with force_locale(recipient_locale(digest.user)):
        subscription = get_subscription(digest.user.id)
        confirmed = aware(subscription.confirmed_at) if subscription and subscription.confirmed_at else None
        context = {
            "digest": digest,
            "lang": recipient_locale(digest.user),
            "subject": digest.subject,
            "base": current_app.config["BASE_URL"].rstrip("/"),
            "since_local": digest.since.astimezone(BERLIN),
            "confirmed_local": confirmed.astimezone(BERLIN) if confirmed else None,
            "settings_url": absolute_url("digest.einstellungen"),
            "unsubscribe_url": absolute_url("digest.abmelden", token=unsubscribe_token(digest.user.id)),
        }
        return (
            render_template("digest/mail.txt", **context),
            render_template("digest/mail.html", **context),
        )


def digest_message(digest: Digest) -> EmailMessage:
    """The multipart/alternative message with RFC 8058 one-click unsubscribe headers."""
    text, html = render_digest(digest)
    unsubscribe_url = absolute_url("digest.abmelden", token=unsubscribe_token(digest.user.id))
    with force_locale(recipient_locale(digest.user)):
        subject = digest.subject
    msg = build_message(
        formataddr((digest.user.name, digest.user.email)),
        subject,
        text,
        html,
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    return msg


# --- sending ---------------------------------------------------------------------------------------


def recipient_ids() -> list[int]:
    """Users with a confirmed (active) subscription and an active account."""
    return list(
        db.session.scalars(
            sa.select(DigestSubscription.user_id)
            .join(User, User.id == DigestSubscription.user_id)
            .where(DigestSubscription.status == "active", User.active.is_(True))
            .order_by(DigestSubscription.user_id)
        )
    )


def _claim(user_id: int, week: str) -> DigestDelivery | None:
    """Insert the week's row (or re-claim one whose last attempt certainly failed); None = skip."""
    row = DigestDelivery(user_id=user_id, iso_week=week, status="reserved", attempts=1, claimed_at=utcnow())
    db.session.add(row)
    try:
        db.session.commit()
        return row
    except IntegrityError:
        db.session.rollback()
    existing = db.session.scalar(
        sa.select(DigestDelivery).where(DigestDelivery.user_id == user_id, DigestDelivery.iso_week == week)
    )
    if existing is None:
        return None
    undelivered = existing.status == "undelivered"  # a new run after the retries ran out
    if not undelivered and (existing.status != "reserved" or existing.error is None):
        return None  # done, empty, failed, or in flight / outcome unknown: never a second copy
    if not undelivered and existing.attempts >= current_app.config["DIGEST_RETRY_MAX"] + 1:
        existing.status = "undelivered"
        db.session.commit()
        return None
    # Compare-and-set, so that two retries racing for the same row cannot both send.
    result = db.session.execute(
        sa.update(DigestDelivery)
        .where(
            DigestDelivery.id == existing.id,
            DigestDelivery.status == existing.status,
            DigestDelivery.error.is_not(None),
            DigestDelivery.attempts == existing.attempts,
        )
        .values(status="reserved", attempts=DigestDelivery.attempts + 1, claimed_at=utcnow(), error=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    db.session.refresh(existing)
    return existing


def _finish(delivery: DigestDelivery, status: str, error: str | None = None, **values) -> None:
    delivery.status = status
    delivery.error = error
    for name, value in values.items():
        setattr(delivery, name, value)
    db.session.commit()


def deliver_digest(user_id: int, week: str, final_attempt: bool = True) -> str:
    """Send one recipient's digest for one week at most once; returns what happened (German word).

    Raises TransientMailError when the server refused the message and another attempt is allowed.
    """
    user = db.session.get(User, user_id)
    subscription = get_subscription(user_id)
    if user is None or not user.active or subscription is None or subscription.status != "active":
        return "nicht-abonniert"
    delivery = _claim(user_id, week)
    if delivery is None:
        return "bereits-erledigt"
    try:
        digest = build_digest(user, week)
        previous = previous_delivery(user_id)
        keys = digest.listed_keys(previous.listed_keys if previous else None)
        if not digest.has_news:
            _finish(delivery, "empty", listed_keys=keys)
            return "leer"
        msg = digest_message(digest)
    except Exception as exc:
        db.session.rollback()
        _finish(delivery, "failed", error=f"Aufbau fehlgeschlagen: {exc!r}"[:2000])
        raise
    try:
        send_message(msg)
    except NOT_ACCEPTED_ERRORS as exc:
        db.session.rollback()
        permanent = exc.permanent
        error = f"SMTP nicht angenommen: {exc.cause!r}"[:2000]
        if permanent:
            _finish(delivery, "failed", error=error)  # 5xx: the server will not take it this week
            return "fehlgeschlagen"
        if final_attempt:
            _finish(delivery, "undelivered", error=error)
            return "nicht-zugestellt"
        _finish(delivery, "reserved", error=error)
        raise TransientMailError(error) from exc
    except (smtplib.SMTPException, OSError) as exc:
        # E.g. the connection dropped after DATA: the server may have accepted it. No second copy.
        db.session.rollback()
        _finish(delivery, "failed", error=f"Zustellung ungewiss, nicht wiederholt: {exc!r}"[:2000])
        return "fehlgeschlagen"
    _finish(delivery, "sent", sent_at=utcnow(), subject=msg["Subject"], listed_keys=keys)
    return "gesendet"


def mark_stale_reservations(now: datetime | None = None) -> int:
    """Close rows stuck in `reserved` (worker crashed, retry lost): failed when the outcome is unknown
    (never resent), undelivered when the last attempt was refused (the next run of the week retries)."""
    now = now or utcnow()
    limit = now - timedelta(minutes=current_app.config["DIGEST_STALE_MINUTES"])
    rows = db.session.scalars(
        sa.select(DigestDelivery).where(
            DigestDelivery.status == "reserved", DigestDelivery.claimed_at < limit
        )
    ).all()
    for row in rows:
        if row.error:
            row.status = "undelivered"  # its last attempt was refused; the retry was lost
        else:
            row.status = "failed"
            row.error = "Abgebrochen während des Versands; Zustellung ungewiss, nicht wiederholt."
    db.session.commit()
    return len(rows)


@dataclass(frozen=True)
class DryRunLine:
    """What `digest send --dry-run` reports for one recipient."""

    email: str
    status: str
    subject: str | None
    sections: list[DigestSection]


def dry_run(week: str) -> list[DryRunLine]:
    """Who would get what this week; sends nothing and records nothing."""
    lines = []
    for user_id in recipient_ids():
        user = db.session.get(User, user_id)
        existing = db.session.scalar(
            sa.select(DigestDelivery).where(
                DigestDelivery.user_id == user_id, DigestDelivery.iso_week == week
            )
        )
        retry = existing is not None and (
            existing.status == "undelivered" or (existing.status == "reserved" and existing.error)
        )
        if existing is not None and not retry:
            lines.append(DryRunLine(user.email, f"bereits erledigt ({existing.status})", None, []))
            continue
        digest = build_digest(user, week)
        with force_locale(recipient_locale(user)):
            subject = digest.subject if digest.has_news else None
        lines.append(
            DryRunLine(
                user.email, "würde gesendet" if digest.has_news else "nichts Neues", subject, digest.sections
            )
        )
    db.session.rollback()
    return lines
