"""The Kooperationssteckbrief: the facts a council needs to decide on a partnership or a shared project.

One `Brief` is built from the stored data (Kommunen, profiles, shared projects, duplication report);
the print page and the PDF render the same template (templates/projekte/_steckbrief.html). The PDF
is made by WeasyPrint; when it cannot render (e.g. Pango missing), `BriefPdfError` carries the cause
and the view answers with a German error page.

Who may read a brief: administrators, the officers of a Kommune in it (joined or invited) and their
coordination. For anyone else the brief does not exist (404): it lists the participants' needs and,
where the reader may see them, their contacts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app, render_template

from matching.geo import haversine_km
from matching.vocabulary import TOPIC_LABELS_DE
from plattform.accounts.models import User
from plattform.accounts.permissions import acting_kommune_ids, coordinated_kommune_ids
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kontakte.models import Partnership
from plattform.profile.models import Profile, ProfileProject
from plattform.projekte.models import ProjectDuplication, SharedProject
from plattform.projekte.proposals import kreis_display_name

log = logging.getLogger(__name__)

REUSE_RADIUS_KM = 100
REUSE_MAX = 3


class BriefPdfError(RuntimeError):
    """The PDF could not be rendered; the print page still works."""


@dataclass
class Participant:
    """A Kommune in the brief with what it brings and needs."""

    kommune: Kommune
    rolle: str  # federfuehrung | mitglied | eingeladen | partner
    staerken: list[str] = field(default_factory=list)  # topic slugs, strongest first
    bedarfe: list[str] = field(default_factory=list)
    contacts: list | None = None  # ContactPerson list, None when the reader may not see them

    @property
    def display_name(self) -> str:
        """ "Kreis Düren" for a Kreis, else the Kommune's name."""
        return kreis_display_name(self.kommune) if self.kommune.is_kreis else self.kommune.name


@dataclass
class Reuse:
    """A finished solution nearby: a closed shared project open for reuse or a finished local project."""

    kommune: Kommune
    titel: str
    distance_km: float | None


@dataclass
class Brief:
    """Everything the Kooperationssteckbrief shows."""

    art: str  # projekt | partnerschaft
    titel: str
    topics: list[str]
    status: str | None
    lead: Kommune | None
    participants: list[Participant]
    reuse: list[Reuse]
    duplications: list[ProjectDuplication]
    beschreibung: str = ""
    ergebnis: str | None = None
    slug: str = ""

    @property
    def status_label(self) -> str:
        """German label of the project's status (templates translate it)."""
        from plattform.projekte.models import PROJECT_STATUS_LABELS_DE

        return PROJECT_STATUS_LABELS_DE.get(self.status or "", self.status or "")

    @property
    def topic_labels(self) -> list[str]:
        """German labels of the topics (templates translate them)."""
        return [TOPIC_LABELS_DE.get(t, t) for t in self.topics]


# --- who may read ------------------------------------------------------------------------------------


