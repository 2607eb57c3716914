"""Funnel pages: the groups one may evaluate, a group's funnel (table and chart), its CSV export."""

from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from plattform.auswertung import bp
from plattform.auswertung.access import evaluable_groups, find_group, may_evaluate
from plattform.auswertung.chart import funnel_svg
from plattform.auswertung.funnel import STAGE_LABELS_DE, STAGES, funnel_rows, weekly_funnel
from plattform.core.exports import CSV_MIMETYPE, csv_bytes, download

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
