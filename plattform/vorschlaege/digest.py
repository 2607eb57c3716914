"""The digest's partner-suggestion section, registered by this domain (plattform/digest/registry.py).

Explanations are rendered from the stored facts in the locale the digest is built in, so the
e-mail speaks its recipient's language as far as the digest forces it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids
from plattform.digest.registry import DigestItem, DigestSection, register_digest_section
from plattform.digest.services import previous_listed_keys
from plattform.extensions import db
from plattform.kommunen.models import Kommune

SUGGESTIONS = "vorschlaege"


def kommune_path(kommune: Kommune) -> str:
    """The platform path of a Kommune's page (digest links)."""
    return f"/kommunen/{kommune.ags}"


def suggestions_section(user: User, since: datetime, until: datetime) -> DigestSection | None:
    """Suggestions of the current run whose (Kommune, partner) pair the user has not been shown yet.

    The section remembers every pair of the current top list plus all pairs shown before, so a pair is
    announced once, not again every time it reappears.
    """
    from plattform.vorschlaege.explain import sentence
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
        text = _("Für %(kommune)s: %(partner)s.", kommune=kommune.short_name, partner=partner.short_name)
        text += " " + sentence(row.fact_sheet, kommune.display_name, partner.display_name)
        items.append(
            DigestItem(
                text_de=text,
                url_path=kommune_path(partner),
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


def suggestions_freshness(user: User):
    """The "Stand" of the suggestion lists behind the user's digest: the oldest of its Kommunen's
    lists, pending if any of them still waits for a recompute after a profile edit (None: no run)."""
    from plattform.vorschlaege.services import list_freshness

    states = [list_freshness(k) for k in sorted(acting_kommune_ids(user))]
    states = [f for f in states if f.at is not None]
    if not states:
        return None
    return min(f.at for f in states), any(f.pending for f in states)


register_digest_section(SUGGESTIONS, 10, suggestions_section)
