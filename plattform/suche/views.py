"""The search page: filters as a GET form, an accessible paged results table, no JavaScript needed."""

from __future__ import annotations

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from matching.vocabulary import TYPE_LABELS_DE
from plattform.accounts.permissions import acting_kommune_ids
from plattform.core.navigation import register_nav
from plattform.extensions import db
from plattform.kommunen.models import Kommune, Land
from plattform.kommunen.services import kommunen_by_name, kreis_options
from plattform.suche import bp
from plattform.suche.forms import SearchForm, choices
from plattform.suche.services import SearchCriteria, search

PER_PAGE = 25

register_nav("suche.suche", "Suche", 15)


def _own_kommunen() -> list[Kommune]:
    """The Kommunen the user acts for: the possible origins of the distance filter."""
    ids = acting_kommune_ids(current_user)
    if not ids:
        return []
    return kommunen_by_name(ids)


@bp.get("/")
def suche():
    """Search Kommunen by name, AGS or PLZ, level, Land, Kreis, type, topic (strength or need), size and
    distance."""
    form = SearchForm(request.args)
    laender = db.session.scalars(sa.select(Land).order_by(Land.name)).all()
    form.land.choices = choices([("", _("Alle Länder")), *((land.schluessel, land.name) for land in laender)])
    form.kreis.choices = choices([("", _("Alle Kreise")), *kreis_options(form.land.data or None)])
    own = _own_kommunen()
    form.von.choices = choices((k.id, k.name) for k in own)
    origin = next((k for k in own if k.id == form.von.data), own[0] if own else None)
    valid = form.validate() if request.args else True
    page = None
    if valid:
        criteria = SearchCriteria(
            query=(form.q.data or "").strip()[:100] or None,
            ebene=form.ebene.data or None,
            land=form.land.data or None,
            kreis=form.kreis.data or None,
            typ=form.typ.data or None,
            thema=form.thema.data or None,
            rolle=form.rolle.data or "beides",
            groesse=form.groesse.data or None,
            max_km=form.max_km.data if origin is not None else None,
            origin=origin,
        )
        page = search(criteria, request.args.get("page", 1, type=int), PER_PAGE)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    status = 200 if valid else 422
    return render_template(
        "suche/suche.html",
        form=form,
        page=page,
        origin=origin,
        own=own,
        args=args,
        type_labels=TYPE_LABELS_DE,
    ), status
