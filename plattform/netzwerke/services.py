"""Network services: create networks, name coordinators, invite, accept, remove, import member profiles.

Permission checks for pages live in the views (`is_coordinator`); these functions enforce the rules of
a network and raise NetzwerkError with a German message that is safe to show. The caller commits,
except `import_member_profiles`, which is one all-or-nothing transaction of its own.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from plattform.accounts.models import KommuneMembership, User
from plattform.core.clock import utcnow
from plattform.core.mail import build_message, send_message, signoff_text
from plattform.core.models import AuditEvent
from plattform.extensions import db
from plattform.i18n import N_
from plattform.kommunen.models import Kommune
from plattform.kommunen.services import get_by_ags
from plattform.netzwerke.models import (
    NETZWERK_ARTEN,
    Netzwerk,
    NetzwerkEinladung,
    NetzwerkKoordination,
    NetzwerkMitglied,
)
from plattform.profile.bulk import import_profile_file


class NetzwerkError(ValueError):
    """A network action that cannot be carried out; the message is German and safe to show."""


# --- reading -------------------------------------------------------------------------------------


def get_netzwerk(netzwerk_id: int) -> Netzwerk | None:
    """A network with its members loaded."""
    return db.session.scalar(
        sa.select(Netzwerk)
        .where(Netzwerk.id == netzwerk_id)
        .options(selectinload(Netzwerk.mitglieder).selectinload(NetzwerkMitglied.kommune))
    )


def get_by_name(name: str) -> Netzwerk | None:
    """A network by its unique name."""
    return db.session.scalar(sa.select(Netzwerk).where(Netzwerk.name == name))


def member_kommunen(netzwerk: Netzwerk) -> list[Kommune]:
    """The member Kommunen, by name."""
    return sorted((m.kommune for m in netzwerk.mitglieder), key=lambda k: (k.name_search, k.ags))


def coordinated_netzwerk_ids(user: User | None) -> set[int]:
    """Ids of the networks this user coordinates."""
    if user is None or not user.is_authenticated:
        return set()
    return set(
        db.session.scalars(
            sa.select(NetzwerkKoordination.netzwerk_id).where(NetzwerkKoordination.user_id == user.id)
        )
    )


def is_coordinator(user: User | None, netzwerk: Netzwerk) -> bool:
    """Administrators and the network's coordinators steer it; nobody else."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_admin or netzwerk.id in coordinated_netzwerk_ids(user)


def is_member_viewer(user: User | None, netzwerk: Netzwerk) -> bool:
    """An officer (approved membership) of a member Kommune reads the network; coordinating is separate."""
    if user is None or not user.is_authenticated:
        return False
    member_ids = {m.kommune_id for m in netzwerk.mitglieder}
    if not member_ids:
        return False
    return (
        db.session.scalar(
            sa.select(sa.func.count(KommuneMembership.id)).where(
                KommuneMembership.user_id == user.id,
                KommuneMembership.status == "bestaetigt",
                KommuneMembership.kommune_id.in_(member_ids),
            )
        )
        or 0
    ) > 0


def visible_networks(user: User) -> list[Netzwerk]:
    """Administrators see every network; others those they coordinate or their Kommunen belong to."""
    stmt = sa.select(Netzwerk).options(selectinload(Netzwerk.mitglieder)).order_by(Netzwerk.name)
    if not user.is_admin:
        acting = sa.select(KommuneMembership.kommune_id).where(
            KommuneMembership.user_id == user.id, KommuneMembership.status == "bestaetigt"
        )
        member_of = sa.select(NetzwerkMitglied.netzwerk_id).where(NetzwerkMitglied.kommune_id.in_(acting))
        coordinated = sa.select(NetzwerkKoordination.netzwerk_id).where(
            NetzwerkKoordination.user_id == user.id
        )
        stmt = stmt.where(sa.or_(Netzwerk.id.in_(member_of), Netzwerk.id.in_(coordinated)))
    return list(db.session.scalars(stmt))


def networks_of_kommune(kommune_id: int) -> list[Netzwerk]:
    """The networks a Kommune belongs to."""
    return list(
        db.session.scalars(
            sa.select(Netzwerk)
            .join(NetzwerkMitglied, NetzwerkMitglied.netzwerk_id == Netzwerk.id)
            .where(NetzwerkMitglied.kommune_id == kommune_id)
            .order_by(Netzwerk.name)
        )
    )


def open_invitations_for_kommune(kommune_id: int) -> list[NetzwerkEinladung]:
    """Open invitations addressed to a Kommune."""
    return list(
        db.session.scalars(
            sa.select(NetzwerkEinladung)
            .where(NetzwerkEinladung.kommune_id == kommune_id, NetzwerkEinladung.status == "offen")
            .order_by(NetzwerkEinladung.id)
        )
    )


