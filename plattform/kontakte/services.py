"""Contact requests and partnerships: the rules, the contact details they unlock, the notices they send.

Views check who may act (permissions.py); these functions enforce the domain's rules and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids
from plattform.accounts.services import approved_officers
from plattform.core.clock import utcnow
from plattform.core.mail import build_message, send_message
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import kommunen_by_name
from plattform.kontakte.models import ContactRequest, Partnership

MESSAGE_MAX = 1000


class ContactError(ValueError):
    """A request that breaks a rule; the message is German and safe to show (as in accounts)."""


@dataclass(frozen=True)
class ContactPerson:
    """An officer of a Kommune as its partners see them."""

    name: str
    funktion: str | None
    email: str
    telefon: str | None


# ------------------------------------------------------------------------------------------ reading


def partner_ids(kommune_id: int) -> set[int]:
    """Ids of the Kommunen that are learning partners of this one."""
    rows = db.session.execute(
        sa.select(Partnership.kommune_a_id, Partnership.kommune_b_id).where(
            sa.or_(Partnership.kommune_a_id == kommune_id, Partnership.kommune_b_id == kommune_id)
        )
    )
    return {b if a == kommune_id else a for a, b in rows}


def partners_of(kommune_id: int) -> list[Kommune]:
    """The partner Kommunen, by name (the public list on the Kommune page)."""
    ids = partner_ids(kommune_id)
    if not ids:
        return []
    return kommunen_by_name(ids)


def are_partners(a: int, b: int) -> bool:
    """Whether the two Kommunen already are partners."""
    first, second = Partnership.ordered(a, b)
    return (
        db.session.scalar(
            sa.select(Partnership.id).where(
                Partnership.kommune_a_id == first, Partnership.kommune_b_id == second
            )
        )
        is not None
    )


def open_request(from_id: int, to_id: int) -> ContactRequest | None:
    """The open request from one Kommune to the other, if any (one direction)."""
    return db.session.scalar(
        sa.select(ContactRequest).where(
            ContactRequest.from_kommune_id == from_id,
            ContactRequest.to_kommune_id == to_id,
            ContactRequest.status == "offen",
        )
    )


def declined_pairs() -> set[tuple[int, int]]:
    """Unordered pairs (smaller id first) with a declined request: never suggested to each other again."""
    rows = db.session.execute(
        sa.select(ContactRequest.from_kommune_id, ContactRequest.to_kommune_id).where(
            ContactRequest.status == "abgelehnt"
        )
    )
    return {Partnership.ordered(a, b) for a, b in rows}


def _declined_by(answering_id: int, asking_id: int) -> bool:
    """Whether `answering_id` has declined a request from `asking_id` (then it is not asked again)."""
    return (
        db.session.scalar(
            sa.select(ContactRequest.id).where(
                ContactRequest.from_kommune_id == asking_id,
                ContactRequest.to_kommune_id == answering_id,
                ContactRequest.status == "abgelehnt",
            )
        )
        is not None
    )


def requests_of(kommune_id: int) -> tuple[list[ContactRequest], list[ContactRequest]]:
    """Incoming and outgoing requests of a Kommune, newest first."""

    def query(column):
        return list(
            db.session.scalars(
                sa.select(ContactRequest)
                .where(column == kommune_id)
                .options(selectinload(ContactRequest.from_kommune), selectinload(ContactRequest.to_kommune))
                .order_by(ContactRequest.created_at.desc(), ContactRequest.id.desc())
            )
        )

    return query(ContactRequest.to_kommune_id), query(ContactRequest.from_kommune_id)


def get_request_for(user: User, request_id: int) -> ContactRequest | None:
    """The request if the user acts for one of its two sides; None otherwise (shown as 404)."""
    req = db.session.get(ContactRequest, request_id)
    if req is None:
        return None
    acting = acting_kommune_ids(user)
    if req.from_kommune_id in acting or req.to_kommune_id in acting:
        return req
    return None


def contact_people(kommune_id: int) -> list[ContactPerson]:
    """The approved officers of a Kommune with their contact details (only for partners to see)."""
    users = approved_officers(kommune_id)
    return [ContactPerson(u.name, u.funktion, u.email, u.telefon) for u in users]


def may_see_contacts(user: User | None, kommune_id: int) -> bool:
    """Officers of a partner Kommune (and the Kommune's own officers) see its contact details."""
    acting = acting_kommune_ids(user)
    if not acting:
        return False
    return kommune_id in acting or bool(acting & partner_ids(kommune_id))


# ------------------------------------------------------------------------------------------ writing


def send_request(user: User, from_id: int, to_id: int, message: str) -> ContactRequest:
    """Ask another Kommune for a partnership; the caller checked that `user` acts for `from_id`."""
    message = (message or "").strip()
    if from_id == to_id:
        raise ContactError(_("Eine Kommune kann sich nicht selbst anfragen."))
    if len(message) > MESSAGE_MAX:
        raise ContactError(_("Die Nachricht darf höchstens %(num)d Zeichen lang sein.", num=MESSAGE_MAX))
    target = db.session.get(Kommune, to_id)
    if target is None or not target.active:
        raise ContactError(_("Diese Kommune gibt es im Verzeichnis nicht (mehr)."))
    if are_partners(from_id, to_id):
        raise ContactError(_("Sie sind bereits Lernpartner dieser Kommune."))
    if open_request(from_id, to_id) is not None:
        raise ContactError(_("Es gibt bereits eine offene Anfrage an diese Kommune."))
    if _declined_by(to_id, from_id):
        raise ContactError(_("Diese Kommune hat eine frühere Anfrage von Ihnen abgelehnt."))
    if open_request(to_id, from_id) is not None:
        raise ContactError(
            _("Diese Kommune hat Ihnen bereits eine Anfrage geschickt. Bitte beantworten Sie diese.")
        )
    req = ContactRequest(from_kommune_id=from_id, to_kommune_id=to_id, from_user_id=user.id, message=message)
    db.session.add(req)
    db.session.flush()
    return req


def answer_request(req: ContactRequest, user: User, accept: bool) -> Partnership | None:
    """Accept (creating the partnership) or decline an open incoming request; the caller checked the side."""
    if req.status != "offen":
        raise ContactError(_("Diese Anfrage ist nicht mehr offen."))
    req.status = "angenommen" if accept else "abgelehnt"
    req.answered_at = utcnow()
    req.answered_by_id = user.id
    partnership = None
    if accept and not are_partners(req.from_kommune_id, req.to_kommune_id):
        a, b = Partnership.ordered(req.from_kommune_id, req.to_kommune_id)
        partnership = Partnership(kommune_a_id=a, kommune_b_id=b, request_id=req.id)
        db.session.add(partnership)
    db.session.flush()
    return partnership


def withdraw_request(req: ContactRequest, user: User) -> None:
    """Withdraw an open outgoing request; the caller checked that the user acts for the sender."""
    if req.status != "offen":
        raise ContactError(_("Nur offene Anfragen können zurückgezogen werden."))
    req.status = "zurueckgezogen"
    req.answered_at = utcnow()
    req.answered_by_id = user.id
    db.session.flush()


# ------------------------------------------------------------------------------------------ notices


def _recipients(kommune_id: int) -> list[str]:
    """Addresses of the approved officers of a Kommune."""
    return [p.email for p in contact_people(kommune_id)]


def notify(request_id: int, event: str) -> int:
    """E-mail the other side of a request ("gesendet": the recipient, else the sender); returns the count."""
    req = db.session.get(ContactRequest, request_id)
    if req is None:
        return 0
    to_kommune, other = (
        (req.to_kommune, req.from_kommune) if event == "gesendet" else (req.from_kommune, req.to_kommune)
    )
    link = current_app.config["BASE_URL"].rstrip("/") + f"/kontakte/anfrage/{req.id}"
    context = {"req": req, "event": event, "empfaenger": to_kommune, "andere": other, "link": link}
    # German, like the weekly digest: the notice goes to all officers of the Kommune at once.
    with force_locale("de"):
        if event == "gesendet":
            subject = _("Kontaktanfrage von %(name)s", name=other.name)
        elif req.status == "angenommen":
            subject = _("%(name)s hat Ihre Kontaktanfrage angenommen", name=other.name)
        else:
            subject = _("%(name)s hat Ihre Kontaktanfrage abgelehnt", name=other.name)
        text = render_template("kontakte/mail_anfrage.txt", **context)
        html = render_template("kontakte/mail_anfrage.html", **context)
    sent = 0
    for address in _recipients(to_kommune.id):
        send_message(build_message(address, subject, text, html))
        sent += 1
    return sent
