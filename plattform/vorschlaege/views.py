"""The member dashboard: the Kommune's partner suggestions, why each was made, filters and feedback."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from matching.vocabulary import type_label
from plattform.accounts.permissions import acting_kommune_ids, require_act_for
from plattform.core.navigation import register_nav
from plattform.extensions import db
from plattform.kommunen.models import Kommune
from plattform.kontakte.views import acting_kommunen, selected_kommune
from plattform.profile.models import Profile, ProfileTopic
from plattform.suche.forms import choices
from plattform.vorschlaege import bp
from plattform.vorschlaege.explain import details, fit, reason
from plattform.vorschlaege.forms import SuggestionFilterForm
from plattform.vorschlaege.models import Suggestion
from plattform.vorschlaege.services import (
    dashboard_list,
    hidden_partners,
    in_talks,
    list_freshness,
    mark_not_interested,
    record_shown,
    undo_not_interested,
)


def _has_membership() -> bool:
    """Navigation: only users who act for a Kommune have suggestions."""
    return bool(current_user.is_authenticated and acting_kommune_ids(current_user))


register_nav("vorschlaege.dashboard", "Partnervorschläge", 20, visible=_has_membership)


@bp.app_template_global("type_label")
def _type_label(slug: str | None) -> str:
    """A Kommune type's label in the page's language (templates)."""
    return type_label(slug, get_locale().language) if slug else ""


def _profile_url(kommune: Kommune) -> str:
    """Where the officer fills in the profile (the profile editor once it exists, else the Kommune page)."""
    for endpoint in ("profile.bearbeiten", "profile.edit"):
        try:
            return url_for(endpoint, ags=kommune.ags)
        except BuildError:
            continue
    return url_for("kommunen.detail", ags=kommune.ags)


@bp.get("/")
@login_required
def dashboard():
    """The Kommune's current suggestions with explanations, filterable by topic, distance and type."""
    kommunen = acting_kommunen()
    kommune = selected_kommune(kommunen)
    form = SuggestionFilterForm(request.args)
    form.kommune.choices = choices((k.id, k.choice_label) for k in kommunen)
    form.kommune.data = kommune.id
    valid = form.validate()
    shown = dashboard_list(kommune.id)
    suggestions, types = shown.suggestions, shown.types
    total = len(suggestions)
    if valid:
        suggestions = _filter(suggestions, form, types)
    me = kommune.display_name
    fresh = list_freshness(
        kommune.id, [s.partner_id for s in suggestions], shown.edited if shown.suggestions else None
    )
    items = [
        {
            "s": s,
            # explained from facts older than the last profile edit (own or partner's): not shown as current
            "stale": fresh.pending or s.partner_id in fresh.stale_partners,
            "fit": fit(s.fact_sheet),
            "reason": reason(s.fact_sheet, me, s.partner.display_name),
            "details": details(
                s.fact_sheet, me, s.partner.display_name, (kommune.population, s.partner.population)
            ),
        }
        for s in suggestions
    ]
    own_estimated = shown.own_estimated or (
        not shown.suggestions
        and bool(db.session.scalar(sa.select(Profile.estimated).where(Profile.kommune_id == kommune.id)))
    )
    filtered = any(request.args.get(k) for k in ("thema", "max_km", "typ"))
    page = render_template(
        "vorschlaege/dashboard.html",
        kommune=kommune,
        kommunen=kommunen,
        form=form,
        items=items,
        total=total,
        filtered=filtered,
        types=types,
        own_estimated=own_estimated,
        hidden=hidden_partners(kommune.id),
        profile_url=_profile_url(kommune),
        talks=in_talks(kommune.id),
        fresh=fresh,
    )
    if items:
        # After rendering: the commit expires every loaded row, which the template would reload one by one.
        # unanswered ones sink over time
        record_shown(kommune.id, [s.partner_id for s in suggestions], last_shown=shown.last_shown)
    return page, (200 if valid else 422)


def _filter(suggestions: list[Suggestion], form: SuggestionFilterForm, types: dict) -> list[Suggestion]:
    """Apply the dashboard filters to the stored suggestions."""
    if form.typ.data:
        suggestions = [s for s in suggestions if types.get(s.partner_id) == form.typ.data]
    if form.max_km.data is not None:
        suggestions = [
            s for s in suggestions if s.distance_km is not None and s.distance_km <= form.max_km.data
        ]
    if form.thema.data:
        thema = form.thema.data
        partner_ids = [s.partner_id for s in suggestions]
        with_topic = set(
            db.session.scalars(
                sa.select(Profile.kommune_id)
                .join(ProfileTopic, ProfileTopic.profile_id == Profile.id)
                .where(Profile.kommune_id.in_(partner_ids), ProfileTopic.thema == thema)
            )
        )
        suggestions = [
            s
            for s in suggestions
            if thema in (s.teaches_me or [])
            or thema in (s.learns_from_me or [])
            or s.partner_id in with_topic
        ]
    return suggestions


@bp.get("/stand")
@login_required
def stand():
    """Whether the chosen Kommune's list is still being recomputed after its last profile edit: the
    dashboard asks this while it says "wird neu berechnet" and offers the new list once it is done."""
    kommune = selected_kommune(acting_kommunen())
    fresh = list_freshness(kommune.id)
    return jsonify(pending=fresh.pending, stand=fresh.at.isoformat() if fresh.at else None)


@bp.post("/<int:kommune_id>/nicht-interessiert/<int:partner_id>")
@login_required
def nicht_interessiert(kommune_id: int, partner_id: int):
    """Hide a suggestion for good and tell the engine (the next recompute excludes the pair)."""
    require_act_for(kommune_id)
    partner = db.session.get(Kommune, partner_id)
    if partner is None or partner_id == kommune_id:
        abort(404)
    mark_not_interested(kommune_id, partner_id)
    flash(_("%(name)s wird Ihnen nicht mehr vorgeschlagen.", name=partner.short_name), "success")
    return redirect(url_for("vorschlaege.dashboard", kommune=kommune_id))


@bp.post("/<int:kommune_id>/wieder-anzeigen/<int:partner_id>")
@login_required
def wieder_anzeigen(kommune_id: int, partner_id: int):
    """Undo "Nicht interessiert": the partner may be suggested again."""
    require_act_for(kommune_id)
    partner = db.session.get(Kommune, partner_id)
    if partner is None or not undo_not_interested(kommune_id, partner_id):
        abort(404)
    flash(_("%(name)s kann Ihnen wieder vorgeschlagen werden.", name=partner.short_name), "success")
    return redirect(url_for("vorschlaege.dashboard", kommune=kommune_id))