def network_memberships() -> list[tuple[int, int]]:
    """Every (kommune_id, netzwerk_id) pair, for the matching engine's "shared network" bonus."""
    return [
        (kid, nid)
        for kid, nid in db.session.execute(
            sa.select(NetzwerkMitglied.kommune_id, NetzwerkMitglied.netzwerk_id).order_by(
                NetzwerkMitglied.kommune_id, NetzwerkMitglied.netzwerk_id
            )
        )
    ]


def coordinated_members_query(user_id: int) -> sa.Select:
    """Coordination provider: the Kommunen of the networks this user coordinates (a SELECT of ids)."""
    return (
        sa.select(NetzwerkMitglied.kommune_id)
        .join(NetzwerkKoordination, NetzwerkKoordination.netzwerk_id == NetzwerkMitglied.netzwerk_id)
        .where(NetzwerkKoordination.user_id == user_id)
    )


def coordinated_member_ids(user: User) -> set[int]:
    """The Kommunen of the networks this user coordinates."""
    if user is None or not user.is_authenticated:
        return set()
    return set(db.session.scalars(coordinated_members_query(user.id)))


def kreise_coordinated_by(user: User) -> list[Kommune]:
    """Kreise for which the user holds an approved coordination membership (may create their network)."""
    if user is None or not user.is_authenticated:
        return []
    return list(
        db.session.scalars(
            sa.select(Kommune)
            .join(KommuneMembership, KommuneMembership.kommune_id == Kommune.id)
            .where(
                KommuneMembership.user_id == user.id,
                KommuneMembership.status == "bestaetigt",
                KommuneMembership.role == "koordination",
                Kommune.ebene == "kreis",
            )
            .order_by(Kommune.name)
        )
    )


def _may_add_directly(user: User | None, kommune: Kommune) -> bool:
    """Administrators, and Kreis coordinators for the Kreis's own Gemeinden, add without invitation."""
    if user is None:
        return False
    if user.is_admin:
        return True
    kreis_ids = {k.id for k in kreise_coordinated_by(user)}
    return kommune.id in kreis_ids or kommune.kreis_id in kreis_ids


# --- writing -------------------------------------------------------------------------------------


def create_netzwerk(
    name: str,
    art: str,
    beschreibung: str = "",
    *,
    kreis: Kommune | None = None,
    coordinators: list[User] = (),
    created_by: User | None = None,
    add_kreis_gemeinden: bool = False,
) -> Netzwerk:
    """Create a network; a Kreis network names its Kreis (one per Kreis) and may take in its Gemeinden."""
    name = (name or "").strip()
    if not name:
        raise NetzwerkError(_("Bitte geben Sie einen Namen an."))
    if art not in NETZWERK_ARTEN:
        raise NetzwerkError(_("Unbekannte Art des Netzwerks."))
    if get_by_name(name) is not None:
        raise NetzwerkError(_("Ein Netzwerk mit dem Namen „%(name)s“ gibt es bereits.", name=name))
    if art == "kreis":
        if kreis is None or not kreis.is_kreis:
            raise NetzwerkError(_("Ein Kreis-Netzwerk braucht seinen Kreis."))
        existing = db.session.scalar(
            sa.select(Netzwerk).where(Netzwerk.art == "kreis", Netzwerk.kreis_kommune_id == kreis.id)
        )
        if existing is not None:
            raise NetzwerkError(
                _(
                    "Für %(kreis)s gibt es bereits das Netzwerk „%(name)s“.",
                    kreis=kreis.name,
                    name=existing.name,
                )
            )
    netzwerk = Netzwerk(
        name=name,
        art=art,
        beschreibung=(beschreibung or "").strip(),
        kreis_kommune_id=kreis.id if kreis is not None else None,
        created_by_id=created_by.id if created_by is not None else None,
    )
    db.session.add(netzwerk)
    db.session.flush()
    for user in coordinators:
        add_coordinator(netzwerk, user)
    if add_kreis_gemeinden and kreis is not None:
        for gemeinde in db.session.scalars(
            sa.select(Kommune).where(Kommune.kreis_id == kreis.id, Kommune.active.is_(True))
        ):
            netzwerk.mitglieder.append(NetzwerkMitglied(kommune_id=gemeinde.id))
    db.session.flush()
    return netzwerk


def add_coordinator(netzwerk: Netzwerk, user: User) -> NetzwerkKoordination:
    """Name a user coordinator of the network."""
    if any(c.user_id == user.id for c in netzwerk.koordination):
        raise NetzwerkError(_("%(email)s koordiniert dieses Netzwerk bereits.", email=user.email))
    row = NetzwerkKoordination(user_id=user.id)
    netzwerk.koordination.append(row)
    db.session.flush()
    return row


