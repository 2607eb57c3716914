"""Sections other domains add to a Kommune's page (profile, partnerships, networks, projects).

A domain registers a template and a function that returns its context (or None to hide the section);
the kommunen domain thereby shows them without importing the other domains.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plattform.kommunen.models import Kommune


@dataclass(frozen=True)
class KommuneSection:
    """A block on the Kommune page."""

    template: str
    context: Callable[[Kommune], dict | None]
    order: int


SECTIONS: list[KommuneSection] = []


def register_kommune_section(template: str, context: Callable[[Kommune], dict | None], order: int) -> None:
    """Add a section; `context(kommune)` returns the template variables, or None to hide it."""
    if all(s.template != template for s in SECTIONS):
        SECTIONS.append(KommuneSection(template, context, order))


def sections_for(kommune: Kommune) -> list[tuple[str, dict]]:
    """The (template, context) pairs to render for this Kommune, in order."""
    rendered = []
    for section in sorted(SECTIONS, key=lambda s: s.order):
        context = section.context(kommune)
        if context is not None:
            rendered.append((section.template, context))
    return rendered
