"""Network invitations reach the officers of the invited Kommune (not only an address typed in).

`invite()` in services calls `remember_invitation`; the notice goes out through the worker after the
commit (plattform.projekte.notices, with its broker-down fallback).
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from plattform.accounts.services import approved_officers
from plattform.netzwerke.models import NetzwerkEinladung
from plattform.projekte.notices import letter, link, register_notice, remember_notice

KIND = "netzwerk_einladung"


def remember_invitation(einladung: NetzwerkEinladung) -> None:
    """Tell the invited Kommune's officers once the invitation is committed."""
    if einladung.kommune_id is not None:
        remember_notice(KIND, einladung.id)


def _network_invitation(session: Session, einladung_id: int):
    einladung = session.get(NetzwerkEinladung, einladung_id)
    if einladung is None or einladung.status != "offen" or einladung.kommune_id is None:
        return []
    netzwerk, kommune = einladung.netzwerk, einladung.kommune
    mails = []
    for user in approved_officers(kommune.id, session):
        if einladung.email and user.email.lower() == einladung.email:
            continue  # this address gets the invitation mail itself
        with force_locale(user.locale or "de"):
            body = _(
                "%(kommune)s ist eingeladen, dem Netzwerk „%(name)s“ auf Kommunalmatch beizutreten. "
                "Eine berechtigte Person Ihrer Kommune kann die Einladung annehmen oder ablehnen.",
                kommune=kommune.name,
                name=netzwerk.name,
            )
            subject = _("Einladung in das Netzwerk „%(name)s“", name=netzwerk.name)
            text = letter(user, body, link(f"/netzwerke/einladung/{einladung.token}"), _("Einladung ansehen"))
        mails.append((user, subject, text))
    return mails


register_notice(KIND, _network_invitation)
