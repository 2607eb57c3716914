"""The funnel as a server-side SVG bar chart (no script, no third-party service).

Grouped bars per ISO week, one colour per stage (each at least 3:1 against white, WCAG 1.4.11), a
legend in text, and `role="img"` with a title and a description; the table next to it carries the
numbers for screen readers and for reading exact values.
"""

from __future__ import annotations

from flask_babel import gettext as _
from markupsafe import Markup, escape

from plattform.auswertung.funnel import STAGE_LABELS_DE, STAGES, Funnel

COLOURS = {
    "angezeigt": "#1e3f9e",
    "angefragt": "#a0410d",
    "angenommen": "#2e6b30",
    "partnerschaft": "#6a1b9a",
    "projekt": "#37474f",
}
WIDTH, HEIGHT = 760, 320
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 86


def _nice_max(value: int) -> int:
    for step in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if value <= step * 4:
            return step * 4
    return value


def funnel_svg(funnel: Funnel, title: str) -> Markup:
    """The chart for a funnel; `title` names the group ("Trichter: kdvz")."""
    weeks = funnel.weeks
    top = _nice_max(max(funnel.maximum, 1))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(weeks), 1)
    bar_w = max(group_w * 0.8 / len(STAGES), 1.0)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="km-chart-title km-chart-desc" class="km-funnel-chart" width="100%">',
        f'<title id="km-chart-title">{escape(title)}</title>',
        '<desc id="km-chart-desc">'
        + escape(
            _(
                "Balken je Kalenderwoche für Vorschläge angezeigt, Kontaktanfragen, angenommen, "
                "Partnerschaften und gemeinsame Projekte. Die Zahlen stehen in der Tabelle."
            )
        )
        + "</desc>",
    ]
    for n in range(5):
        value = top * n // 4
        y = TOP + plot_h - plot_h * n / 4
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            'stroke="#c5cad6" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12" '
            f'fill="#1b1d29">{value}</text>'
        )
    for i, week in enumerate(weeks):
        x0 = LEFT + i * group_w + group_w * 0.1
        for j, stage in enumerate(STAGES):
            count = week.counts[stage]
            h = plot_h * count / top
            x = x0 + j * bar_w
            y = TOP + plot_h - h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{COLOURS[stage]}">'
                f"<title>{escape(week.week)}: {escape(_(STAGE_LABELS_DE[stage]))} {count}</title></rect>"
            )
        label = week.week.split("-W")[1]
        parts.append(
            f'<text x="{LEFT + i * group_w + group_w / 2:.1f}" y="{TOP + plot_h + 16}" text-anchor="middle" '
            f'font-size="12" fill="#1b1d29">{escape(_("KW %(num)d", num=int(label)))}</text>'
        )
    legend_y = HEIGHT - 40
    x = LEFT
    for stage in STAGES:
        text = _(STAGE_LABELS_DE[stage])
        parts.append(f'<rect x="{x}" y="{legend_y}" width="14" height="14" fill="{COLOURS[stage]}"/>')
        parts.append(
            f'<text x="{x + 20}" y="{legend_y + 12}" font-size="13" fill="#1b1d29">{escape(text)}</text>'
        )
        x += 28 + int(len(text) * 7.2)
    parts.append("</svg>")
    return Markup("".join(parts))
