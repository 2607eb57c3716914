"""Funnel pages: the groups one may evaluate, a group's funnel (table and chart), its CSV export."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from plattform.auswertung import bp
from plattform.auswertung.access import evaluable_groups, find_group, may_evaluate
from plattform.auswertung.chart import funnel_svg
from plattform.auswertung.funnel import STAGE_LABELS_DE, STAGES, funnel_rows, pair_outcomes, weekly_funnel
from plattform.core.clock import utcnow
from plattform.core.exports import CSV_MIMETYPE, csv_bytes, download
from plattform.extensions import db
from plattform.kommunen.models import Kommune

WEEKS_DEFAULT, WEEKS_MAX = 12, 104


def _weeks() -> int:
    raw = request.args.get("wochen", "")
    if raw.isdigit() and 1 <= int(raw) <= WEEKS_MAX:
        return int(raw)
    return WEEKS_DEFAULT


def _group_or_abort(ebene: str, key: str):
    group = find_group(ebene, key)
    if group is None:
        abort(404)
    if not may_evaluate(current_user, group):
        abort(403)
    return group


@bp.get("/")
@login_required
def index():
    """The networks, Kreise (and for administrators Länder) whose funnel the user may see."""
    groups = evaluable_groups(current_user)
    if not groups:
        abort(403)
    return render_template("auswertung/index.html", groups=groups)


@bp.get("/<ebene>/<key>")
@login_required
def trichter(ebene: str, key: str):
    """A group's funnel by week: a table and an SVG chart, counts only."""
    group = _group_or_abort(ebene, key)
    weeks = _weeks()
    funnel = weekly_funnel(group.kommune_ids(), weeks)
    chart = funnel_svg(funnel, _("Trichter je Kalenderwoche: %(name)s", name=group.name))
    return render_template(
        "auswertung/trichter.html",
        group=group,
        funnel=funnel,
        chart=chart,
        stages=STAGES,
        labels=STAGE_LABELS_DE,
        weeks=weeks,
    )


@bp.get("/<ebene>/<key>/trichter.csv")
@login_required
def trichter_csv(ebene: str, key: str):
    """The funnel as CSV (one row per week; counts only)."""
    group = _group_or_abort(ebene, key)
    funnel = weekly_funnel(group.kommune_ids(), _weeks())
    data = csv_bytes(funnel_rows(funnel), ["kalenderwoche", *STAGES])
    return download(data, f"trichter-{group.ebene}-{group.key}.csv", CSV_MIMETYPE)


PAIRS_SHOWN = 500


@bp.get("/<ebene>/<key>/paare")
@login_required
def paare(ebene: str, key: str):
    """Administrators only: how far each suggested pair of the group got (the per-suggestion funnel
    behind the counts, which the engine's ignore rule is to be fitted to)."""
    if not current_user.is_admin:
        abort(403)
    group = _group_or_abort(ebene, key)
    weeks = _weeks()
    since = utcnow() - timedelta(weeks=weeks)
    outcomes = pair_outcomes(since, group.kommune_ids())
    names = dict(
        db.session.execute(
            sa.select(Kommune.id, Kommune.name).where(Kommune.id.in_({k for pair in outcomes for k in pair}))
        ).all()
    )
    rank = {stage: n for n, stage in enumerate(STAGES)}
    rows = sorted(outcomes.items(), key=lambda item: (-rank[item[1]], names.get(item[0][0], ""), item[0]))
    counts = {stage: sum(1 for v in outcomes.values() if v == stage) for stage in STAGES}
    return render_template(
        "auswertung/paare.html",
        group=group,
        rows=[(names.get(a, "?"), names.get(b, "?"), stage) for (a, b), stage in rows[:PAIRS_SHOWN]],
        total=len(rows),
        counts=counts,
        stages=STAGES,
        labels=STAGE_LABELS_DE,
        weeks=weeks,
        limit=PAIRS_SHOWN,
    )
