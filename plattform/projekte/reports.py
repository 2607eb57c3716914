"""Duplication reports per Kreis and per Land as table rows (the page /projekte/doppelarbeit).

The rows come from the stored report of the nightly job (ProjectDuplication, Kreis and Land level);
"who is experienced" is read from the profiles of the area: strength 2 or more on the topic, or a
finished project on it. Sorting is the one of the network topics page (netzwerke.analysis).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from matching.vocabulary import TOPIC_LABELS_DE
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.profile.models import Profile, ProfileProject, ProfileTopic
from plattform.projekte.models import ProjectDuplication

EBENEN = ("kreis", "land")
# Long lists (a Land has hundreds of Kommunen) are cut in the table; the count column stays exact.
MAX_NAMES = 12


@dataclass(frozen=True)
class Area:
    """A Kreis or a Land whose duplication report one may read."""

    ebene: str
    key: str
    name: str


@dataclass(frozen=True)
class Report:
    """The rows of one area and when the job computed them."""

    area: Area
    rows: list
    computed_at: datetime | None


def areas_for(user) -> list[Area]:
    """The areas this user may read: administrators every Kreis and Land of the stored report, Kreis
    coordinators their Kreise; nobody else (an empty list)."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_admin:
        rows = db.session.execute(
            sa.select(ProjectDuplication.ebene, ProjectDuplication.group_key, ProjectDuplication.group_name)
            .distinct()
            .order_by(ProjectDuplication.ebene, ProjectDuplication.group_name)
        ).all()
        return [Area(e, k, n) for e, k, n in rows if e in EBENEN]
    from plattform.netzwerke.services import kreise_coordinated_by

    return [Area("kreis", k.ags, k.display_name) for k in kreise_coordinated_by(user)]


def _area_kommunen(area: Area) -> sa.Select:
    if area.ebene == "land":
        return sa.select(Kommune.id).where(Kommune.land_schluessel == area.key)
    kreis_id = sa.select(Kommune.id).where(Kommune.ags == area.key).scalar_subquery()
    return sa.select(Kommune.id).where(sa.or_(Kommune.kreis_id == kreis_id, Kommune.id == kreis_id))


def experienced_by_topic(area: Area, topics: list[str]) -> dict[str, list[str]]:
    """Topic → names of the area's Kommunen with strength ≥ 2 or a finished project on it (strongest
    first)."""
    if not topics:
        return {}
    ids = _area_kommunen(area)
    found: dict[str, dict[str, int]] = {}
    strong = db.session.execute(
        sa.select(ProfileTopic.thema, Kommune.name, ProfileTopic.staerke)
        .join(Profile, Profile.id == ProfileTopic.profile_id)
        .join(Kommune, Kommune.id == Profile.kommune_id)
        .where(ProfileTopic.thema.in_(topics), ProfileTopic.staerke >= 2, Kommune.id.in_(ids))
    )
    for thema, name, level in strong:
        found.setdefault(thema, {})[name] = max(level, found.get(thema, {}).get(name, 0))
    finished = db.session.execute(
        sa.select(ProfileProject.thema, Kommune.name)
        .join(Profile, Profile.id == ProfileProject.profile_id)
        .join(Kommune, Kommune.id == Profile.kommune_id)
        .where(
            ProfileProject.thema.in_(topics),
            ProfileProject.status == "abgeschlossen",
            Kommune.id.in_(ids),
        )
    )
    for thema, name in finished:
        found.setdefault(thema, {}).setdefault(name, 3)
    return {
        thema: [n.split(",")[0].strip() for n, _ in sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))]
        for thema, names in found.items()
    }


def _cut(names: list[str]) -> list[str]:
    if len(names) <= MAX_NAMES:
        return names
    return [*names[:MAX_NAMES], f"… (+{len(names) - MAX_NAMES})"]


def report(area: Area, sort: str = "anzahl", descending: bool = True) -> Report:
    """The stored duplication lines of the area as sortable rows."""
    from plattform.netzwerke.analysis import DuplicationRow, sort_duplication_rows

    stored = list(
        db.session.scalars(
            sa.select(ProjectDuplication).where(
                ProjectDuplication.ebene == area.ebene, ProjectDuplication.group_key == area.key
            )
        )
    )
    ags = {a for d in stored for a in d.ags or ()}
    names = dict(db.session.execute(sa.select(Kommune.ags, Kommune.name).where(Kommune.ags.in_(ags))).all())
    experienced = experienced_by_topic(area, sorted({d.thema for d in stored}))
    rows = [
        DuplicationRow(
            thema=d.thema,
            label=TOPIC_LABELS_DE.get(d.thema, d.thema),
            count=d.count,
            kommunen=_cut(sorted(names.get(a, a).split(",")[0].strip() for a in d.ags or ())),
            experienced=_cut(experienced.get(d.thema, [])),
        )
        for d in stored
    ]
    computed = max((d.computed_at for d in stored), default=None)
    if computed is None:
        computed = db.session.scalar(sa.select(sa.func.max(ProjectDuplication.computed_at)))
    return Report(area, sort_duplication_rows(rows, sort, descending), computed)
