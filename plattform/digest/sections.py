"""The digest's sections: contact requests now; suggestions (and more) when their domains exist.

Sections of domains that live on other branches import them lazily and register only if the package is
installed (`importlib.util.find_spec`), so this module works before and after the merge.
"""

from __future__ import annotations

import importlib.util
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids
from plattform.digest.registry import DigestItem, DigestSection, register_digest_section
from plattform.digest.services import BERLIN, aware, previous_listed_keys
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kontakte.models import ContactRequest

CONTACTS = "kontaktanfragen"
SUGGESTIONS = "vorschlaege"


def _kommune_path(kommune: Kommune) -> str:
    return f"/kommunen/{kommune.ags}"


def _date_de(moment: datetime) -> str:
    return aware(moment).astimezone(BERLIN).strftime("%d.%m.%Y")


def contact_requests_section(user: User, since: datetime, until: datetime) -> DigestSection | None:
    """Incoming requests still open for the user's Kommunen, and answers to their requests since `since`.

    An open request already listed in the previous digest is repeated as a reminder (new=False), which
    alone does not trigger an e-mail.
    """
    ids = acting_kommune_ids(user)
    if not ids:
        return None
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
            von=request.from_kommune.short_name,
            an=request.to_kommune.short_name,
            datum=_date_de(request.created_at),
        )
        if not is_new:
            text += " " + _("Die Anfrage wartet weiterhin auf Ihre Antwort.")
        items.append(
            DigestItem(
                text_de=text,
                url_path=_kommune_path(request.from_kommune),
                link_de=_("Profil von %(name)s ansehen", name=request.from_kommune.short_name),
                key=key,
                new=is_new,
            )
        )
    for request in answered:
        text = (
            _(
                "%(an)s hat die Anfrage von %(von)s angenommen.",
                an=request.to_kommune.short_name,
                von=request.from_kommune.short_name,
            )
            if request.status == "angenommen"
            else _(
                "%(an)s hat die Anfrage von %(von)s abgelehnt.",
                an=request.to_kommune.short_name,
                von=request.from_kommune.short_name,
            )
        )
        items.append(
            DigestItem(
                text_de=text,
                url_path=_kommune_path(request.to_kommune),
                link_de=_("Profil von %(name)s ansehen", name=request.to_kommune.short_name),
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


def suggestions_section(user: User, since: datetime, until: datetime) -> DigestSection | None:
    """Suggestions of the current run whose (Kommune, partner) pair the user has not been shown yet.

    The section remembers every pair of the current top list plus all pairs shown before, so a pair is
    announced once, not again every time it reappears.
    """
    from plattform.vorschlaege.services import current_suggestions

    ids = acting_kommune_ids(user)
    if not ids:
        return None
    per_kommune = current_app.config["DIGEST_SUGGESTIONS_PER_KOMMUNE"]
    # The dashboard's own reader: current run only, without partners, declined or hidden pairs.
    top = [row for kommune_id in sorted(ids) for row in current_suggestions(kommune_id, limit=per_kommune)]
    if not top:
        return None
    known = previous_listed_keys(user.id, SUGGESTIONS, until)
    current = {f"{row.kommune_id}:{row.partner_id}" for row in top}
    new = [row for row in top if f"{row.kommune_id}:{row.partner_id}" not in known]
    if not new:
        return None
    names = {
        k.id: k
        for k in db.session.scalars(
            sa.select(Kommune).where(
                Kommune.id.in_({r.kommune_id for r in new} | {r.partner_id for r in new})
            )
        )
    }
    items = []
    for row in new:
        kommune, partner = names[row.kommune_id], names[row.partner_id]
        distance = f" ({row.distance_km:.0f} km)" if row.distance_km is not None else ""
        text = _(
            "Für %(kommune)s: %(partner)s%(entfernung)s.",
            kommune=kommune.short_name,
            partner=partner.short_name,
            entfernung=distance,
        )
        if row.explanation_de:
            text += " " + row.explanation_de
        items.append(
            DigestItem(
                text_de=text,
                url_path=_kommune_path(partner),
                link_de=_("Profil von %(name)s ansehen", name=partner.short_name),
                key=f"{row.kommune_id}:{row.partner_id}",
            )
        )
    return DigestSection(
        title_de=_("Neue Partnervorschläge"),
        items=items,
        summary_de=ngettext("%(num)d neuer Vorschlag", "%(num)d neue Vorschläge", len(new)),
        keys=sorted(known | current),
    )


def register_default_sections() -> None:
    """Register the sections whose domains are present."""
    if importlib.util.find_spec("plattform.vorschlaege") is not None:
        register_digest_section(SUGGESTIONS, 10, suggestions_section)
    register_digest_section(CONTACTS, 20, contact_requests_section)


register_default_sections()
