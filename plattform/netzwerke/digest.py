"""The netzwerke domain's part of the weekly digest: invitations, and for coordinators new members and
new duplication findings in their Kreise.

Open invitations are repeated as reminders (which alone send no e-mail); members and duplication lines
are announced once (their keys are remembered; a duplication line is recognised by Kreis and topic,
since the report is recomputed every night).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import selectinload

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids, coordinated_kommune_ids
from plattform.digest.registry import DigestItem, DigestSection, register_digest_section
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.netzwerke.models import NetzwerkEinladung, NetzwerkMitglied
from plattform.netzwerke.services import coordinated_netzwerk_ids

NETWORKS = "netzwerke"
OVERLAP = timedelta(days=1)


def coordinated_kreis_ags(user: User) -> set[str]:
    """The Kreise (AGS) whose Kommunen the user coordinates, through a Kreis role or a network."""
    ids = coordinated_kommune_ids(user)
    if not ids:
        return set()
    kreise = set()
    for kommune in db.session.scalars(
        sa.select(Kommune).where(Kommune.id.in_(ids)).options(selectinload(Kommune.kreis))
    ):
        if kommune.is_kreis:
            kreise.add(kommune.ags)
        elif kommune.kreis is not None:
            kreise.add(kommune.kreis.ags)
    return kreise


def _invitation_items(user: User, known: set[str]) -> tuple[list[DigestItem], int]:
    ids = acting_kommune_ids(user)
    conditions = [NetzwerkEinladung.email == user.email.lower()]
    if ids:
        conditions.append(NetzwerkEinladung.kommune_id.in_(ids))
    rows = db.session.scalars(
        sa.select(NetzwerkEinladung)
        .where(NetzwerkEinladung.status == "offen", sa.or_(*conditions))
        .options(selectinload(NetzwerkEinladung.netzwerk), selectinload(NetzwerkEinladung.kommune))
        .order_by(NetzwerkEinladung.created_at, NetzwerkEinladung.id)
    ).all()
    items, new = [], 0
    for einladung in rows:
        key = f"einladung:{einladung.id}"
        is_new = key not in known
        new += is_new
        if einladung.kommune is not None:
            text = _(
                "%(kommune)s ist in das Netzwerk „%(name)s“ eingeladen.",
                kommune=einladung.kommune.display_name,
                name=einladung.netzwerk.name,
            )
        else:
            text = _("Sie sind in das Netzwerk „%(name)s“ eingeladen.", name=einladung.netzwerk.name)
        if not is_new:
            text += " " + _("Die Einladung wartet weiterhin auf Ihre Antwort.")
        items.append(
            DigestItem(
                text_de=text,
                url_path=f"/netzwerke/einladung/{einladung.token}",
                link_de=_("Einladung ansehen"),
                key=key,
                new=is_new,
            )
        )
    return items, new


def _announced_once(rows, known: set[str], key_of, item_of) -> tuple[list[DigestItem], set[str]]:
    """Items for the rows not listed in an earlier digest, and the keys of all rows (to remember)."""
    keys = [key_of(row) for row in rows]
    items = [item_of(row, key) for row, key in zip(rows, keys, strict=True) if key not in known]
    return items, set(keys)


def _member_items(user: User, since: datetime, until: datetime, known: set[str]):
    netzwerk_ids = coordinated_netzwerk_ids(user)
    if not netzwerk_ids:
        return [], set()
    rows = db.session.scalars(
        sa.select(NetzwerkMitglied)
        .where(
            NetzwerkMitglied.netzwerk_id.in_(netzwerk_ids),
            NetzwerkMitglied.joined_at >= since - OVERLAP,
            NetzwerkMitglied.joined_at < until,
        )
        .options(selectinload(NetzwerkMitglied.netzwerk), selectinload(NetzwerkMitglied.kommune))
        .order_by(NetzwerkMitglied.joined_at, NetzwerkMitglied.id)
    ).all()
    return _announced_once(
        rows,
        known,
        lambda member: f"mitglied:{member.id}",
        lambda member, key: DigestItem(
            text_de=_(
                "%(kommune)s ist dem Netzwerk „%(name)s“ beigetreten.",
                kommune=member.kommune.display_name,
                name=member.netzwerk.name,
            ),
            url_path=f"/netzwerke/{member.netzwerk_id}",
            link_de=_("Netzwerk „%(name)s“ ansehen", name=member.netzwerk.name),
            key=key,
        ),
    )


def _duplication_items(user: User, known: set[str]):
    from plattform.projekte.models import ProjectDuplication

    kreise = coordinated_kreis_ags(user)
    if not kreise:
        return [], set()
    rows = db.session.scalars(
        sa.select(ProjectDuplication)
        .where(ProjectDuplication.ebene == "kreis", ProjectDuplication.group_key.in_(kreise))
        .order_by(ProjectDuplication.count.desc(), ProjectDuplication.group_key, ProjectDuplication.thema)
    ).all()
    return _announced_once(
        rows,
        known,
        lambda row: f"doppelt:{row.group_key}:{row.thema}",
        lambda row, key: DigestItem(
            text_de=_(
                "Doppelarbeit in %(gruppe)s: %(anzahl)d Kommunen arbeiten getrennt an %(thema)s.",
                gruppe=row.group_name,
                anzahl=row.count,
                thema=_(TOPIC_LABELS_DE.get(row.thema, row.thema)),
            ),
            url_path=f"/projekte/vorschlaege?thema={row.thema}",
            link_de=_("Projektvorschläge ansehen"),
            key=key,
        ),
    )


def networks_section(user: User, since: datetime, until: datetime) -> DigestSection | None:
    """Network invitations for the user's Kommunen; for coordinators new members and duplication."""
    from plattform.digest.services import previous_listed_keys

    known = previous_listed_keys(user.id, NETWORKS, until)
    invitations, new_invitations = _invitation_items(user, known)
    members, member_keys = _member_items(user, since, until, known)
    duplications, duplication_keys = _duplication_items(user, known)
    items = invitations + members + duplications
    if not items:
        return None
    summaries = []
    if new_invitations:
        summaries.append(
            ngettext("%(num)d Einladung in ein Netzwerk", "%(num)d Einladungen in Netzwerke", new_invitations)
        )
    if members:
        summaries.append(ngettext("%(num)d neues Mitglied", "%(num)d neue Mitglieder", len(members)))
    if duplications:
        summaries.append(ngettext("%(num)d Doppelarbeit", "%(num)d Doppelarbeiten", len(duplications)))
    keys = {i.key for i in invitations} | member_keys | duplication_keys
    keys |= {k for k in known if k.startswith("doppelt:")}
    return DigestSection(
        title_de=_("Netzwerke"), items=items, summary_de=", ".join(summaries) or None, keys=sorted(keys)
    )


register_digest_section(NETWORKS, 40, networks_section)