def add_member(netzwerk: Netzwerk, kommune: Kommune) -> NetzwerkMitglied:
    """Add a Kommune directly (the caller made sure it may)."""
    if any(m.kommune_id == kommune.id for m in netzwerk.mitglieder):
        raise NetzwerkError(_("%(name)s ist bereits Mitglied dieses Netzwerks.", name=kommune.name))
    member = NetzwerkMitglied(kommune_id=kommune.id, kommune=kommune)
    netzwerk.mitglieder.append(member)
    db.session.flush()
    return member


def _open_invitation(netzwerk: Netzwerk, *, kommune_id: int | None = None, email: str | None = None):
    stmt = sa.select(NetzwerkEinladung).where(
        NetzwerkEinladung.netzwerk_id == netzwerk.id, NetzwerkEinladung.status == "offen"
    )
    if kommune_id is not None:
        stmt = stmt.where(NetzwerkEinladung.kommune_id == kommune_id)
    if email is not None:
        stmt = stmt.where(NetzwerkEinladung.email == email)
    return db.session.scalar(stmt.limit(1))


def invite(
    netzwerk: Netzwerk, *, ags: str | None = None, email: str | None = None, invited_by: User | None = None
) -> tuple[NetzwerkEinladung | None, NetzwerkMitglied | None]:
    """Invite a Kommune by AGS and/or its officer by e-mail; validated first, so an error changes nothing.

    An administrator, or a Kreis coordinator inviting a Gemeinde of its own Kreis by AGS alone, adds
    the Kommune directly (it already speaks for it). Everyone else creates an invitation that one of
    the Kommune's officers accepts: membership gives the coordinators rights over the Kommune's
    profile, so the Kommune must agree. Returns (invitation, None) or (None, new member).
    """
    ags = (ags or "").strip() or None
    email = (email or "").strip().lower() or None
    if ags is None and email is None:
        raise NetzwerkError(_("Bitte geben Sie einen Gemeindeschlüssel (AGS) oder eine E-Mail-Adresse an."))
    kommune = None
    if ags is not None:
        kommune = get_by_ags(ags)
        if kommune is None or not kommune.active:
            raise NetzwerkError(_("Die AGS %(ags)s ist nicht im Gemeindeverzeichnis.", ags=ags))
        if any(m.kommune_id == kommune.id for m in netzwerk.mitglieder):
            raise NetzwerkError(_("%(name)s ist bereits Mitglied dieses Netzwerks.", name=kommune.name))
        if _open_invitation(netzwerk, kommune_id=kommune.id) is not None:
            raise NetzwerkError(_("%(name)s ist bereits eingeladen.", name=kommune.name))
    if email is not None:
        if "@" not in email or email.startswith("@") or email.endswith("@"):
            raise NetzwerkError(_("Bitte geben Sie eine gültige E-Mail-Adresse an."))
        if _open_invitation(netzwerk, email=email) is not None:
            raise NetzwerkError(_("An %(email)s ist bereits eine Einladung unterwegs.", email=email))
    if kommune is not None and email is None and _may_add_directly(invited_by, kommune):
        return None, add_member(netzwerk, kommune)
    einladung = NetzwerkEinladung(
        kommune_id=kommune.id if kommune is not None else None,
        kommune=kommune,
        email=email,
        token=secrets.token_urlsafe(32),
        invited_by_id=invited_by.id if invited_by is not None else None,
    )
    netzwerk.einladungen.append(einladung)
    db.session.flush()
    notices.remember_invitation(einladung)  # H13: the Kommune's officers are told after the commit
    return einladung, None


def get_invitation(token: str) -> NetzwerkEinladung | None:
    """An invitation by its token."""
    return db.session.scalar(sa.select(NetzwerkEinladung).where(NetzwerkEinladung.token == token))


def accept_invitation(einladung: NetzwerkEinladung, kommune: Kommune, user: User | None) -> NetzwerkMitglied:
    """The Kommune joins the network (its officer accepted); the caller checked can_act_for."""
    if einladung.status != "offen":
        raise NetzwerkError(_("Diese Einladung ist nicht mehr offen."))
    if einladung.kommune_id is not None and einladung.kommune_id != kommune.id:
        raise NetzwerkError(_("Diese Einladung gilt für eine andere Kommune."))
    netzwerk = einladung.netzwerk
    if any(m.kommune_id == kommune.id for m in netzwerk.mitglieder):
        raise NetzwerkError(_("%(name)s ist bereits Mitglied dieses Netzwerks.", name=kommune.name))
    member = add_member(netzwerk, kommune)
    einladung.kommune_id = kommune.id
    _answer(einladung, "angenommen", user)
    return member


def _answer(einladung: NetzwerkEinladung, status: str, user: User | None) -> None:
    einladung.status = status
    einladung.answered_at = utcnow()
    einladung.answered_by_id = user.id if user is not None else None
    db.session.flush()