def may_read(user: User | None, kommune_ids: set[int]) -> bool:
    """Administrators, officers of one of the Kommunen, and their coordination."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin:
        return True
    return bool(kommune_ids & (acting_kommune_ids(user) | coordinated_kommune_ids(user)))


# --- building ------------------------------------------------------------------------------------------


def _profiles(ids: list[int]) -> dict[int, Profile]:
    return {
        p.kommune_id: p for p in db.session.scalars(sa.select(Profile).where(Profile.kommune_id.in_(ids)))
    }


def _ranked(values: dict[str, int]) -> list[str]:
    return [t for t, _v in sorted(values.items(), key=lambda kv: (-kv[1], kv[0])) if t in TOPIC_LABELS_DE]


def _participants(rows: list[tuple[Kommune, str]], reader: User | None) -> list[Participant]:
    from plattform.kontakte.services import contact_people, may_see_contacts

    profiles = _profiles([k.id for k, _r in rows])
    out = []
    for kommune, rolle in rows:
        profile = profiles.get(kommune.id)
        out.append(
            Participant(
                kommune=kommune,
                rolle=rolle,
                staerken=_ranked(profile.staerken) if profile else [],
                bedarfe=_ranked(profile.bedarfe) if profile else [],
                contacts=contact_people(kommune.id) if may_see_contacts(reader, kommune.id) else None,
            )
        )
    return out


def _distance(a: Kommune | None, b: Kommune) -> float | None:
    if a is None or None in (a.lat, a.lon, b.lat, b.lon):
        return None
    return float(haversine_km(a.lat, a.lon, b.lat, b.lon))


def reuse_sources(topic: str, near: Kommune | None, exclude: set[int]) -> list[Reuse]:
    """Finished solutions on the topic nearby: closed shared projects open for reuse, and finished
    projects in the profiles, nearest first (within REUSE_RADIUS_KM when the distance is known)."""
    found: dict[int, Reuse] = {}
    for project in db.session.scalars(
        sa.select(SharedProject).where(
            SharedProject.thema == topic, SharedProject.status == "abgeschlossen", SharedProject.nachnutzung
        )
    ):
        if project.lead_kommune_id not in exclude:
            found[project.lead_kommune_id] = Reuse(project.lead, project.titel, _distance(near, project.lead))
    for entry, kommune in db.session.execute(
        sa.select(ProfileProject, Kommune)
        .join(Profile, Profile.id == ProfileProject.profile_id)
        .join(Kommune, Kommune.id == Profile.kommune_id)
        .where(ProfileProject.thema == topic, ProfileProject.status == "abgeschlossen")
    ):
        if kommune.id not in exclude and kommune.id not in found:
            found[kommune.id] = Reuse(kommune, entry.titel, _distance(near, kommune))
    nearby = [r for r in found.values() if r.distance_km is None or r.distance_km <= REUSE_RADIUS_KM]
    nearby.sort(key=lambda r: (r.distance_km is None, r.distance_km or 0, r.kommune.name))
    return nearby[:REUSE_MAX]


def duplications_for(topics: list[str], kommunen: list[Kommune]) -> list[ProjectDuplication]:
    """Duplication lines of the topics in the Kreise of the Kommunen (the effort a joint project saves)."""
    kreise = {k.ags if k.is_kreis else (k.kreis.ags if k.kreis else None) for k in kommunen} - {None}
    if not kreise or not topics:
        return []
    return list(
        db.session.scalars(
            sa.select(ProjectDuplication)
            .where(
                ProjectDuplication.ebene == "kreis",
                ProjectDuplication.group_key.in_(kreise),
                ProjectDuplication.thema.in_(topics),
            )
            .order_by(ProjectDuplication.count.desc())
        )
    )


def project_brief(project: SharedProject, reader: User | None) -> Brief:
    """The brief of a shared project (proposed, open, running or closed)."""
    rows: list[tuple[Kommune, str]] = [(project.lead, "federfuehrung")]
    for member in project.members:
        if member.kommune_id != project.lead_kommune_id:
            rows.append((member.kommune, "mitglied" if member.status == "beigetreten" else "eingeladen"))
    kommunen = [k for k, _r in rows]
    return Brief(
        art="projekt",
        titel=project.titel,
        topics=[project.thema],
        status=project.status,
        lead=project.lead,
        participants=_participants(rows, reader),
        reuse=reuse_sources(project.thema, project.lead, {k.id for k in kommunen}),
        duplications=duplications_for([project.thema], kommunen),
        beschreibung=project.beschreibung,
        ergebnis=project.ergebnis,
        slug=f"projekt-{project.id}",
    )


def partnership_brief(partnership: Partnership, reader: User | None) -> Brief:
    """The brief of a learning partnership: the topics where one's strength meets the other's need."""
    a, b = partnership.kommune_a, partnership.kommune_b
    participants = _participants([(a, "partner"), (b, "partner")], reader)
    pa, pb = participants
    topics = [t for t in pa.staerken if t in pb.bedarfe] + [t for t in pb.staerken if t in pa.bedarfe]
    topics = list(dict.fromkeys(topics))
    reuse: list[Reuse] = []
    for topic in topics[:2]:
        reuse += [
            r
            for r in reuse_sources(topic, a, {a.id, b.id})
            if r.kommune.id not in {x.kommune.id for x in reuse}
        ]
    return Brief(
        art="partnerschaft",
        titel=f"{a.short_name} – {b.short_name}",
        topics=topics,
        status=None,
        lead=None,
        participants=participants,
        reuse=reuse[:REUSE_MAX],
        duplications=duplications_for(topics, [a, b]),
        slug=f"partnerschaft-{partnership.id}",
    )


# --- rendering ----------------------------------------------------------------------------------------


def brief_context(brief: Brief, lang: str) -> dict:
    """What the brief's template needs."""
    from plattform.core.clock import utcnow

    return {"brief": brief, "lang": lang, "topic_labels": TOPIC_LABELS_DE, "today": utcnow()}


def render_pdf(brief: Brief, lang: str) -> bytes:
    """The brief as PDF from the same template as the print page; BriefPdfError when it fails."""
    html = render_template("projekte/steckbrief_pdf.html", **brief_context(brief, lang))
    try:
        from weasyprint import HTML

        return HTML(string=html, base_url=current_app.static_folder).write_pdf()
    except Exception as exc:  # ImportError/OSError without Pango, or a rendering error
        log.exception("Kooperationssteckbrief %s: PDF nicht erstellt (PDF rendering failed)", brief.slug)
        raise BriefPdfError(str(exc)) from exc
