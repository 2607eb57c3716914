"""The kontakte domain's part of the weekly digest: open requests to answer, answers received."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids
from plattform.core import formatting
from plattform.digest.registry import DigestItem, DigestSection, register_digest_section
from plattform.extensions import db
from plattform.kontakte.models import ContactRequest

CONTACTS = "kontaktanfragen"


def request_path(request: ContactRequest) -> str:
    """The platform path of a request's page: where it is answered (or its answer read)."""
    return f"/kontakte/anfrage/{request.id}"


def contact_requests_section(user: User, since: datetime, until: datetime) -> DigestSection | None:
    """Incoming requests still open for the user's Kommunen, and answers to their requests since `since`.

    An open request already listed in the previous digest is repeated as a reminder (new=False), which
    alone does not trigger an e-mail.
    """
    ids = acting_kommune_ids(user)
    if not ids:
        return None
    from plattform.digest.services import previous_listed_keys

    known = previous_listed_keys(user.id, CONTACTS, until)
    incoming = db.session.scalars(
        sa.select(ContactRequest)
        .where(
            ContactRequest.to_kommune_id.in_(ids),
            ContactRequest.status == "offen",
            ContactRequest.created_at < until,
        )
        .order_by(ContactRequest.created_at, ContactRequest.id)
    ).all()
    answered = db.session.scalars(
        sa.select(ContactRequest)
        .where(
            ContactRequest.from_kommune_id.in_(ids),
            ContactRequest.status.in_(("angenommen", "abgelehnt")),
            ContactRequest.answered_at >= since,
            ContactRequest.answered_at < until,
        )
        .order_by(ContactRequest.answered_at, ContactRequest.id)
    ).all()
    items: list[DigestItem] = []
    new_incoming = 0
    for request in incoming:
        key = f"anfrage:{request.id}"
        is_new = key not in known
        new_incoming += is_new
        text = _(
            "%(von)s möchte mit %(an)s eine Lernpartnerschaft beginnen (Anfrage vom %(datum)s).",
            von=request.from_kommune.display_name,
            an=request.to_kommune.display_name,
            datum=formatting.date(request.created_at),
        )
        if not is_new:
            text += " " + _("Die Anfrage wartet weiterhin auf Ihre Antwort.")
        items.append(
            DigestItem(
                text_de=text,
                url_path=request_path(request),
                link_de=_("Anfrage von %(name)s beantworten", name=request.from_kommune.display_name),
                key=key,
                new=is_new,
            )
        )
    for request in answered:
        text = (
            _(
                "%(an)s hat die Anfrage von %(von)s angenommen.",
                an=request.to_kommune.display_name,
                von=request.from_kommune.display_name,
            )
            if request.status == "angenommen"
            else _(
                "%(an)s hat die Anfrage von %(von)s abgelehnt.",
                an=request.to_kommune.display_name,
                von=request.from_kommune.display_name,
            )
        )
        items.append(
            DigestItem(
                text_de=text,
                url_path=request_path(request),
                link_de=_("Antwort von %(name)s ansehen", name=request.to_kommune.display_name),
            )
        )
    if not items:
        return None
    summaries = []
    if new_incoming:
        summaries.append(
            ngettext("%(num)d neue Kontaktanfrage", "%(num)d neue Kontaktanfragen", new_incoming)
        )
    if answered:
        summaries.append(
            ngettext(
                "%(num)d Antwort auf Ihre Anfragen", "%(num)d Antworten auf Ihre Anfragen", len(answered)
            )
        )
    return DigestSection(
        title_de=_("Kontaktanfragen"),
        items=items,
        summary_de=", ".join(summaries) or None,
    )


register_digest_section(CONTACTS, 20, contact_requests_section)
