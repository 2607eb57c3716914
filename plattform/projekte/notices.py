"""Notice e-mails to the officers of a Kommune: invitations into projects and networks, joins for the lead.

A service that invites or joins calls `remember_notice(kind, *args)`; the notice is handed to the
worker after the commit (only committed rows are visible to it), one task per notice, retried while
the mail server is unreachable. With the broker down it is sent at once in this process, with a
session of its own (the committed session cannot read any more). Domains add kinds with
`register_notice(kind, builder)`; a builder gets a session and the arguments and returns
(recipient User, subject, text) triples, built in each recipient's language.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.utils import formataddr

import sqlalchemy as sa
from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from plattform.accounts.models import User
from plattform.accounts.services import approved_officers
from plattform.core.mail import build_message, send_message, signoff_text
from plattform.core.tasks import enqueue
from plattform.extensions import db

log = logging.getLogger(__name__)

_PENDING = "h13_pending_notices"
NoticeBuilder = Callable[..., list[tuple[User, str, str]]]
_BUILDERS: dict[str, NoticeBuilder] = {}


def register_notice(kind: str, builder: NoticeBuilder) -> None:
    """Add (or replace) a kind of notice."""
    _BUILDERS[kind] = builder


def link(path: str) -> str:
    """An absolute link on BASE_URL (tasks have no request)."""
    return current_app.config["BASE_URL"].rstrip("/") + path


def letter(user: User, body: str, url: str, link_text: str) -> str:
    """The plain-text notice around one sentence, in the current locale."""
    return (
        _("Guten Tag %(name)s,", name=user.name)
        + "\n\n"
        + body
        + "\n\n"
        + f"{link_text}: {url}"
        + "\n\n"
        + signoff_text()
        + "\n"
    )


def build_notice(session: Session, kind: str, args: list) -> list[tuple[User, str, str]]:
    """The mails of one notice, one per recipient."""
    builder = _BUILDERS.get(kind)
    return builder(session, *args) if builder is not None else []


def send_notice(kind: str, args: list, session: Session | None = None) -> int:
    """Build and send one notice; returns how many mails went out."""
    sent = 0
    for user, subject, text in build_notice(session or db.session, kind, args):
        send_message(build_message(formataddr((user.name, user.email)), subject, text))
        sent += 1
    return sent


@shared_task(
    name="projekte.send_notice",
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_jitter=True,
    retry_kwargs={"max_retries": 5},
)
def send_notice_task(kind: str, args: list) -> int:
    """Send one notice (a second copy after a retry is harmless: it is a notice, not a digest)."""
    return send_notice(kind, args)


def remember_notice(kind: str, *args) -> None:
    """Send this notice once the current transaction commits (forgotten if it rolls back)."""
    db.session().info.setdefault(_PENDING, []).append((kind, list(args)))


def _send_inline(kind: str, args: list) -> None:
    with Session(db.engine) as session:
        send_notice(kind, args, session)


def _enqueue_after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    for kind, args in pending or ():
        enqueue(send_notice_task, kind, args, fallback=lambda k=kind, a=args: _send_inline(k, a))


def _forget_after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None and not previous_transaction.nested:
        session.info.pop(_PENDING, None)


def connect_notices() -> None:
    """Listen for commits and rollbacks (once per process)."""
    if not sa.event.contains(Session, "after_commit", _enqueue_after_commit):
        sa.event.listen(Session, "after_commit", _enqueue_after_commit)
        sa.event.listen(Session, "after_soft_rollback", _forget_after_rollback)


# --- the projects' notices ---------------------------------------------------------------------------


def _project_invitation(session: Session, project_id: int, kommune_id: int):
    from plattform.kommunen.models import Kommune
    from plattform.projekte.models import SharedProject

    project, kommune = session.get(SharedProject, project_id), session.get(Kommune, kommune_id)
    if project is None or kommune is None:
        return []
    member = next((m for m in project.members if m.kommune_id == kommune_id), None)
    if member is None or member.status != "eingeladen":
        return []  # answered or withdrawn in the meantime
    mails = []
    for user in approved_officers(kommune_id, session):
        with force_locale(user.locale or "de"):
            body = _(
                "%(kommune)s ist eingeladen, beim gemeinsamen Projekt „%(titel)s“ mitzumachen. "
                "Federführend ist %(lead)s. Eine berechtigte Person Ihrer Kommune kann auf der "
                "Projektseite mit einem Klick beitreten oder ablehnen.",
                kommune=kommune.name,
                titel=project.titel,
                lead=project.lead.name,
            )
            subject = _("Einladung in das gemeinsame Projekt „%(titel)s“", titel=project.titel)
            text = letter(user, body, link(f"/projekte/{project.id}"), _("Projekt ansehen"))
        mails.append((user, subject, text))
    return mails


def _project_joined(session: Session, project_id: int, kommune_id: int):
    from plattform.kommunen.models import Kommune
    from plattform.projekte.models import SharedProject

    project, kommune = session.get(SharedProject, project_id), session.get(Kommune, kommune_id)
    if project is None or kommune is None or kommune_id == project.lead_kommune_id:
        return []
    mails = []
    for user in approved_officers(project.lead_kommune_id, session):
        with force_locale(user.locale or "de"):
            body = _(
                "%(kommune)s ist Ihrem Projekt „%(titel)s“ beigetreten. Das Projekt hat jetzt "
                "%(anzahl)d Mitglieder.",
                kommune=kommune.name,
                titel=project.titel,
                anzahl=len(project.joined()),
            )
            subject = _("%(kommune)s ist „%(titel)s“ beigetreten", kommune=kommune.name, titel=project.titel)
            text = letter(user, body, link(f"/projekte/{project.id}"), _("Projekt ansehen"))
        mails.append((user, subject, text))
    return mails


register_notice("projekt_einladung", _project_invitation)
register_notice("projekt_beitritt", _project_joined)
connect_notices()
