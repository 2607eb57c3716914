"""Directory pages: search with filters, and a page per Kommune."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from plattform.core import formatting
from plattform.core.forms import paginate
from plattform.extensions import db
from plattform.kommunen import bp
from plattform.kommunen.map import position_map
from plattform.kommunen.models import Kommune, Land
from plattform.kommunen.sections import sections_for
from plattform.kommunen.services import (
    SOURCE_NAME,
    city_row_of,
    get_by_ags,
    kreis_options,
    latest_import,
    not_matchable_message,
    search_kommunen,
    stand_date,
)


@bp.get("/")
def liste():
    """Search the directory by name, AGS or PLZ, filtered by Land and Kreis, paged."""
    query = request.args.get("q", "").strip()
    land = request.args.get("land") or None
    kreis = request.args.get("kreis") or None
    page = paginate(
        search_kommunen(query, land, kreis).options(joinedload(Kommune.kreis)),  # the table shows it
        per_page=current_app.config["DIRECTORY_PAGE_SIZE"],
        max_per_page=100,
    )
    laender = db.session.scalars(sa.select(Land).order_by(Land.name)).all()
    kreise = kreis_options(land)
    return render_template(
        "kommunen/liste.html",
        page=page,
        query=query,
        land=land,
        kreis=kreis,
        laender=laender,
        kreise=kreise,
    )


@bp.get("/<ags>")
def detail(ags: str):
    """A Kommune's page: facts with the Destatis source, its Kreis, the Kommunen in it, its position."""
    kommune = get_by_ags(ags)
    if kommune is None:
        abort(404)
    members = kommune.gemeinden if kommune.is_kreis else []
    if kommune.is_kreis and not members:
        # A kreisfreie Stadt's Kreis row: its one Gemeinde row carries the same AGS prefix.
        members = db.session.scalars(
            sa.select(Kommune).where(Kommune.ags.startswith(kommune.ags), Kommune.ebene == "gemeinde")
        ).all()
    neighbours = kommune.kreis.gemeinden if kommune.kreis else members
    imported = latest_import()
    return render_template(
        "kommunen/detail.html",
        kommune=kommune,
        members=members,
        map_svg=position_map(kommune, neighbours),
        source_name=SOURCE_NAME,  # a German name (marked lang="de" in English)
        territory_date=_territory_date(kommune.stand),
        imported=imported,
        sections=sections_for(kommune),
        not_matchable=None if kommune.is_matchable else not_matchable_message(kommune),
        city=city_row_of(kommune),
    )


def _territory_date(stand: str | None) -> str | None:
    """The directory's "Gebietsstand 31.12.2020" in the page's language ("territorial status Dec 31,
    2020"); a stored text of another form is shown as it is."""
    day = stand_date(stand)
    if day is None:
        return stand or None
    return _("Gebietsstand %(datum)s", datum=formatting.date(day))