def decline_invitation(einladung: NetzwerkEinladung, user: User | None) -> None:
    """The invited Kommune declines."""
    if einladung.status != "offen":
        raise NetzwerkError(_("Diese Einladung ist nicht mehr offen."))
    _answer(einladung, "abgelehnt", user)


def withdraw_invitation(einladung: NetzwerkEinladung, user: User | None) -> None:
    """The coordinator withdraws an open invitation."""
    if einladung.status != "offen":
        raise NetzwerkError(_("Diese Einladung ist nicht mehr offen."))
    _answer(einladung, "zurueckgezogen", user)


def remove_member(netzwerk: Netzwerk, kommune_id: int) -> Kommune:
    """Remove a Kommune from the network."""
    member = next((m for m in netzwerk.mitglieder if m.kommune_id == kommune_id), None)
    if member is None:
        raise NetzwerkError(_("Diese Kommune ist nicht Mitglied des Netzwerks."))
    kommune = member.kommune
    netzwerk.mitglieder.remove(member)
    db.session.flush()
    return kommune


def recently_removed(netzwerk: Netzwerk, limit: int = 5) -> list[Kommune]:
    """Kommunen removed from the network (per the audit log) that are not members again, newest first."""
    current = {m.kommune_id for m in netzwerk.mitglieder}
    events = db.session.scalars(
        sa.select(AuditEvent)
        .where(
            AuditEvent.action == "netzwerk.member_removed",
            AuditEvent.target_type == Netzwerk.__tablename__,
            AuditEvent.target_id == str(netzwerk.id),
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(50)
    )
    found: list[Kommune] = []
    for event in events:
        kommune_id = (event.details or {}).get("kommune_id")
        if kommune_id in current or any(k.id == kommune_id for k in found):
            continue
        kommune = db.session.get(Kommune, kommune_id) if isinstance(kommune_id, int) else None
        if kommune is not None:
            found.append(kommune)
        if len(found) >= limit:
            break
    return found


def restore_member(netzwerk: Netzwerk, kommune_id: int) -> Kommune:
    """Undo a removal: only a Kommune the audit log shows as removed from this network comes back."""
    kommune = next((k for k in recently_removed(netzwerk, limit=50) if k.id == kommune_id), None)
    if kommune is None:
        raise NetzwerkError(_("Diese Kommune wurde nicht aus dem Netzwerk entfernt."))
    add_member(netzwerk, kommune)
    return kommune


def import_member_profiles(netzwerk: Netzwerk, path: str | Path, *, display_name: str | None = None):
    """Import profiles from a spreadsheet/JSON file, all or nothing, only for the network's members.

    Raises ProfileImportError listing every bad record and every Kommune that is not a member before
    anything is written; returns the ImportResult (the caller commits).
    """
    members = {m.kommune_id for m in netzwerk.mitglieder}
    return import_profile_file(
        path,
        display_name=display_name,
        may_edit=members.__contains__,
        refusal=N_("%(name)s (%(ags)s) ist nicht Mitglied dieses Netzwerks."),
    )


# --- mail ----------------------------------------------------------------------------------------


def send_invitation_mail(einladung: NetzwerkEinladung) -> None:
    """Send the invitation link to the invited officer's address."""
    if not einladung.email:
        return
    netzwerk = einladung.netzwerk
    # Built by hand: the Celery task has no request context for url_for.
    link = f"{current_app.config['BASE_URL'].rstrip('/')}/netzwerke/einladung/{einladung.token}"
    # German, like the other notices: the invited address may have no account (and no language) yet.
    with force_locale("de"):
        if einladung.kommune is not None:
            invited = _(
                "Sie sind eingeladen, mit Ihrer Kommune für %(kommune)s dem Netzwerk „%(name)s“ auf "
                "Kommunalmatch beizutreten.",
                kommune=einladung.kommune.name,
                name=netzwerk.name,
            )
        else:
            invited = _(
                "Sie sind eingeladen, mit Ihrer Kommune dem Netzwerk „%(name)s“ auf Kommunalmatch "
                "beizutreten.",
                name=netzwerk.name,
            )
        text = (
            _("Guten Tag,")
            + "\n\n"
            + invited
            + "\n\n"
            + _("Einladung ansehen und annehmen: %(link)s", link=link)
            + "\n\n"
            + _(
                "Melden Sie sich dazu mit dem Konto an, mit dem Sie für Ihre Kommune sprechen. "
                "Wenn Sie die Einladung nicht erwartet haben, können Sie diese Nachricht ignorieren."
            )
            + "\n\n"
            + signoff_text()
            + "\n"
        )
        subject = _("Einladung in das Netzwerk „%(name)s“", name=netzwerk.name)
    send_message(build_message(einladung.email, subject, text))


# H13's hooks: the network digest section and the invitation notices register themselves.
from plattform.netzwerke import digest, notices  # noqa: E402, F401
