"""The official directory: Länder, Kreise, Gemeindeverbände, Gemeinden (as Kommunen)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plattform.core.clock import utcnow
from plattform.extensions import db
from plattform.i18n import N_
from plattform.kommunen import names

KIND_LABELS_DE: dict[str, str] = {
    "gemeinde": N_("Gemeinde"),
    "markt": N_("Markt"),
    "stadt": N_("Stadt"),
    "grosse-kreisstadt": N_("Große Kreisstadt"),
    "kreisfreie-stadt": N_("Kreisfreie Stadt"),
    "stadtkreis": N_("Stadtkreis"),
    "kreis": N_("Kreis"),
    "landkreis": N_("Landkreis"),
    "regionalverband": N_("Regionalverband"),
    "gemeindefreies-gebiet": N_("Gemeindefreies Gebiet"),
}

# Kreis kinds that are matchable Kommunen of their own; a kreisfreie Stadt matches as its Gemeinde row.
KREIS_KINDS_MATCHABLE = ("kreis", "landkreis", "regionalverband")

VERSTAEDTERUNG_LABELS_DE = {
    1: N_("dicht besiedelt"),
    2: N_("mittlere Besiedlungsdichte"),
    3: N_("gering besiedelt"),
}


class Land(db.Model):
    """A Land, keyed by its 2-digit Schlüssel."""

    __tablename__ = "land"

    schluessel: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class Gemeindeverband(db.Model):
    """An Amt, Verbandsgemeinde or Samtgemeinde (GV-ISys Satzart 50), keyed by the 9-digit ARS prefix."""

    __tablename__ = "gemeindeverband"

    ars: Mapped[str] = mapped_column(sa.String(9), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kind_code: Mapped[str] = mapped_column(sa.String(2))
    kreis_schluessel: Mapped[str] = mapped_column(sa.String(5), index=True)
    active: Mapped[bool] = mapped_column(default=True)


class Kommune(db.Model):
    """A Gemeinde (8-digit AGS) or a Kreis (5-digit Kreisschlüssel): the unit that has a profile.

    Kreise and Gemeinden share one table because both register, match and join networks alike;
    `ebene` tells them apart and `kreis_id` links a Gemeinde to its Kreis.
    """

    __tablename__ = "kommune"

    id: Mapped[int] = mapped_column(primary_key=True)
    ags: Mapped[str] = mapped_column(sa.String(8), unique=True)
    ars: Mapped[str | None] = mapped_column(sa.String(12))
    ebene: Mapped[str] = mapped_column(sa.String(10), index=True)  # "gemeinde" | "kreis"
    name: Mapped[str] = mapped_column(sa.String(200))
    name_search: Mapped[str] = mapped_column(sa.String(200), index=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    land_schluessel: Mapped[str] = mapped_column(sa.ForeignKey("land.schluessel"), index=True)
    kreis_id: Mapped[int | None] = mapped_column(sa.ForeignKey("kommune.id"), index=True)
    gemeindeverband_ars: Mapped[str | None] = mapped_column(sa.String(9))
    population: Mapped[int | None]
    male: Mapped[int | None]
    female: Mapped[int | None]
    area_km2: Mapped[float | None]
    plz: Mapped[str | None] = mapped_column(sa.String(5), index=True)
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    verstaedterung: Mapped[int | None]
    stand: Mapped[str | None] = mapped_column(sa.String(40))
    active: Mapped[bool] = mapped_column(default=True, index=True)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    land: Mapped[Land] = relationship(lazy="joined")
    kreis: Mapped[Kommune | None] = relationship(remote_side="Kommune.id", back_populates="gemeinden")
    gemeinden: Mapped[list[Kommune]] = relationship(back_populates="kreis", order_by="Kommune.name")
    gemeindeverband: Mapped[Gemeindeverband | None] = relationship(
        primaryjoin="foreign(Kommune.gemeindeverband_ars) == Gemeindeverband.ars", viewonly=True
    )

    @property
    def is_kreis(self) -> bool:
        """Whether this row is a Kreis or kreisfreie Stadt at Kreis level."""
        return self.ebene == "kreis"

    @property
    def is_matchable(self) -> bool:
        """Whether it has a profile of its own and gets suggestions: every Gemeinde, and the Kreise,
        Landkreise and Regionalverbände; not the Kreis row of a kreisfreie Stadt or a Stadtkreis (08212
        beside 08212000 Karlsruhe), whose city matches as its Gemeinde row."""
        return self.ebene == "gemeinde" or self.kind in KREIS_KINDS_MATCHABLE

    @property
    def kind_label(self) -> str:
        """The German label of the kind of Kommune (templates translate it with `_()`)."""
        return KIND_LABELS_DE.get(self.kind, self.kind)

    @property
    def short_name(self) -> str:
        """The name without Destatis' suffix (", Stadt"), as officers say it."""
        return names.short_name(self.name)

    @property
    def display_name(self) -> str:
        """How explanations name the Kommune: 'Kreis Düren' beside 'Düren' (the town), 'Städteregion
        Aachen' as it is; no ', Stadt'."""
        return names.kreis_display_name(self.name, self.ebene, self.kind)

    @property
    def listed_name(self) -> str:
        """How headings and tables name it: 'Düren, Stadt' (the town), 'Kreis Düren' (the Kreis)."""
        return names.listed_name(self.name, self.ebene, self.kind)

    @property
    def kreis_phrase(self) -> tuple[str, str] | None:
        """(preposition, name in the dative) placing a Gemeinde in this Kreis: ("im", "Kreis Düren"),
        ("in der", "Städteregion Aachen"); None for a kreisfreie Stadt's Kreis row."""
        return names.kreis_phrase(self.name, self.ebene, self.kind)

    @property
    def choice_label(self) -> str:
        """One label for choice lists: 'Kreuzau (Gemeinde)', 'Aach, Stadt', 'Kreis Düren'."""
        return names.choice_label(self.name, self.ebene, self.kind_label, self.kind)

    @property
    def verstaedterung_label(self) -> str | None:
        """German label of the degree of urbanisation (templates translate it with `_()`)."""
        return VERSTAEDTERUNG_LABELS_DE.get(self.verstaedterung or 0)

    def __repr__(self) -> str:
        return f"<Kommune {self.ags} {self.name}>"


class GemeindefreiesGebiet(db.Model):
    """A gemeindefreies Gebiet: in the directory, but no Kommune that could register or match."""

    __tablename__ = "gemeindefreies_gebiet"

    ags: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    land_schluessel: Mapped[str] = mapped_column(sa.String(2))
    kreis_schluessel: Mapped[str] = mapped_column(sa.String(5))
    area_km2: Mapped[float | None]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True)


class DirectoryImport(db.Model):
    """One completed import of the official directory, for the source line and an audit trail."""

    __tablename__ = "directory_import"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    kreise: Mapped[int]
    gemeinden: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    deactivated: Mapped[int]
