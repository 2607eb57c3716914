"""The member dashboard: the Kommune's partner suggestions, why each was made, filters and feedback."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from matching.vocabulary import TOPIC_LABELS_DE, TYPE_LABELS_DE
from plattform.accounts.permissions import acting_kommune_ids, require_act_for
from plattform.core.navigation import register_nav
from plattform.extensions import db
from plattform.i18n import bound_gettext
from plattform.kommunen.models import Kommune
from plattform.kontakte.views import acting_kommunen, selected_kommune
from plattform.profile.models import Profile, ProfileTopic
from plattform.suche.forms import choices
from plattform.vorschlaege import bp
from plattform.vorschlaege.forms import SuggestionFilterForm
from plattform.vorschlaege.models import Suggestion
from plattform.vorschlaege.services import dashboard_list, mark_not_interested, record_shown


def _has_membership() -> bool:
    """Navigation: only users who act for a Kommune have suggestions."""
    return bool(current_user.is_authenticated and acting_kommune_ids(current_user))


register_nav("vorschlaege.dashboard", "Partnervorschläge", 20, visible=_has_membership)


def _labels(slugs) -> str:
    """German topic labels joined for a sentence."""
    return ", ".join(TOPIC_LABELS_DE.get(s, s) for s in slugs or [])


def _percent(value) -> str:
    """A share 0–1 as a German percentage."""
    return f"{round(100 * float(value or 0))} %"


def explain_parts(s: Suggestion, own_typ: str | None, partner_typ: str | None) -> list[tuple[str, str]]:
    """The score's components in plain words, as (term, description) pairs for a description list."""
    _ = bound_gettext()  # ~15 texts per suggestion: one catalogue lookup instead of fifteen
    parts = s.parts or {}
    me, other = s.kommune.short_name, s.partner.short_name
    rows: list[tuple[str, str]] = []
    if s.teaches_me:
        text = _(
            "%(other)s ist stark bei %(topics)s – Themen, die %(me)s lernen will "
            "(deckt %(share)s Ihrer Bedarfe ab).",
            other=other,
            topics=_labels(s.teaches_me),
            me=me,
            share=_percent(parts.get("teach_in")),
        )
    else:
        text = _("%(other)s hat keine Stärke in Ihren angegebenen Bedarfen.", other=other)
    rows.append((_("Kann %(me)s etwas zeigen", me=me), text))
    if s.learns_from_me:
        text = _(
            "%(me)s ist stark bei %(topics)s – Themen, die %(other)s lernen will "
            "(deckt %(share)s der Bedarfe von %(other)s ab).",
            me=me,
            topics=_labels(s.learns_from_me),
            other=other,
            share=_percent(parts.get("teach_out")),
        )
    else:
        text = _("%(other)s hat keinen Bedarf angegeben, bei dem %(me)s stark ist.", other=other, me=me)
    rows.append((_("Lernt von %(me)s", me=me), text))
    if s.distance_km is not None:
        text = _(
            "%(km)d km entfernt; in Ihrer Reichweite zählt das mit %(factor)s.",
            km=round(s.distance_km),
            factor=_percent(parts.get("distance_factor", 1)),
        )
    else:
        text = _("Keine Koordinaten bekannt.")
    rows.append((_("Entfernung"), text))
    size = parts.get("size_factor")
    if size is not None and parts.get("has_size", True):
        text = _("ähnlich groß") if size >= 0.85 else _("unterschiedlich groß")
        text += " " + _(
            "(Einwohner: %(a)s und %(b)s)", a=_num(s.kommune.population), b=_num(s.partner.population)
        )
        rows.append((_("Größe"), text))
    rows.append(
        (
            _("Gleicher Kreis oder Netzwerk"),
            "; ".join(
                [
                    _("im selben Kreis") if parts.get("same_kreis") else _("nicht im selben Kreis"),
                    _("gemeinsames Netzwerk")
                    if parts.get("shared_network")
                    else _("kein gemeinsames Netzwerk"),
                ]
            ),
        )
    )
    if own_typ and partner_typ:
        if parts.get("type_complement") or own_typ != partner_typ:
            text = _(
                "Die Typen ergänzen sich: %(own)s und %(other)s.",
                own=TYPE_LABELS_DE.get(own_typ, own_typ),
                other=TYPE_LABELS_DE.get(partner_typ, partner_typ),
            )
        else:
            text = _("Beide sind vom gleichen Typ: %(typ)s.", typ=TYPE_LABELS_DE.get(own_typ, own_typ))
    else:
        text = _("Der Typentest fehlt noch bei mindestens einer der beiden Kommunen.")
    rows.append((_("Typen"), text))
    return rows


def _num(value) -> str:
    """A population with German thousands separators, or a dash."""
    return "–" if value is None else f"{value:,}".replace(",", ".")


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
    form.kommune.choices = choices((k.id, k.name) for k in kommunen)
    form.kommune.data = kommune.id
    valid = form.validate()
    shown = dashboard_list(kommune.id)
    suggestions, types = shown.suggestions, shown.types
    total = len(suggestions)
    if valid:
        suggestions = _filter(suggestions, form, types)
    items = [(s, explain_parts(s, types.get(kommune.id), types.get(s.partner_id))) for s in suggestions]
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
        type_labels=TYPE_LABELS_DE,
        topic_labels=TOPIC_LABELS_DE,
        profile_url=_profile_url(kommune),
        asked=shown.asked,
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
