"""Who may see which funnel: administrators every group; a network's coordinators their network;
a Kreis coordination (approved membership with role koordination on the Kreis) its Kreis. Officers
see none: the funnel is a coordination tool, and even there it shows counts only."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from plattform.accounts.models import User
from plattform.auswertung.funnel import kreis_kommune_ids, land_kommune_ids
from plattform.extensions import db
from plattform.kommunen.models import Kommune, Land
from plattform.netzwerke.models import Netzwerk
from plattform.netzwerke.services import coordinated_netzwerk_ids, kreise_coordinated_by

EBENEN = ("netzwerk", "kreis", "land")


@dataclass(frozen=True)
class Group:
    """A group of Kommunen whose funnel can be shown."""

    ebene: str  # netzwerk | kreis | land
    key: str  # network id, Kreis AGS, Land key
    name: str

    def kommune_ids(self) -> set[int]:
        """The Kommunen of the group."""
        if self.ebene == "netzwerk":
            netzwerk = db.session.get(Netzwerk, int(self.key))
            return {m.kommune_id for m in netzwerk.mitglieder} if netzwerk else set()
        if self.ebene == "kreis":
            kreis = db.session.scalar(sa.select(Kommune).where(Kommune.ags == self.key))
            return kreis_kommune_ids(kreis) if kreis else set()
        return land_kommune_ids(self.key)


def _kreis_group(kreis: Kommune) -> Group:
    from plattform.projekte.proposals import kreis_display_name

    return Group("kreis", kreis.ags, kreis_display_name(kreis))


def evaluable_groups(user: User) -> list[Group]:
    """The groups the user may evaluate, networks first, then Kreise, then Länder."""
    if user is None or not user.is_authenticated:
        return []
    if user.is_admin:
        networks = list(db.session.scalars(sa.select(Netzwerk).order_by(Netzwerk.name)))
        kreise = list(
            db.session.scalars(sa.select(Kommune).where(Kommune.ebene == "kreis").order_by(Kommune.name))
        )
        laender = list(db.session.scalars(sa.select(Land).order_by(Land.name)))
    else:
        ids = coordinated_netzwerk_ids(user)
        networks = (
            list(db.session.scalars(sa.select(Netzwerk).where(Netzwerk.id.in_(ids)).order_by(Netzwerk.name)))
            if ids
            else []
        )
        kreise = kreise_coordinated_by(user)
        laender = []
    return (
        [Group("netzwerk", str(n.id), n.name) for n in networks]
        + [_kreis_group(k) for k in kreise]
        + [Group("land", land.schluessel, land.name) for land in laender]
    )


def find_group(ebene: str, key: str) -> Group | None:
    """The group named in a URL, if it exists (regardless of who asks)."""
    if ebene == "netzwerk":
        if not key.isdigit():
            return None
        netzwerk = db.session.get(Netzwerk, int(key))
        return Group("netzwerk", key, netzwerk.name) if netzwerk else None
    if ebene == "kreis":
        kreis = db.session.scalar(sa.select(Kommune).where(Kommune.ags == key, Kommune.ebene == "kreis"))
        return _kreis_group(kreis) if kreis else None
    if ebene == "land":
        land = db.session.get(Land, key)
        return Group("land", key, land.name) if land else None
    return None


def may_evaluate(user: User, group: Group) -> bool:
    """Whether the user may see this group's funnel."""
    if user is not None and user.is_authenticated and user.is_admin:
        return True
    return any(g.ebene == group.ebene and g.key == group.key for g in evaluable_groups(user))
